/*
 * The progress line. It is redrawn in place with '\r' and cleared with "\r\033[K" (erase to end
 * of line), which every terminal emulator in use understands. Drawing is throttled to 10 Hz and
 * suppressed for the first second, so short runs never flicker a line at all.
 */
#include "np/progress.h"

#include <unistd.h>

#include "np/clock.h"

#define BAR_WIDTH 30

void np_progress_init(np_progress *progress, FILE *stream, int enabled)
{
    *progress = (np_progress){.stream = stream,
                              .enabled = enabled && stream && isatty(fileno(stream)),
                              .start_ns = np_clock_now_ns()};
}

void np_progress_update(void *context, size_t done, size_t dispatched, int input_finished)
{
    np_progress *p = context;
    if (!p->enabled)
        return;
    long long now = np_clock_now_ns();
    long long elapsed = now - p->start_ns;
    if (elapsed < 1000000000LL || now - p->last_draw_ns < 100000000LL)
        return;
    p->last_draw_ns = now;
    /* With the count known in advance (JSON input), count against it, not against the articles
     * dispatched so far (which would make the bar go backwards as the dispatcher runs ahead). */
    if (p->total) {
        dispatched = p->total;
        input_finished = 1;
    }
    size_t total = dispatched > done ? dispatched : done;
    size_t filled = total ? done * BAR_WIDTH / total : 0;
    char bar[BAR_WIDTH + 1];
    for (size_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '-';
    bar[BAR_WIDTH] = '\0';
    char eta[32] = "?";
    if (input_finished && done > 0 && total >= done) {
        double left = (double)elapsed / 1e9 * (double)(total - done) / (double)done;
        /* Under --rate the pace so far misleads (the first results come late): the run takes
         * about two calls an article at that rate. */
        double by_rate = p->rate > 0 ? 2.0 * (double)total / p->rate - (double)elapsed / 1e9 : 0;
        if (p->rate > 0)
            left = by_rate > 0 ? by_rate : 0;
        snprintf(eta, sizeof(eta), "%.1fs", left);
    }
    fprintf(p->stream, "\r[%s] %zu/%zu%s  elapsed %.1fs  ETA %s\033[K", bar, done, total,
            input_finished ? "" : "+", (double)elapsed / 1e9, eta);
    fflush(p->stream);
    p->drawn = 1;
}

void np_progress_finish(np_progress *progress)
{
    if (progress->drawn) {
        fputs("\r\033[K", progress->stream);
        fflush(progress->stream);
        progress->drawn = 0;
    }
}

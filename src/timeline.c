/*
 * The SVG timeline writer (see np/timeline.h for what the picture shows).
 *
 * Design: the picture is written top to bottom straight to the stream; nothing is built in
 * memory but the row order (small runs) or the sweep events and buckets (large runs).
 *
 *   - Layout: a fixed-width canvas; a label column on the left, the plot in between, room on
 *     the right for the "critical path" note. Height follows the row count (rows) or is fixed
 *     (areas). Coordinates are written with at most two decimals.
 *   - Time: every timestamp is taken relative to run->start_ns; the axis runs from 0 to the
 *     latest thing shown (wall time, ideal time or last event), rounded up to a whole tick.
 *   - Large runs: a sweep over the sorted start/end events of every segment integrates how many
 *     articles are in each state into fixed buckets, so a brief spike still counts in its
 *     bucket's average and the cost is O(n log n + buckets), not O(n × buckets).
 *   - Text: everything that came from outside (ids, titles, the input path) goes through
 *     put_text(), which escapes XML's five special characters and replaces what XML 1.0 cannot
 *     carry (control characters, invalid UTF-8, U+FFFE/U+FFFF), and bidirectional overrides,
 *     with U+FFFD.
 *
 * Which row an article's work is drawn on is decided in one place, article_row(): one row per
 * article in every mode so far (pool mode does not yet record which worker ran an article).
 *
 * Threading: reads a finished run record only; no shared state.
 */
#include "np/timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np/json_write.h"
#include "np/utf8.h"

/* Canvas and layout, in px. */
#define WIDTH        1200
#define PLOT_LEFT    170.0
#define PLOT_RIGHT   1060.0
#define LABEL_X      (PLOT_LEFT - 8)
#define PLOT_TOP     134.0 /* first row, or the top of the area chart */
#define ROW_H        18.0
#define BAR_H        12.0
#define AREA_H       420.0
#define AREA_BUCKETS 800
#define LABEL_CHARS  24 /* row labels are cut past this many characters */

/* What a segment shows: the stages, then the queue wait. */
enum { KIND_QUEUE = NP_STAGE_COUNT, KIND_COUNT };

static const char *const kind_class[KIND_COUNT] = {"summarization", "sentiment", "queue-wait"};
static const char *const kind_label[KIND_COUNT] = {"summarization", "sentiment", "queue wait"};
static const char *const kind_colour[KIND_COUNT] = {"#4e79a7", "#f28e2b", "#e15759"};

#define IDEAL_COLOUR    "#2a9d4b"
#define WALL_COLOUR     "#222222"
#define CRITICAL_FILL   "#fff2c2"
#define FAILED_COLOUR   "#c0392b"
#define GRID_COLOUR     "#e6e6e6"
#define TEXT_COLOUR     "#222222"
#define SUBTEXT_COLOUR  "#555555"
#define RECEIVED_COLOUR "#333333"

/* One coloured segment of an article's row: [start_ns, end_ns) from the run start. */
typedef struct segment {
    int kind;
    long long start_ns;
    long long end_ns;
} segment;

/* The time axis: domain_ms maps onto [PLOT_LEFT, PLOT_RIGHT]; ticks every step_ms. */
typedef struct time_scale {
    double domain_ms;
    double step_ms;
    int in_seconds; /* label ticks and markers in s rather than ms */
} time_scale;

/* A segment's start (+1) or end (-1) in the sweep over time. */
typedef struct sweep_event {
    double t_ms;
    int kind;
    int delta;
} sweep_event;

/* ---- Text and numbers ---------------------------------------------------------------------- */

/* Writes v with at most two decimals and no trailing zeros, independent of the locale. */
static void put_num(FILE *out, double v)
{
    if (!isfinite(v))
        v = 0;
    long long hundredths = llround(v * 100.0);
    if (hundredths < 0) {
        fputc('-', out);
        hundredths = -hundredths;
    }
    fprintf(out, "%lld", hundredths / 100);
    long long frac = hundredths % 100;
    if (frac % 10 != 0)
        fprintf(out, ".%02lld", frac);
    else if (frac != 0)
        fprintf(out, ".%lld", frac / 10);
}

/* Bidirectional embeddings, overrides and isolates: valid XML, but one in an id would reverse
 * or reorder the text drawn after it, so a label could show something else than the id. */
static int is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* XML's five special characters, and their entities. */
static const char xml_special[] = "&<>\"'";
static const char *const xml_entity[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};

/*
 * Writes s[0..len) as XML character data, safe in element content and in quoted attributes.
 * Tab, newline and carriage return become spaces; other control characters (C0, DEL, C1),
 * bidirectional controls, U+FFFE, U+FFFF and bytes that are not valid UTF-8 become U+FFFD. At most
 * max_chars characters are written, then "…" if more remain (max_chars 0: no limit).
 */
static void put_text(FILE *out, const char *s, size_t len, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t written = 0;
    for (size_t i = 0; i < len;) {
        if (max_chars > 0 && written == max_chars) {
            fputs("\xE2\x80\xA6", out);
            return;
        }
        uint32_t cp = 0;
        size_t n = np_utf8_decode(p + i, len - i, &cp);
        written++;
        if (n == 0) {
            fputs("\xEF\xBF\xBD", out);
            i++;
            continue;
        }
        const char *special = cp != 0 && cp < 0x80 ? strchr(xml_special, (int)cp) : NULL;
        if (special)
            fputs(xml_entity[special - xml_special], out);
        else if (cp == '\t' || cp == '\n' || cp == '\r')
            fputc(' ', out);
        else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF ||
                 is_bidi_control(cp))
            fputs("\xEF\xBF\xBD", out);
        else
            fwrite(p + i, 1, n, out);
        i += n;
    }
}

static void put_str(FILE *out, const char *s)
{
    put_text(out, s, strlen(s), 0);
}

/* Writes a duration given in ms as "2.846 s" or "12.5 ms" (up to three decimals). */
static void put_duration(FILE *out, double ms, int in_seconds)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.3f", in_seconds ? ms / 1000.0 : ms);
    /* Trim trailing zeros, and the point if nothing is left after it. */
    size_t len = strlen(buf);
    while (len > 0 && buf[len - 1] == '0')
        buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '.')
        buf[--len] = '\0';
    fprintf(out, "%s %s", buf, in_seconds ? "s" : "ms");
}

/* ---- Data ---------------------------------------------------------------------------------- */

static int compare_sweep(const void *a, const void *b)
{
    const sweep_event *x = a;
    const sweep_event *y = b;
    return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* The segments of one result, times relative to origin; returns how many (at most KIND_COUNT).
 * A step whose timestamps are 0 did not happen and has no segment. */
static int result_segments(const np_result *r, long long origin, segment seg[KIND_COUNT])
{
    int count = 0;
    for (int s = 0; s < NP_STAGE_COUNT; s++) {
        if (r->stage_start_ns[s] == 0 || r->stage_end_ns[s] < r->stage_start_ns[s])
            continue;
        seg[count++] = (segment){s, r->stage_start_ns[s] - origin, r->stage_end_ns[s] - origin};
    }
    if (r->finished_ns != 0 && r->queue_wait_ns > 0)
        seg[count++] = (segment){KIND_QUEUE, r->finished_ns - origin,
                                 r->finished_ns - origin + r->queue_wait_ns};
    return count;
}

/* The critical-path article: the largest ideal_ms, ties to the lowest index; SIZE_MAX when
 * there is none (no rows, or every ideal time is 0 as with --latency 0:0). */
static size_t critical_index(const np_result *results, size_t n)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (results[i].ideal_ms > 0 &&
            (best == SIZE_MAX || results[i].ideal_ms > results[best].ideal_ms))
            best = i;
    return best;
}

/*
 * The row an article is drawn on: its position in the start-time order. The one place to change
 * when results record which worker thread ran them (pool mode: one row per worker).
 */
static size_t article_row(const np_run_options *options, const np_time_key *order, size_t rank)
{
    (void)options;
    (void)order;
    return rank;
}

/* The smallest of 1, 2, 5 × 10^k at least raw (> 0); the slack absorbs rounding in log10. */
static double nice_step(double raw)
{
    double magnitude = pow(10.0, floor(log10(raw)));
    double fraction = raw / magnitude;
    const double slack = 1 + 1e-9;
    double nice = fraction <= 1.0 * slack   ? 1.0
                  : fraction <= 2.0 * slack ? 2.0
                  : fraction <= 5.0 * slack ? 5.0
                                            : 10.0;
    return nice * magnitude;
}

/* The time axis: from 0 to the latest of wall, ideal and every event, rounded up to a tick. */
static time_scale make_scale(const np_run_record *run, size_t n)
{
    long long last_ns = run->process_ns;
    for (size_t i = 0; i < n; i++) {
        const np_result *r = &run->results[i];
        segment seg[KIND_COUNT];
        int count = result_segments(r, run->start_ns, seg);
        for (int k = 0; k < count; k++)
            if (seg[k].end_ns > last_ns)
                last_ns = seg[k].end_ns;
        if (r->received_ns != 0 && r->received_ns - run->start_ns > last_ns)
            last_ns = r->received_ns - run->start_ns;
    }
    double last_ms = (double)last_ns / 1e6;
    if ((double)run->critical_path_ms > last_ms)
        last_ms = (double)run->critical_path_ms;
    if (last_ms < 1)
        last_ms = 1; /* an empty or instant run still gets a readable axis */
    /* About 10 ticks at 1, 2 or 5 × 10^k ms. */
    double step = nice_step(last_ms / 10.0);
    double ticks = ceil(last_ms / step - 1e-9);
    return (time_scale){ticks * step, step, ticks * step >= 1000.0};
}

static double x_of_ms(const time_scale *sc, double ms)
{
    if (ms < 0)
        ms = 0;
    if (ms > sc->domain_ms)
        ms = sc->domain_ms;
    return PLOT_LEFT + ms / sc->domain_ms * (PLOT_RIGHT - PLOT_LEFT);
}

static double x_of_ns(const time_scale *sc, long long ns)
{
    return x_of_ms(sc, (double)ns / 1e6);
}

/* ---- Drawing ------------------------------------------------------------------------------- */

/* Writes ` name="v"`. */
static void put_attr(FILE *out, const char *name, double v)
{
    fprintf(out, " %s=\"", name);
    put_num(out, v);
    fputc('"', out);
}

/* Opens a <line> from (x1, y1) to (x2, y2); the caller adds attributes and closes it. */
static void open_line(FILE *out, double x1, double y1, double x2, double y2)
{
    fputs("<line", out);
    put_attr(out, "x1", x1);
    put_attr(out, "y1", y1);
    put_attr(out, "x2", x2);
    put_attr(out, "y2", y2);
}

/* Opens a <text> at (x, y); the caller adds attributes and closes it. */
static void open_text(FILE *out, double x, double y)
{
    fputs("<text", out);
    put_attr(out, "x", x);
    put_attr(out, "y", y);
}

/* Writes a rectangle's x, y, width and height attributes. */
static void put_box(FILE *out, double x, double y, double w, double h)
{
    put_attr(out, "x", x);
    put_attr(out, "y", y);
    put_attr(out, "width", w);
    put_attr(out, "height", h);
}

static void write_heading(FILE *out, const np_run_options *options, const np_run_record *run,
                          size_t n)
{
    fputs("<text x=\"16\" y=\"30\" font-size=\"18\" font-weight=\"bold\" fill=\"" TEXT_COLOUR
          "\">news-processor \xE2\x80\x94 ",
          out);
    fprintf(out, "%zu article%s", run->articles, run->articles == 1 ? "" : "s");
    if (options && options->mode) {
        fputs(", mode ", out);
        put_str(out, options->mode);
    }
    /* Both in one unit, so they compare at a glance: s, or ms for runs under a second. */
    double wall_ms = (double)run->process_ns / 1e6;
    double ideal_ms = (double)run->critical_path_ms;
    int in_seconds = wall_ms >= 1000 || ideal_ms >= 1000;
    fputs(", wall ", out);
    put_duration(out, wall_ms, in_seconds);
    fputs(", critical path ", out);
    put_duration(out, ideal_ms, in_seconds);
    if (ideal_ms > 0)
        fprintf(out, ", overhead %.3f", wall_ms / ideal_ms);
    fputs("</text>\n", out);

    fputs("<text x=\"16\" y=\"52\" fill=\"" SUBTEXT_COLOUR "\">", out);
    if (options) {
        if (options->input) {
            fputs("input ", out);
            put_text(out, options->input, strlen(options->input), 60);
            fputs(" \xC2\xB7 ", out);
        }
        fprintf(out, "seed %" PRIu64 " \xC2\xB7 latency %" PRIu32 "\xE2\x80\x93%" PRIu32 " ms",
                options->seed, options->latency_min_ms, options->latency_max_ms);
        fprintf(out, " \xC2\xB7 queue capacity %zu", options->queue_capacity);
        if (options->workers > 0)
            fprintf(out, " \xC2\xB7 %zu workers", options->workers);
        if (options->fail_rate > 0)
            fprintf(out, " \xC2\xB7 fail rate %g, %u retr%s", options->fail_rate, options->retries,
                    options->retries == 1 ? "y" : "ies");
        if (options->timeout_ms > 0)
            fprintf(out, " \xC2\xB7 timeout %" PRIu32 " ms", options->timeout_ms);
        if (options->rate > 0)
            fprintf(out, " \xC2\xB7 rate %g calls/s", options->rate);
        fputs(" \xC2\xB7 ", out);
    }
    if (options && options->drawn) {
        put_str(out, options->drawn);
        fputs(" \xC2\xB7 ", out);
    }
    if (n < run->articles)
        fprintf(out, "%zu of %zu articles shown \xC2\xB7 ", n, run->articles);
    fputs("times from the run start</text>\n", out);
}

typedef enum swatch { SWATCH_BOX, SWATCH_OUTLINE, SWATCH_DASHED, SWATCH_LINE } swatch;

/* One legend entry at x; returns the x of the next (text width estimated at 6 px a byte). */
static double write_legend_item(FILE *out, double x, swatch kind, const char *colour,
                                const char *label)
{
    const double y = 76;
    switch (kind) {
    case SWATCH_BOX:
    case SWATCH_OUTLINE:
        fputs("<rect", out);
        put_box(out, x, y - 10, 14, 12);
        if (kind == SWATCH_BOX)
            fprintf(out, " fill=\"%s\"/>", colour);
        else
            fprintf(out, " fill=\"" CRITICAL_FILL "\" stroke=\"%s\" stroke-width=\"2\"/>", colour);
        break;
    case SWATCH_DASHED:
    case SWATCH_LINE:
        open_line(out, x + 7, y - 12, x + 7, y + 3);
        fprintf(out, " stroke=\"%s\" stroke-width=\"1.5\"%s/>", colour,
                kind == SWATCH_DASHED ? " stroke-dasharray=\"4 3\"" : "");
        break;
    }
    open_text(out, x + 20, y);
    fputs(" fill=\"" TEXT_COLOUR "\">", out);
    put_str(out, label);
    fputs("</text>\n", out);
    return x + 20 + 6.0 * (double)strlen(label) + 20;
}

static void write_legend(FILE *out, int rows)
{
    fputs("<g class=\"legend\" font-size=\"12\">\n", out);
    double x = 16;
    for (int k = 0; k < KIND_COUNT; k++)
        x = write_legend_item(out, x, SWATCH_BOX, kind_colour[k], kind_label[k]);
    if (rows) {
        x = write_legend_item(out, x, SWATCH_OUTLINE, WALL_COLOUR, "critical path");
        x = write_legend_item(out, x, SWATCH_LINE, RECEIVED_COLOUR, "received by collector");
    }
    x = write_legend_item(out, x, SWATCH_DASHED, IDEAL_COLOUR, "ideal (critical path)");
    write_legend_item(out, x, SWATCH_LINE, WALL_COLOUR, "wall");
    fputs("</g>\n", out);
}

/* How many ticks the time axis has (the last at domain_ms). */
static int tick_count(const time_scale *sc)
{
    return (int)llround(sc->domain_ms / sc->step_ms) + 1;
}

/* Vertical grid lines at the ticks, from y0 to y1. */
static void write_time_grid(FILE *out, const time_scale *sc, double y0, double y1)
{
    fputs("<g class=\"grid\" stroke=\"" GRID_COLOUR "\" stroke-width=\"1\">\n", out);
    for (int i = 0; i < tick_count(sc); i++) {
        double x = x_of_ms(sc, (double)i * sc->step_ms);
        open_line(out, x, y0, x, y1);
        fputs("/>\n", out);
    }
    fputs("</g>\n", out);
}

/* A horizontal time axis at y, ticks and labels below it (below != 0, with a caption) or above. */
static void write_time_axis(FILE *out, const time_scale *sc, double y, int below)
{
    fputs("<g class=\"axis\" font-size=\"11\" fill=\"" TEXT_COLOUR "\" stroke=\"" TEXT_COLOUR
          "\" text-anchor=\"middle\">\n",
          out);
    open_line(out, PLOT_LEFT, y, PLOT_RIGHT, y);
    fputs("/>\n", out);
    for (int i = 0; i < tick_count(sc); i++) {
        double ms = (double)i * sc->step_ms;
        double x = x_of_ms(sc, ms);
        open_line(out, x, y, x, below ? y + 4 : y - 4);
        fputs("/>", out);
        open_text(out, x, below ? y + 16 : y - 7);
        fputs(" stroke=\"none\">", out);
        put_duration(out, ms, sc->in_seconds);
        fputs("</text>\n", out);
    }
    if (below) {
        open_text(out, (PLOT_LEFT + PLOT_RIGHT) / 2, y + 34);
        fputs(" stroke=\"none\" fill=\"" SUBTEXT_COLOUR "\">time since the run started</text>\n",
              out);
    }
    fputs("</g>\n", out);
}

/*
 * The "ideal" and "wall" lines from y0 to y1, labelled at label_y. The earlier one is labelled on
 * its left and the later on its right, so the labels never overlap however close they are.
 */
static void write_markers(FILE *out, const time_scale *sc, const np_run_record *run, double label_y,
                          double y0, double y1)
{
    double ideal_ms = (double)run->critical_path_ms;
    double wall_ms = (double)run->process_ns / 1e6;
    int wall_first = wall_ms < ideal_ms;
    for (int m = 0; m < 2; m++) {
        int is_wall = m == 1;
        double ms = is_wall ? wall_ms : ideal_ms;
        if (ms <= 0)
            continue;
        double x = x_of_ms(sc, ms);
        int left = is_wall == wall_first;
        const char *colour = is_wall ? WALL_COLOUR : IDEAL_COLOUR;
        fprintf(out, "<g class=\"marker %s\">", is_wall ? "wall" : "ideal");
        open_line(out, x, y0, x, y1);
        fprintf(out, " stroke=\"%s\" stroke-width=\"1.5\"%s/>", colour,
                is_wall ? "" : " stroke-dasharray=\"6 4\"");
        open_text(out, left ? x - 4 : x + 4, label_y);
        fprintf(out, " font-size=\"11\" font-weight=\"bold\" fill=\"%s\" text-anchor=\"%s\">%s ",
                colour, left ? "end" : "start", is_wall ? "wall" : "ideal");
        put_duration(out, ms, sc->in_seconds);
        fputs("</text></g>\n", out);
    }
}

/* A segment's tooltip: id, what it is, when, and (for a stage) the simulated latency. */
static void write_segment_title(FILE *out, const char *id_text, const np_result *r,
                                const segment *seg)
{
    fputs("<title>", out);
    put_str(out, id_text);
    fprintf(out, " \xC2\xB7 %s\nstart ", kind_label[seg->kind]);
    np_json_write_ms(out, seg->start_ns);
    fputs(" ms, end ", out);
    np_json_write_ms(out, seg->end_ns);
    fputs(" ms (", out);
    np_json_write_ms(out, seg->end_ns - seg->start_ns);
    fputs(" ms)", out);
    if (seg->kind != KIND_QUEUE)
        fprintf(out, "\nsimulated %" PRIu32 " ms, %" PRIu32 " attempt%s", r->latency_ms[seg->kind],
                r->attempts[seg->kind], r->attempts[seg->kind] == 1 ? "" : "s");
    fputs("</title>", out);
}

/* The row's label, with the article's title and outcome as its tooltip. */
static void write_row_label(FILE *out, const np_article *a, const np_result *r, const char *id_text,
                            double y, int critical)
{
    open_text(out, LABEL_X, y + 13);
    fprintf(out, " text-anchor=\"end\" font-size=\"11\"%s fill=\"%s\">",
            critical ? " font-weight=\"bold\"" : "",
            r->status == NP_STATUS_OK ? TEXT_COLOUR : FAILED_COLOUR);
    put_text(out, id_text, strlen(id_text), LABEL_CHARS);
    fputs("<title>", out);
    put_str(out, id_text);
    if (a->title) {
        fputs(" \xE2\x80\x94 ", out);
        put_text(out, a->title, a->title_len, 200);
    }
    fprintf(out, "\nstatus %s, ideal %" PRIu64 " ms", np_status_name(r->status), r->ideal_ms);
    if (r->completed > 0)
        fprintf(out, ", received #%zu", r->completed);
    fprintf(out, "%s</title></text>", critical ? "\ncritical path" : "");
}

static void write_row(FILE *out, const time_scale *sc, const np_run_record *run, size_t i, double y,
                      int critical)
{
    const np_article *a = &run->list->items[i];
    const np_result *r = &run->results[i];
    char id_text[96];
    np_id_format(&a->id, id_text, sizeof(id_text));
    const double bar_y = y + (ROW_H - BAR_H) / 2;

    fprintf(out, "<g class=\"row%s\">", critical ? " critical" : "");
    if (critical) {
        fputs("<rect class=\"band\"", out);
        put_box(out, 4, y, WIDTH - 8, ROW_H);
        fputs(" fill=\"" CRITICAL_FILL "\"/>", out);
    }
    write_row_label(out, a, r, id_text, y, critical);

    segment seg[KIND_COUNT];
    int count = result_segments(r, run->start_ns, seg);
    double first_x = PLOT_RIGHT, last_x = PLOT_LEFT;
    for (int k = 0; k < count; k++) {
        double x0 = x_of_ns(sc, seg[k].start_ns);
        double x1 = x_of_ns(sc, seg[k].end_ns);
        if (x1 - x0 < 0.5) /* keep a very short segment visible */
            x1 = x0 + 0.5;
        first_x = x0 < first_x ? x0 : first_x;
        last_x = x1 > last_x ? x1 : last_x;
        fprintf(out, "\n<rect class=\"seg %s\"", kind_class[seg[k].kind]);
        put_box(out, x0, bar_y, x1 - x0, BAR_H);
        fprintf(out, " fill=\"%s\">", kind_colour[seg[k].kind]);
        write_segment_title(out, id_text, r, &seg[k]);
        fputs("</rect>", out);
    }
    if (r->completed > 0 && r->received_ns != 0) {
        double x = x_of_ns(sc, r->received_ns - run->start_ns);
        last_x = x > last_x ? x : last_x;
        fputs("\n", out);
        open_line(out, x, y + 2, x, y + ROW_H - 2);
        fputs(" class=\"received\" stroke=\"" RECEIVED_COLOUR "\" stroke-width=\"1.5\"/>", out);
    }
    if (critical && count > 0) {
        fputs("\n<rect class=\"critical-outline\"", out);
        put_box(out, first_x - 1.5, bar_y - 1.5, last_x - first_x + 3, BAR_H + 3);
        fputs(" fill=\"none\" stroke=\"" WALL_COLOUR "\" stroke-width=\"2\"/>", out);
    }
    /* A note right of the bar: "critical path", the status when not ok, or both. */
    if (critical || r->status != NP_STATUS_OK) {
        fputs("\n", out);
        open_text(out, (count > 0 ? last_x : PLOT_LEFT) + 8, y + 13);
        fprintf(out, " font-size=\"11\" font-weight=\"bold\" fill=\"%s\">%s",
                r->status == NP_STATUS_OK ? TEXT_COLOUR : FAILED_COLOUR,
                critical ? "critical path" : "");
        if (r->status != NP_STATUS_OK)
            fprintf(out, critical ? " (%s)" : "%s", np_status_name(r->status));
        fputs("</text>", out);
    }
    fputs("</g>\n", out);
}

/* One row per article, sorted by start. Returns the y below the last row, or -1 (ENOMEM). */
static double write_rows(FILE *out, const np_run_options *options, const time_scale *sc,
                         const np_run_record *run, size_t n)
{
    np_time_key *order = NULL;
    if (n > 0) {
        order = malloc(n * sizeof(*order));
        if (!order)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (np_time_key){run->results[i].started_ns, i};
    if (n > 0)
        np_time_keys_sort(order, n);
    size_t critical = critical_index(run->results, n);
    for (size_t rank = 0; rank < n; rank++) {
        size_t i = order[rank].index;
        double y = PLOT_TOP + (double)article_row(options, order, rank) * ROW_H;
        write_row(out, sc, run, i, y, i == critical);
    }
    free(order);
    if (n == 0) {
        open_text(out, (PLOT_LEFT + PLOT_RIGHT) / 2, PLOT_TOP + 13);
        fputs(" text-anchor=\"middle\" fill=\"" SUBTEXT_COLOUR
              "\">no per-article data in this run</text>\n",
              out);
        return PLOT_TOP + ROW_H;
    }
    return PLOT_TOP + (double)n * ROW_H;
}

/* Adds counts × overlap to each bucket [a, b) covers (bucket_ms wide). */
static void spread(double *area, double bucket_ms, double a, double b, const int counts[KIND_COUNT])
{
    if (counts[0] == 0 && counts[1] == 0 && counts[2] == 0)
        return;
    size_t k = (size_t)(a / bucket_ms);
    while (a < b && k < AREA_BUCKETS) {
        double bucket_end = (double)(k + 1) * bucket_ms;
        double end = b < bucket_end ? b : bucket_end;
        if (end > a)
            for (int c = 0; c < KIND_COUNT; c++)
                area[k * KIND_COUNT + c] += counts[c] * (end - a);
        a = end > a ? end : a;
        k++;
    }
}

/*
 * How many articles are in each state, averaged over each of AREA_BUCKETS intervals of the time
 * axis, into level[bucket * KIND_COUNT + kind]. Returns 0, or -1 (ENOMEM).
 */
static int sweep_levels(const time_scale *sc, const np_run_record *run, size_t n, double *level)
{
    sweep_event *events = malloc(n * 2 * KIND_COUNT * sizeof(*events));
    if (!events)
        return -1;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        segment seg[KIND_COUNT];
        int segs = result_segments(&run->results[i], run->start_ns, seg);
        for (int k = 0; k < segs; k++) {
            events[count++] = (sweep_event){(double)seg[k].start_ns / 1e6, seg[k].kind, +1};
            events[count++] = (sweep_event){(double)seg[k].end_ns / 1e6, seg[k].kind, -1};
        }
    }
    qsort(events, count, sizeof(*events), compare_sweep);
    double bucket_ms = sc->domain_ms / AREA_BUCKETS;
    int counts[KIND_COUNT] = {0};
    double now = 0;
    for (size_t e = 0; e < count; e++) {
        double t = events[e].t_ms;
        t = t < 0 ? 0 : t > sc->domain_ms ? sc->domain_ms : t;
        if (t > now) {
            spread(level, bucket_ms, now, t, counts);
            now = t;
        }
        counts[events[e].kind] += events[e].delta;
    }
    free(events);
    for (size_t k = 0; k < (size_t)AREA_BUCKETS * KIND_COUNT; k++)
        level[k] /= bucket_ms;
    return 0;
}

/* Stacked areas of concurrency over time. Returns the y of the chart's bottom, or -1. */
static double write_areas(FILE *out, const time_scale *sc, const np_run_record *run, size_t n)
{
    double *level = calloc((size_t)AREA_BUCKETS * KIND_COUNT, sizeof(*level));
    if (!level)
        return -1;
    if (sweep_levels(sc, run, n, level) != 0) {
        free(level);
        return -1;
    }
    double max = 0;
    for (size_t k = 0; k < AREA_BUCKETS; k++) {
        double total = 0;
        for (int c = 0; c < KIND_COUNT; c++)
            total += level[k * KIND_COUNT + c];
        max = total > max ? total : max;
    }
    double step = max <= 5 ? 1 : nice_step(max / 5); /* about 5 ticks, whole counts */
    double top = ceil(max / step - 1e-9) * step;
    if (top <= 0)
        top = step;
    const double bottom = PLOT_TOP + AREA_H;

    /* Horizontal grid and count labels. */
    fputs("<g class=\"count-axis\" font-size=\"11\" fill=\"" TEXT_COLOUR
          "\" text-anchor=\"end\">\n",
          out);
    for (int i = 0; (double)i * step <= top * (1 + 1e-9); i++) {
        double y = bottom - (double)i * step / top * AREA_H;
        open_line(out, PLOT_LEFT, y, PLOT_RIGHT, y);
        fputs(" stroke=\"" GRID_COLOUR "\"/>", out);
        open_text(out, PLOT_LEFT - 6, y + 4);
        fprintf(out, ">%.0f</text>\n", (double)i * step);
    }
    open_text(out, -(PLOT_TOP + AREA_H / 2), PLOT_LEFT - 52);
    fputs(" transform=\"rotate(-90)\" text-anchor=\"middle\" fill=\"" SUBTEXT_COLOUR
          "\">articles in each state</text>\n",
          out);
    fputs("</g>\n", out);

    /* Each state's band sits on the ones below it: summarization, sentiment, queue wait. */
    double bucket_px = (PLOT_RIGHT - PLOT_LEFT) / AREA_BUCKETS;
    for (int c = 0; c < KIND_COUNT; c++) {
        fprintf(out, "<path class=\"area %s\" fill=\"%s\" fill-opacity=\"0.9\" d=\"", kind_class[c],
                kind_colour[c]);
        /* Upper edge left to right, then lower edge right to left, through bucket centres. */
        for (int edge = 0; edge < 2; edge++) {
            int upper = edge == 0;
            for (size_t j = 0; j < AREA_BUCKETS + 2; j++) {
                size_t step_index = upper ? j : AREA_BUCKETS + 1 - j;
                size_t k = step_index == 0 ? 0 : step_index - 1;
                if (k >= AREA_BUCKETS)
                    k = AREA_BUCKETS - 1;
                double x = step_index == 0 ? PLOT_LEFT
                           : step_index == AREA_BUCKETS + 1
                               ? PLOT_RIGHT
                               : PLOT_LEFT + ((double)k + 0.5) * bucket_px;
                double value = 0;
                for (int below = 0; below < c + upper; below++)
                    value += level[k * KIND_COUNT + below];
                fputs(j == 0 && upper ? "M" : "L", out);
                put_num(out, x);
                fputc(',', out);
                put_num(out, bottom - value / top * AREA_H);
            }
        }
        fputs("Z\"/>\n", out);
    }
    free(level);
    return bottom;
}

/* In the area chart the critical-path article has no row: name it in a note. */
static void write_area_note(FILE *out, const time_scale *sc, const np_run_options *options,
                            const np_run_record *run, size_t n)
{
    fputs("<text x=\"16\" y=\"100\" font-size=\"12\" fill=\"" SUBTEXT_COLOUR "\">", out);
    fprintf(out,
            "More than %d articles: how many are in each state over time (averages over %d "
            "intervals of ",
            NP_TIMELINE_MAX_ROWS, AREA_BUCKETS);
    put_duration(out, sc->domain_ms / AREA_BUCKETS, 0);
    fputs(")", out);
    size_t critical = critical_index(run->results, n);
    if (critical != SIZE_MAX) {
        char id_text[96];
        np_id_format(&run->list->items[critical].id, id_text, sizeof(id_text));
        /* Only in thread mode is the ideal one article's: a pool's or a sequence's ideal is the
         * whole schedule's, so there the longest article is named as what it is. */
        int one_article = !options->mode || strcmp(options->mode, "thread") == 0;
        fputs(one_article ? ". Critical path: article " : ". Longest article: ", out);
        put_text(out, id_text, strlen(id_text), 40);
        fprintf(out, " (%" PRIu64 " ms)", run->results[critical].ideal_ms);
        if (!one_article)
            fprintf(out, "; the ideal is the %s schedule's end, not one article's", options->mode);
    }
    fputs(".</text>\n", out);
}

int np_timeline_write_svg(FILE *out, const np_run_options *options, const np_run_record *run)
{
    size_t n = run->list && run->results ? run->articles_detail : 0;
    if (run->list && n > run->list->count)
        n = run->list->count;
    int rows = n <= NP_TIMELINE_MAX_ROWS;
    time_scale sc = make_scale(run, n);
    double bottom = rows ? PLOT_TOP + (double)(n > 0 ? n : 1) * ROW_H : PLOT_TOP + AREA_H;
    double height = bottom + 52;

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
            "viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
            "font-size=\"12\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<title>news-processor timeline</title>\n", out);
    fprintf(out, "<rect class=\"background\" width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
            WIDTH, height);
    write_heading(out, options, run, n);
    write_legend(out, rows);
    if (!rows)
        write_area_note(out, &sc, options, run, n);

    double grid_top = rows ? PLOT_TOP - 22 : PLOT_TOP;
    write_time_grid(out, &sc, grid_top, bottom);
    if (rows) {
        write_time_axis(out, &sc, grid_top, 0);
        if (write_rows(out, options, &sc, run, n) < 0) {
            errno = ENOMEM;
            return -1;
        }
    } else if (write_areas(out, &sc, run, n) < 0) {
        errno = ENOMEM;
        return -1;
    }
    write_markers(out, &sc, run, PLOT_TOP - 7, grid_top, bottom);
    write_time_axis(out, &sc, bottom + 4, 1);
    fputs("</svg>\n", out);

    if (ferror(out)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

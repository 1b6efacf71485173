/*
 * The dispatcher (see include/np/dispatcher.h): source -> shard -> slot -> memory -> scheduler.
 * Everything here runs on the dispatcher's thread; the scheduler and the collector do the rest.
 */
#include "np/dispatcher.h"

#include <stdlib.h>

#include "np/process.h"

static int cancelled(const np_pipeline_config *config)
{
    return np_cancel_reason_of(config->process.cancel) != NP_CANCEL_NONE;
}

/* Delivers a result that needs no processing: failed for want of memory, or cancelled. */
static void deliver_unprocessed(np_collector *collector, const np_task *t, int was_cancelled)
{
    np_finished item = {.work = t->work, .slot = t->slot};
    if (was_cancelled)
        np_process_skip_cancelled(t->work.index, &item.result);
    else
        np_process_fail_out_of_memory(t->work.index, &item.result);
    np_collector_deliver(collector, &item, 1);
}

/*
 * Gives t its memory, asking the scheduler to make room while memory is refused. Returns 0, or
 * -1 when t was delivered instead: failed ("out of memory") because no room could be made, or
 * cancelled meanwhile.
 */
static int reserve_memory(const np_pipeline_config *config, np_scheduler *scheduler,
                          np_collector *collector, np_ideal *ideal, np_task *t, np_run_stats *stats)
{
    for (;;) {
        t->summary = np_process_reserve(t->work.article, &config->process);
        if (t->summary)
            return 0;
        np_room room = scheduler->ops->make_room(scheduler);
        if (room == NP_ROOM_RETIRED)
            np_ideal_retire_worker(ideal);
        int was_cancelled = cancelled(config);
        if (room == NP_ROOM_NONE || was_cancelled) {
            deliver_unprocessed(collector, t, was_cancelled);
            return -1;
        }
        stats->memory_retries++;
    }
}

static int in_shard(const np_pipeline_config *config, size_t index)
{
    return config->shard_count <= 1 || index % config->shard_count == config->shard_index;
}

/* The article's position among its shard's. */
static size_t shard_position(const np_pipeline_config *config, size_t index)
{
    return config->shard_count <= 1 ? index : index / config->shard_count;
}

int np_dispatch(np_source *source, const np_pipeline_config *config, size_t lane, size_t lanes,
                np_scheduler *scheduler, np_collector *collector, np_ideal *ideal,
                np_run_stats *stats, char *err, size_t err_size)
{
    np_work work;
    int got;
    while ((got = np_source_next(source, &work, err, err_size)) == 1) {
        if (!in_shard(config, work.index) ||
            (lanes > 1 && shard_position(config, work.index) % lanes != lane)) {
            free(work.owned);
            continue;
        }
        size_t counted = np_collector_next_slot(collector);
        np_task task = {.work = work,
                        .slot = lanes > 1 ? shard_position(config, work.index) : counted};
        if (cancelled(config)) {
            deliver_unprocessed(collector, &task, 1);
            continue;
        }
        if (reserve_memory(config, scheduler, collector, ideal, &task, stats) != 0)
            continue; /* delivered failed or cancelled: it takes no time in the ideal schedule */
        /* A backend that cannot plan: its measured times are added after the run (pipeline). */
        if (np_process_ideal_known(&config->process))
            np_ideal_add(ideal, np_process_ideal_ms(work.article, &config->process));
        scheduler->ops->submit(scheduler, &task);
    }
    return got < 0 ? 1 : 0;
}

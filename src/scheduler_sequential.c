/*
 * The sequential scheduler: no thread besides the dispatcher, which runs each article's stages
 * itself as it is submitted; the collector, without a thread of its own, stores the result on
 * the same thread. Nothing is ever in flight, so refused memory cannot be waited for.
 */
#include <stdio.h>
#include <stdlib.h>

#include "np/scheduler.h"

typedef struct sequential_scheduler {
    np_scheduler base;
    const np_process_config *process;
    np_collector *collector;
} sequential_scheduler;

static np_scheduler *start(const np_pipeline_config *config, np_collector *collector,
                           const pthread_attr_t *attr, int bulk, np_run_stats *stats, char *err,
                           size_t err_size)
{
    (void)attr;
    (void)bulk;
    (void)stats;
    sequential_scheduler *s = malloc(sizeof(*s));
    if (!s) {
        snprintf(err, err_size, "out of memory setting up the run");
        return NULL;
    }
    *s = (sequential_scheduler){
        .base = {&np_scheduler_sequential}, .process = &config->process, .collector = collector};
    return &s->base;
}

static void submit(np_scheduler *base, const np_task *task)
{
    sequential_scheduler *s = (sequential_scheduler *)base;
    np_task_process(s->collector, s->process, task);
}

static np_room make_room(np_scheduler *base)
{
    (void)base;
    return NP_ROOM_NONE;
}

static void finish(np_scheduler *base)
{
    free(base);
}

const np_scheduler_ops np_scheduler_sequential = {start, submit, make_room, finish};

/*
 * What every scheduler shares: the table from mode to scheduler, and running one task's stages on
 * whichever thread the scheduler chose, on the way from the dispatcher to the collector.
 */
#include "np/scheduler.h"

#include <stdlib.h>

#include "np/process.h"

const np_scheduler_ops *np_scheduler_for(np_mode mode)
{
    static const np_scheduler_ops *const schedulers[NP_MODE_COUNT] = {
        [NP_MODE_THREAD] = &np_scheduler_thread,
        [NP_MODE_POOL] = &np_scheduler_pool,
        [NP_MODE_SEQUENTIAL] = &np_scheduler_sequential,
    };
    return schedulers[mode];
}

void np_task_run(const np_process_config *process, const np_task *task, np_finished *item)
{
    *item = (np_finished){.work = task->work, .slot = task->slot};
    if (np_cancel_reason_of(process->cancel) != NP_CANCEL_NONE) {
        free(task->summary);
        np_process_skip_cancelled(task->work.index, &item->result);
    } else {
        np_process_article(task->work.article, task->work.index, process, task->summary,
                           &item->result);
    }
}

void np_task_process(np_collector *collector, const np_process_config *process, const np_task *task)
{
    np_finished item;
    np_task_run(process, task, &item);
    np_collector_deliver(collector, &item, 1);
}

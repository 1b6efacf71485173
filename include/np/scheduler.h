/*
 * Schedulers: how the dispatcher's articles get a thread. One per mode behind one interface:
 *   thread      one pthread per article (src/scheduler_thread.c);
 *   pool        a fixed set of workers fed by a bounded work queue (src/scheduler_pool.c);
 *   sequential  no thread: the dispatcher runs the article itself (src/scheduler_sequential.c).
 * Whatever the mode, an article runs its stages (np_task_process) and its result goes to the
 * collector (np_collector_deliver); a scheduler never stores results and never reads the source.
 *
 * Threads and ownership: every function of the interface is called by the dispatcher alone, in
 * the order start, then submit/make_room any number of times, then finish, which returns only
 * when every article submitted has been delivered and every thread the scheduler started has
 * been joined. A submitted task (and its reserved memory) belongs to the scheduler; its result
 * and article memory pass to the collector. The scheduler records its own statistics in the
 * np_run_stats given to start (threads started, peak, refusals, retirements), dispatcher-side.
 * The thread scheduler alone may have two dispatchers (np/dispatcher.h's lanes) calling submit
 * and make_room at once; start and finish are still called once, by the pipeline's thread.
 */
#ifndef NP_SCHEDULER_H
#define NP_SCHEDULER_H

#include <pthread.h>

#include "np/collector.h"
#include "np/pipeline.h"

/* An article handed to a scheduler, with the memory it will need. */
typedef struct np_task {
    np_work work;
    size_t slot;   /* position among the dispatched articles (output order) */
    char *summary; /* from np_process_reserve; the article's result takes it */
} np_task;

/* What make_room did: nothing could be done, an article in flight finished, or (pool mode) an
 * idle worker was retired and joined, giving back its stack. */
typedef enum np_room { NP_ROOM_NONE, NP_ROOM_FINISHED, NP_ROOM_RETIRED, NP_ROOM_COUNT } np_room;

typedef struct np_scheduler np_scheduler;

typedef struct np_scheduler_ops {
    /*
     * Sets up and starts the mode's threads for a run of config (bulk: articles of pure
     * computation, all in memory). Returns the scheduler, or NULL with err (then nothing it
     * started is left running).
     */
    np_scheduler *(*start)(const np_pipeline_config *config, np_collector *collector,
                           const pthread_attr_t *attr, int bulk, np_run_stats *stats, char *err,
                           size_t err_size);
    /*
     * Runs *task -- on its own thread, on a worker, or right here -- and delivers its result.
     * Never fails: when the system refuses a thread or memory it waits for an article in flight
     * to finish, and with none in flight runs the task on the calling thread.
     */
    void (*submit)(np_scheduler *s, const np_task *task);
    /*
     * After memory was refused: waits until an article in flight finishes, or (pool mode)
     * retires an idle worker. NP_ROOM_NONE, at once, when nothing is in flight and nothing can
     * be retired: the memory will not come back by waiting.
     */
    np_room (*make_room)(np_scheduler *s);
    /* After the last submit: waits for every article, joins every thread, frees s. */
    void (*finish)(np_scheduler *s);
} np_scheduler_ops;

/* Every scheduler's first member. */
struct np_scheduler {
    const np_scheduler_ops *ops;
};

extern const np_scheduler_ops np_scheduler_thread;
extern const np_scheduler_ops np_scheduler_pool;
extern const np_scheduler_ops np_scheduler_sequential;

/* The scheduler of mode (one of NP_MODE_COUNT). */
const np_scheduler_ops *np_scheduler_for(np_mode mode);

/*
 * Any thread: runs the stages of *task into *item (or marks it cancelled when the run is), the
 * result taking the task's memory. np_task_process does the same and delivers the result.
 */
void np_task_run(const np_process_config *process, const np_task *task, np_finished *item);
void np_task_process(np_collector *collector, const np_process_config *process,
                     const np_task *task);

#endif

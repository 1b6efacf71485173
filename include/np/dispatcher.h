/*
 * The dispatcher: the loop that feeds a run. It pulls articles from the source in input order,
 * keeps those of its shard, gives each a slot (its output position), reserves the memory the
 * article will need, adds it to the ideal schedule, and submits it to the scheduler. Once the run
 * is cancelled it starts nothing new: each remaining article is delivered as "cancelled", so
 * every input article appears exactly once.
 *
 * Memory pressure is back-pressure, not failure: while np_process_reserve is refused, the
 * dispatcher asks the scheduler to make room (an article in flight finishes, or an idle pool
 * worker is retired) and tries again; the article fails with "out of memory" only when the
 * scheduler can make no room (nothing in flight, nothing to retire). Waiting costs no simulated
 * time: nothing has started.
 *
 * Runs on the caller's thread of np_pipeline_run. In thread mode over an in-memory input there
 * may be two dispatchers ("lanes"), each on its own thread with its own source over the same list:
 * lane k of n takes the articles of its shard whose position in the shard is k modulo n, and
 * gives each its position as its slot (a shared counter would not keep input order across two).
 */
#ifndef NP_DISPATCHER_H
#define NP_DISPATCHER_H

#include <stddef.h>

#include "np/collector.h"
#include "np/ideal.h"
#include "np/pipeline.h"
#include "np/scheduler.h"

/*
 * Dispatches every article of source in lane `lane` of `lanes` (0 of 1: all) to scheduler
 * (started; not finished here). Returns 0 at the end of the input, or 1 when the source reported
 * an error (err holds it; the articles read before it were dispatched).
 */
int np_dispatch(np_source *source, const np_pipeline_config *config, size_t lane, size_t lanes,
                np_scheduler *scheduler, np_collector *collector, np_ideal *ideal,
                np_run_stats *stats, char *err, size_t err_size);

#endif

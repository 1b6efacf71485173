/*
 * `news-processor merge PART...`: the NDJSON outputs of the shards of one run (--shard I/N,
 * --format ndjson) merged back into input order.
 *
 * Each result line carries its input index ("index", from 0: the index --shard divides), so the
 * parts may come in any order, each in its own completion order. merge checks that every index
 * appears once and none is missing below the largest, and writes one results document (or, with
 * --format ndjson, NDJSON lines) in input order, each article's line exactly as its shard wrote
 * it, with the combined figures the lines hold: articles, parts, and the count of each status.
 */
#ifndef NP_MERGE_H
#define NP_MERGE_H

#include <stdio.h>
#include <sys/types.h>

/*
 * Runs the merge subcommand. argv[0] is "merge"; the rest are its arguments. Writes the merged
 * results to out (or, with -o FILE, to FILE, atomically: created with umask_value) and messages
 * ("news-processor: ...") to err. Returns the exit status: 0 merged and written; 1 a part that
 * cannot be read, or an output that cannot be written (no file replaced then); 2 a usage error,
 * a path that names no usable file, or parts that are not the shards' outputs of one run (not a
 * result line, a line without "index", an index twice, an index missing).
 */
int np_merge_main(int argc, char **argv, FILE *out, FILE *err, mode_t umask_value);

#endif

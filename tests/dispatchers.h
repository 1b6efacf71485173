/*
 * When a thread-mode run over an in-memory list has two dispatchers (np/pipeline.h's
 * np_run_stats.dispatchers), computed here on its own so that tests check the pipeline's choice
 * rather than repeat its code: two CPUs or more in this process's affinity mask, and no
 * address-space limit or one that leaves NP_SECOND_DISPATCHER_HEADROOM beyond what is mapped.
 * Needs _GNU_SOURCE (sched_getaffinity, CPU_COUNT).
 */
#ifndef NP_TESTS_DISPATCHERS_H
#define NP_TESTS_DISPATCHERS_H

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "np/pipeline.h"

/* The bytes this process has mapped now (VmSize), or 0 if /proc cannot tell. */
static inline uint64_t mapped_bytes(void)
{
    char line[128] = "";
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm) {
        if (!fgets(line, sizeof(line), statm))
            line[0] = '\0';
        fclose(statm);
    }
    return (uint64_t)strtoull(line, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static inline int two_dispatchers_possible(void)
{
    cpu_set_t set;
    struct rlimit limit;
    return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 2 &&
           getrlimit(RLIMIT_AS, &limit) == 0 &&
           (limit.rlim_cur == RLIM_INFINITY ||
            limit.rlim_cur >= mapped_bytes() + NP_SECOND_DISPATCHER_HEADROOM);
}

#endif

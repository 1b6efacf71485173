/*
 * A model of the bounded queue's protocol (src/queue.c), checked exhaustively by spin
 * (tests/model/check.sh runs it for every configuration, and its mutants).
 *
 * What is modelled, and how:
 *   - The mutex is atomicity. Each critical section, from pthread_mutex_lock (or the return of a
 *     wait) to pthread_mutex_unlock (or the next wait), is one Promela atomic sequence. That is
 *     exact, not an approximation, because every shared field of struct np_queue is read and
 *     written only with the mutex held (ThreadSanitizer checks that part on every make test).
 *   - A condition variable is the set of threads blocked in it: a bitmask, one bit per thread.
 *     pthread_cond_wait sets the caller's bit and blocks until the bit is clear; inside an atomic
 *     sequence a blocking statement releases atomicity, which is the wait releasing the mutex,
 *     and the sequence resumes atomically (the mutex reacquired) at some later moment of spin's
 *     choosing, with other threads free to run in between (stolen wake-ups).
 *     pthread_cond_signal clears one bit, any one, if any is set (POSIX: it unblocks at least one
 *     thread blocked at that moment; unblocking more is a spurious wake-up, below), and
 *     pthread_cond_broadcast clears them all. A signal is never lost: this is the assumption the
 *     proof rests on (glibc bug 25847 broke it; see include/np/queue.h).
 *   - Spurious wake-ups and timeouts: the `environment` process may clear any waiter's bit at any
 *     moment, SPURIOUS times in all, and every return from a timed wait may report ETIMEDOUT,
 *     signalled or not (a timed wait "may return at any time"). The budget is bounded so that a
 *     run ends; an unbounded one would let the environment wake a sleeper forever.
 *   - Items are numbers: producer p's k-th item is p * 4 + k, copied an item at a time (the C
 *     code's memcpy runs are the same copies). The ring keeps its oldest item in slots[0]; see
 *     struct np_queue below.
 *   - Deadlocks: a `watchdog` fires when nothing else can move and asserts that every thread has
 *     returned, so a search with a never claim (pan -a, where spin checks no end states) still
 *     reports them.
 *   - Liveness (LIVENESS, below): the claim that every execution ends with every thread
 *     returned, searched without fairness in the model above (spurious wake-ups bounded, so any
 *     cycle is a livelock), and with weak fairness (pan -a -f) with TIMER, where the collector's
 *     timer may fire without bound, as a real deadline does every time it passes.
 *
 * Configuration: the -D options bound it (tests/model/check.sh passes them); init then picks
 * every combination within the bounds, all in one search: the capacity (MIN_CAPACITY to
 * MAX_CAPACITY), the consumer batch (1, or 2 when the capacity allows), whether main closes the
 * queue concurrently with the pushes or after joining the producers (as the pipeline does), and
 * each producer's item count (1..ITEMS, or exactly ITEMS with EXACT_ITEMS). PRODUCERS; MANY (bit
 * p set: producer p pushes all its items with one np_queue_push_many, otherwise one np_queue_push
 * each); CONSUMERS (consumer 0 is the collector: np_queue_pop_many_until of up to 2 items with a
 * deadline; consumer 1 uses np_queue_pop); SPURIOUS (spurious wake-ups and timer expiries the
 * environment may cause); TIMER (the collector's timer may also fire without bound). With three
 * producers, 0 and 2 alike, only item counts with items[0] <= items[2] are searched (symmetry,
 * in init).
 *
 * Properties: the assertions below, each with a comment saying which; the list is in the
 * README, "How we know the queue is right". NO_INVARIANTS leaves out the counters' invariants
 * and the rationing check, to show that the mutants which lose an item or a thread are caught
 * by the behaviour alone. Every step names the C line it stands for as
 * queue.c:LINE "text on that line"; check.sh fails if the line no longer says so.
 */

/* Bounds of the configurations searched; init picks every combination within them. */
#ifndef MIN_CAPACITY
#define MIN_CAPACITY 1
#endif
#ifndef MAX_CAPACITY
#define MAX_CAPACITY 3
#endif
#ifndef PRODUCERS
#define PRODUCERS 2
#endif
#ifndef ITEMS
#define ITEMS 2
#endif
#ifndef MANY
#define MANY 0
#endif
#ifndef CONSUMERS
#define CONSUMERS 1
#endif
#ifndef SPURIOUS
#define SPURIOUS 1
#endif

/* struct np_queue (queue.c:47 "struct np_queue {"). The ring is kept with its oldest item in
 * slots[0] (head is always 0): where the items sit in the ring is arithmetic, not
 * synchronization, and it is tested
 * on its own (test_queue: wrap-around, FIFO); modelling it would only multiply the states. */
byte slots[MAX_CAPACITY];
byte count;
byte capacity;
byte consumer_batch;
byte waiting_producers, waiting_consumers;
byte producer_wakes_pending, consumer_wakes_pending;
byte unannounced;
bool closed;
/* The condition variables: bit t set while thread t is blocked in the wait. */
byte not_full_set, not_empty_set;

/* Ghost state: what the properties are stated over. Not in the C code. */
byte items[PRODUCERS];    /* how many items producer p pushes (init's choice) */
bool early_close;         /* main closes the queue concurrently with the pushes (init's choice) */
byte accepted[PRODUCERS]; /* how many of them the queue accepted (push returned success) */
byte received[PRODUCERS]; /* how many of them consumers have taken */
byte finished;            /* threads that have returned */
byte spurious = SPURIOUS; /* spurious wake-ups and timeouts the environment may still cause */
bool irregular;           /* a wake-up other than by a counted signal has happened */

/* Scratch for the inlines, used only inside one atomic sequence: not part of the state. */
hidden byte unwoken, wake, i;

#define BITS3(s) (((s) & 1) + (((s) >> 1) & 1) + (((s) >> 2) & 1))

/* pthread_cond_signal: unblocks one current waiter, if any, spin choosing which. */
inline cond_signal(set)
{
    if
    :: set & 1 -> set = set ^ 1
    :: set & 2 -> set = set ^ 2
    :: set & 4 -> set = set ^ 4
    :: set == 0 -> skip
    fi
}

/*
 * pthread_cond_wait(set): join the waiters and block (the mutex released) until unblocked; the
 * atomic sequence then resumes with the mutex held.
 */
inline cond_wait(set, me)
{
    set = set | me;
    (set & me) == 0
}

/* leave_wait (queue.c:136 "static void leave_wait("): one waiter fewer, and one pending signal
 * fewer if any. */
inline leave_wait(waiting, pending)
{
    waiting--;                                                    /* queue.c:138 "(*waiting)--" */
#ifndef MUTANT_LEAVE_KEEPS_PENDING
    if
    :: pending > 0 -> pending--                        /* queue.c:139 "if (*pending)" */
#ifdef MUTANT_DOUBLE_DECREMENT
        ; if :: pending > 0 -> pending-- :: else fi
#endif
    :: else
    fi
#endif
}

/*
 * wake_waiters (queue.c:149 "static void wake_waiters("): up to n signals, one per waiter not
 * already signalled.
 * Rationing, asserted: while nothing irregular has happened (no spurious wake-up, no timeout, no
 * close), each counted signal finds a thread still blocked, that is, no signal is wasted.
 */
inline wake_waiters(set, waiting, pending, n)
{
    unwoken = waiting - pending;                  /* queue.c:151 "size_t unwoken = waiting - *pending" */
    wake = (n < unwoken -> n : unwoken);          /* queue.c:152 "size_t wake = n < unwoken ? n : unwoken" */
    i = 0;
    do
    :: i < wake ->                                /* queue.c:153 "for (size_t i = 0; i < wake; i++)" */
#ifndef NO_INVARIANTS
        assert(set != 0 || irregular || closed);  /* rationing: no wasted signal */
#endif
        cond_signal(set);                         /* queue.c:154 "pthread_cond_signal(cond)" */
        i++
    :: else -> break
    od;
#ifndef MUTANT_UNCOUNTED_SIGNAL
    pending = pending + wake                      /* queue.c:155 "*pending += wake" */
#endif
}

/*
 * The counters' invariants, asserted whenever the mutex is released (at unlock and in a wait).
 * "On its way": blocked in the wait no more (woken), but not yet back under the mutex.
 */
inline check_invariants()
{
#ifndef NO_INVARIANTS
    assert(count <= capacity);
    /* pending wakes never exceed waiters (nor does the set: every thread in it is counted) */
    assert(producer_wakes_pending <= waiting_producers);
    assert(consumer_wakes_pending <= waiting_consumers);
    assert(BITS3(not_full_set) <= waiting_producers);
    assert(BITS3(not_empty_set) <= waiting_consumers);
    /* no lost wake-up: with a batch queued (or the queue closed) and consumers waiting, one of
     * them is on its way; with room below the half mark (or closed) and producers waiting,
     * one of them is on its way */
    assert(!((count >= consumer_batch || closed) && waiting_consumers > 0) ||
           BITS3(not_empty_set) < waiting_consumers);
    assert(!((count <= capacity / 2 || closed) && waiting_producers > 0) ||
           BITS3(not_full_set) < waiting_producers);
#else
    skip;
#endif
}

/*
 * np_queue_push_many (queue.c:159 "size_t np_queue_push_many("), and np_queue_push
 * (queue.c:206 "int np_queue_push(") when n == 1: producer p pushes its next n items; `pushed`
 * says how many went in.
 */
inline push_many(p, n, pushed)
{
    atomic {
        was_closed = closed;                                /* queue.c:164 "pthread_mutex_lock(&q->mutex)" */
        pushed = 0;
        do
        :: pushed < n ->                                    /* queue.c:165 "while (pushed < n)" */
            do
            :: count == capacity && !closed ->              /* queue.c:168 "while (q->count == q->capacity && !q->closed)" */
                waiting_producers++;                        /* queue.c:169 "q->waiting_producers++" */
                check_invariants();
                cond_wait(not_full_set, 1 << p);            /* queue.c:170 "pthread_cond_wait(&q->not_full, &q->mutex)" */
                leave_wait(waiting_producers, producer_wakes_pending) /* queue.c:171 "leave_wait(&q->waiting_producers" */
            :: else -> break
            od;
#ifndef MUTANT_PUSH_IGNORES_CLOSE
            if
            :: closed -> break                              /* queue.c:176 "if (q->closed)" */
            :: else
            fi;
#endif
            copied = 0;
            do
            :: pushed < n && count < capacity ->            /* queue.c:180 "while (pushed < n && q->count < q->capacity)" */
                slots[count] = p * 4 + accepted[p];         /* queue.c:189 "memcpy(q->slots + tail" */
                count++;
                pushed++;
                copied++;
                accepted[p]++
            :: else -> break
            od;
            if
#ifndef MUTANT_NO_SIGNAL_AT_BATCH
            :: count >= consumer_batch ->                   /* queue.c:197 "if (q->count >= q->consumer_batch)" */
#else
            :: count > consumer_batch ->
#endif
                wake_waiters(not_empty_set, waiting_consumers, consumer_wakes_pending, copied) /* queue.c:198 "wake_waiters(&q->not_empty" */
            :: else
            fi
        :: else -> break
        od;
        /* a push fails only on a closed queue, and one that finds it closed queues nothing */
        assert(pushed == n || closed);
        assert(!was_closed || pushed == 0);
        check_invariants();
        copied = 0;
        was_closed = 0
    }                                                       /* queue.c:200 "pthread_mutex_unlock(&q->mutex)" */
}

/*
 * np_queue_pop_many_until (queue.c:212 "size_t np_queue_pop_many_until("), and without a
 * deadline np_queue_pop_many (queue.c:271 "return np_queue_pop_many_until(q, items, max, NULL, NULL)")
 * and np_queue_pop (queue.c:276 "return np_queue_pop_many(q, item, 1) == 1"): consumer c takes
 * up to max items; has_deadline says whether it has one. Leaves `taken` and `timed_out`.
 */
inline pop_many_until(c, max, has_deadline, taken, timed_out)
{
    atomic {
        expired = 0;                                        /* queue.c:216 "pthread_mutex_lock(&q->mutex)" */
        if
        :: count == 0 ->                                    /* queue.c:220 "if (q->count == 0)" */
#ifndef MUTANT_IF_NOT_WHILE
            do
            :: count < consumer_batch && !closed && !expired -> /* queue.c:221 "while (q->count < q->consumer_batch && !q->closed && !expired)" */
#else
            if
            :: count < consumer_batch && !closed && !expired ->
#endif
                waiting_consumers++;                        /* queue.c:222 "q->waiting_consumers++" */
                check_invariants();
                cond_wait(not_empty_set, 1 << c);           /* queue.c:226 "pthread_cond_wait(&q->not_empty, &q->mutex)" */
                if
                :: has_deadline -> expired = 1              /* queue.c:224 "== ETIMEDOUT" */
                :: true
                fi;
                irregular = irregular || expired;
                leave_wait(waiting_consumers, consumer_wakes_pending) /* queue.c:227 "leave_wait(&q->waiting_consumers" */
#ifndef MUTANT_IF_NOT_WHILE
            :: else -> break
            od
#else
            :: else
            fi
#endif
        :: else
        fi;
        timed_out = (count == 0 && !closed);                /* queue.c:231 "*timed_out = q->count == 0 && !q->closed" */
        taken = 0;
        do
        :: taken < max && count > 0 ->                      /* queue.c:234 "while (taken < max && q->count > 0)" */
            item = slots[0];                                /* queue.c:240 "memcpy(out + taken * q->item_size" */
            for (i : 1 .. MAX_CAPACITY - 1) { slots[i - 1] = slots[i] }
            slots[MAX_CAPACITY - 1] = 0;
            count--;
            taken++;
            /* exactly once, in order per producer, and only what a push accepted */
            assert(item / 4 < PRODUCERS);
            assert(item % 4 == received[item / 4]);
            assert(item % 4 < accepted[item / 4]);
            received[item / 4]++
        :: else -> break
        od;
        unannounced = unannounced + taken;                  /* queue.c:247 "q->unannounced += taken" */
        if
#ifndef MUTANT_STRICT_HALF
        :: count <= capacity / 2 ->                         /* queue.c:248 "if (q->count <= q->capacity / 2)" */
#else
        :: count < capacity / 2 ->
#endif
            wake_waiters(not_full_set, waiting_producers, producer_wakes_pending, unannounced); /* queue.c:249 "wake_waiters(&q->not_full" */
            unannounced = 0                                 /* queue.c:251 "q->unannounced = 0" */
        :: else
        fi;
        check_invariants();
        item = 0;
        expired = 0
    }                                                       /* queue.c:253 "pthread_mutex_unlock(&q->mutex)" */
}

/* np_queue_close (queue.c:280 "void np_queue_close("). */
inline queue_close()
{
    atomic {
        closed = 1;                                         /* queue.c:283 "q->closed = 1" */
#ifndef MUTANT_CLOSE_NO_BROADCAST_NOT_FULL
        not_full_set = 0;                                   /* queue.c:284 "pthread_cond_broadcast(&q->not_full)" */
#endif
#ifndef MUTANT_CLOSE_NO_BROADCAST_NOT_EMPTY
        not_empty_set = 0;                                  /* queue.c:285 "pthread_cond_broadcast(&q->not_empty)" */
#endif
        check_invariants()
    }
}

/* An article thread, or a pool worker handing over results: pushes items[p] items, one by one
 * or all at once, and stops at the first push that fails (the queue is closed). */
proctype producer(byte p)
{
    byte n, pushed, copied;
    bool was_closed, stopped;
    do
    :: atomic {
        accepted[p] < items[p] && !stopped ->
        n = ((MANY >> p) & 1 -> items[p] - accepted[p] : 1);
        push_many(p, n, pushed);
        stopped = pushed < n;
        n = 0;
        pushed = 0
    }
    :: atomic { accepted[p] == items[p] || stopped -> finished++; break }
    od
}

/* The collector (consumer 0: timed pops of up to 2, as with a progress display) and another
 * consumer (np_queue_pop). A consumer stops when a pop returns 0 without a timeout. */
proctype consumer(byte c)
{
    byte taken, item;
    bool timed_out, expired, done;
    do
    :: atomic {
        !done ->
        pop_many_until(c, (c == 0 -> 2 : 1), c == 0, taken, timed_out);
        assert(c == 0 || !timed_out);
        done = taken == 0 && !timed_out;
        taken = 0;
        timed_out = 0
    }
    :: atomic { done -> finished++; break }
    od
}

/* Spurious wake-ups (and the timer of a timed wait): may unblock any waiter at any moment. */
active proctype environment()
{
end:
    do
    :: spurious > 0 && not_full_set != 0 ->
        atomic { spurious--; irregular = 1; cond_signal(not_full_set) }
    :: spurious > 0 && not_empty_set != 0 ->
        atomic { spurious--; irregular = 1; cond_signal(not_empty_set) }
#ifdef TIMER
    /* The liveness search (LIVENESS): the collector's deadline passes, as often as it likes,
     * with no budget. Its timed wait returns (and may then report ETIMEDOUT); weak fairness makes
     * the timer fire eventually while the collector waits, as a real deadline does. */
    :: atomic { not_empty_set & 1 -> irregular = 1; not_empty_set = not_empty_set ^ 1 }
#endif
    od
}

/*
 * Deadlock detection that works in the searches with a never claim too (where spin does not
 * check end states): `timeout` holds when no other statement can run. That is fine once every
 * thread has returned and main has checked the results; before that, it is a deadlock.
 */
active proctype watchdog()
{
end:
    timeout;
    assert(finished == PRODUCERS + CONSUMERS + 1)
}

#ifdef LIVENESS
/*
 * Liveness, searched with pan -a -f (acceptance cycles under weak fairness: a thread that can
 * move continuously eventually moves), with the collector's timer unbounded (TIMER): every
 * execution ends with every thread returned, after main has checked that every accepted item
 * was taken. In particular a blocked push completes (when main closes only after joining the
 * producers, only a consumer's pop can complete it), and a batch queued once the producers are
 * done is taken before close (main's probe waits for it). Without fairness it fails: the
 * collector's timer can fire forever while no other thread is scheduled (check.sh shows that).
 */
ltl terminates { <> (finished == PRODUCERS + CONSUMERS + 1) }
#endif

/* The pipeline's main thread: starts the threads, closes the queue (at any moment, or once the
 * producers are joined), joins everyone, and checks that every accepted item arrived. */
init
{
    byte p, c;
    /* The configuration: every combination within the bounds, all in one search. */
    if
    :: MIN_CAPACITY <= 1 && MAX_CAPACITY >= 1 -> capacity = 1
    :: MIN_CAPACITY <= 2 && MAX_CAPACITY >= 2 -> capacity = 2
    :: MIN_CAPACITY <= 3 && MAX_CAPACITY >= 3 -> capacity = 3
    fi;
    if
    :: consumer_batch = 1                              /* np_queue_set_consumer_batch, before */
    :: capacity >= 2 -> consumer_batch = 2             /* the threads start, as the pipeline does */
    fi;
    if
    :: early_close = 0
    :: early_close = 1
    fi;
    for (p : 0 .. PRODUCERS - 1) {
#ifdef EXACT_ITEMS
        items[p] = ITEMS
#else
        if
        :: ITEMS >= 1 -> items[p] = 1
        :: ITEMS >= 2 -> items[p] = 2
        :: ITEMS >= 3 -> items[p] = 3
        fi
#endif
    }
#if PRODUCERS == 3 && ((MANY & 5) == 5 || (MANY & 5) == 0)
    /* Symmetry: producers 0 and 2 run the same code (both push_many, or both push), and nothing
     * else tells them apart (their thread bit, item numbers and counters are indexed by p alike,
     * and a signal may wake any waiter), so swapping them maps every execution to one where
     * items[0] <= items[2], with the same properties holding. Only those are searched. */
    if
    :: items[0] > items[2] -> c = items[0]; items[0] = items[2]; items[2] = c; c = 0
    :: else
    fi;
#endif
    atomic {
        for (p : 0 .. PRODUCERS - 1) { run producer(p) }
        for (c : 0 .. CONSUMERS - 1) { run consumer(c) }
        p = 0;
        c = 0
    }
    if
    :: early_close -> queue_close()
    :: else ->
        finished == PRODUCERS;
        /* Liveness probe: a batch queued once the producers are done is taken before close. A
         * consumer asleep with a batch queued and no wake-up on its way blocks this forever:
         * spin reports the invalid end state. */
        count < consumer_batch;
        queue_close()
    fi;
    finished == PRODUCERS + CONSUMERS;
    for (p : 0 .. PRODUCERS - 1) {
        assert(received[p] == accepted[p]);
        assert(early_close || accepted[p] == items[p])
    }
    finished++
}

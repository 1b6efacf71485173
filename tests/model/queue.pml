/*
 * A model of the bounded queue's protocol (src/queue.c), checked exhaustively by spin
 * (tests/model/check.sh runs it for every configuration, and its mutants).
 *
 * What is modelled, and how:
 *   - The mutex is atomicity. Each critical section, from pthread_mutex_lock (or the return of a
 *     wait) to pthread_mutex_unlock (or the next wait), is one Promela atomic sequence. That is
 *     exact, not an approximation, because every shared field of struct np_queue is read and
 *     written only with the mutex held (ThreadSanitizer checks that part on every make test).
 *     Inside a critical section the deterministic runs of statements are d_step blocks: the
 *     same steps, executed by spin as one C block instead of one statement at a time. Only two
 *     choices inside a critical section are left to spin: which waiter a signal wakes, and
 *     whether a timed wait reports ETIMEDOUT.
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
 *     run ends; an unbounded one would let the environment wake a sleeper forever. With TIMER
 *     the collector's timer may also fire without bound (the liveness search under fairness).
 *   - Items are numbers: producer p's k-th item is p * 4 + k, copied an item at a time (the C
 *     code's memcpy runs are the same copies). The ring keeps its oldest item in slots[0]; see
 *     struct np_queue below.
 *   - Deadlocks: a `watchdog` fires when nothing else can move and asserts that every thread has
 *     returned, so a search with a never claim (pan -a, where spin checks no end states) still
 *     reports them (under TIMER the claim does, below).
 *   - Liveness (LIVENESS, below): the claim that every execution ends with every thread
 *     returned, searched without fairness in the model above (spurious wake-ups bounded, so any
 *     cycle is a livelock), and with weak fairness (pan -a -f) with TIMER, where the collector's
 *     timer may fire without bound, as a real deadline does every time it passes.
 *
 * Reductions, each of which leaves the behaviours of the C code as they are:
 *   - A thread's return (a ghost count, `finished`) is part of the step of its last call: the
 *     state between the unlock and the return differs from the one after it only in that count,
 *     which only main's joins, the watchdog and the claim read, and they only wait for it to
 *     grow.
 *   - A guard and the step it guards are one atomic step (the environment's wake-ups, main's
 *     close), so no state separates a decision from what it decided.
 *   - Scratch variables that live inside one d_step are `hidden` (not part of the state); the
 *     others are reset at the end of every step, so no state differs only in a dead value.
 *   - A timed wait reports ETIMEDOUT only where its loop would otherwise wait again: elsewhere
 *     the loop ends either way and `expired` is not read after it, so both results lead to the
 *     same state.
 *   - Producers that run the same code and differ only in their number (the same MANY bit) are
 *     interchangeable: nothing in the protocol tells them apart (a signal may wake any waiter),
 *     so only item counts in ascending order among them are searched (init).
 *   - With TIMER the rationing check (no signal wasted before anything irregular happened) is
 *     left out: it holds only until the timer first fires, and those executions are exactly the
 *     ones the searches without TIMER cover.
 *
 * Configuration: the -D options bound it (tests/model/check.sh passes them); init then picks
 * every combination within the bounds, all in one search: the capacity (MIN_CAPACITY to
 * MAX_CAPACITY), the consumer batch (1, or 2 when the capacity allows), whether main closes the
 * queue concurrently with the pushes or after joining the producers (as the pipeline does), and
 * each of the PRODUCERS producers' item counts, 0..ITEMS (0: that thread is never started, so a
 * search with three covers zero to three producers). MANY: bit p set, producer p pushes all its
 * items with one np_queue_push_many, otherwise one np_queue_push each. CONSUMERS: consumer 0 is
 * the collector (np_queue_pop_many_until of up to 2 items with a deadline), consumer 1 uses
 * np_queue_pop. SPURIOUS: the spurious wake-ups and timer expiries the environment may cause.
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
 * synchronization, and it is tested on its own (test_queue: wrap-around, FIFO); modelling it
 * would only multiply the states. */
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
byte finished;            /* threads that have returned (or were never started) */
byte spurious = SPURIOUS; /* spurious wake-ups and timeouts the environment may still cause */
bool irregular;           /* a wake-up other than by a signal or broadcast has happened */

/* wake_waiters' count of signals to send, from its d_step to its loop; 0 between steps. */
byte wake;
/* Scratch used only inside one d_step: not part of the state. */
hidden byte unwoken, copied, item, i;

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

/* leave_wait (queue.c:136 "static void leave_wait("): one waiter fewer, and one pending signal
 * fewer if any. Inside a d_step. */
inline leave_wait(waiting, pending)
{
    waiting--;                                          /* queue.c:138 "(*waiting)--" */
#ifndef MUTANT_LEAVE_KEEPS_PENDING
    if
    :: pending > 0 -> pending--                         /* queue.c:139 "if (*pending)" */
#ifdef MUTANT_DOUBLE_DECREMENT
        ; if :: pending > 0 -> pending-- :: else fi
#endif
    :: else
    fi
#else
    skip
#endif
}

/*
 * wake_waiters (queue.c:149 "static void wake_waiters("), in two parts: count_wakes, inside the
 * d_step before it, decides how many signals (one per waiter not already signalled, up to n)
 * and counts them as pending; send_signals sends them, spin choosing whom each one wakes. The
 * C code counts after the loop; under the mutex the order makes no difference.
 */
inline count_wakes(waiting, pending, n)
{
    unwoken = waiting - pending;                 /* queue.c:151 "size_t unwoken = waiting - *pending" */
    wake = (n < unwoken -> n : unwoken);         /* queue.c:152 "size_t wake = n < unwoken ? n : unwoken" */
#ifndef MUTANT_UNCOUNTED_SIGNAL
    pending = pending + wake                     /* queue.c:155 "*pending += wake" */
#else
    skip
#endif
}

/* Rationing, asserted: while nothing irregular has happened (no spurious wake-up, no timer
 * firing before a signal, no close), each counted signal finds a thread still blocked, that is,
 * no signal is wasted. */
inline send_signals(set)
{
    do
    :: wake > 0 ->                                      /* queue.c:153 "for (size_t i = 0; i < wake; i++)" */
#if !defined(NO_INVARIANTS) && !defined(TIMER)
        assert(set != 0 || irregular || closed);        /* rationing: no wasted signal */
#endif
        cond_signal(set);                               /* queue.c:154 "pthread_cond_signal(cond)" */
        wake--
    :: else -> break
    od
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
    skip
#endif
}

/*
 * np_queue_push_many (queue.c:159 "size_t np_queue_push_many("), and np_queue_push
 * (queue.c:206 "int np_queue_push(") when n == 1: producer p pushes its next n items; `pushed`
 * says how many went in. (A `skip` stands before a d_step that a loop's exit jumps to: spin
 * does not allow a jump into a d_step.)
 */
inline push_many(p, n, pushed)
{
    d_step { was_closed = closed; pushed = 0 }          /* queue.c:164 "pthread_mutex_lock(&q->mutex)" */
    do
    :: pushed < n ->                                    /* queue.c:165 "while (pushed < n)" */
        do
        :: count == capacity && !closed ->              /* queue.c:168 "while (q->count == q->capacity && !q->closed)" */
            d_step {
                waiting_producers++;                    /* queue.c:169 "q->waiting_producers++" */
                not_full_set = not_full_set | (1 << p); /* queue.c:170 "pthread_cond_wait(&q->not_full, &q->mutex)" */
                check_invariants()
            }
            (not_full_set & (1 << p)) == 0;             /* blocked until woken, the mutex released */
            d_step { leave_wait(waiting_producers, producer_wakes_pending) } /* queue.c:171 "leave_wait(&q->waiting_producers" */
        :: else -> break
        od;
#ifndef MUTANT_PUSH_IGNORES_CLOSE
        if
        :: closed -> break                              /* queue.c:176 "if (q->closed)" */
        :: else
        fi;
#else
        skip;
#endif
        d_step {
            copied = 0;
            do
            :: pushed < n && count < capacity ->        /* queue.c:180 "while (pushed < n && q->count < q->capacity)" */
                slots[count] = p * 4 + accepted[p];     /* queue.c:189 "memcpy(q->slots + tail" */
                count++;
                pushed++;
                copied++;
                accepted[p]++
            :: else -> break
            od;
            if
#ifndef MUTANT_NO_SIGNAL_AT_BATCH
            :: count >= consumer_batch ->               /* queue.c:197 "if (q->count >= q->consumer_batch)" */
#else
            :: count > consumer_batch ->
#endif
                count_wakes(waiting_consumers, consumer_wakes_pending, copied) /* queue.c:198 "wake_waiters(&q->not_empty" */
            :: else -> wake = 0
            fi
        }
        send_signals(not_empty_set)
    :: else -> break
    od;
    skip;
    d_step {
        /* a push fails only on a closed queue, and one that finds it closed queues nothing */
        assert(pushed == n || closed);
        assert(!was_closed || pushed == 0);
        check_invariants();
        was_closed = 0
    }                                                   /* queue.c:200 "pthread_mutex_unlock(&q->mutex)" */
}

/*
 * np_queue_pop_many_until (queue.c:212 "size_t np_queue_pop_many_until("), and without a
 * deadline np_queue_pop_many (queue.c:271 "return np_queue_pop_many_until(q, items, max, NULL, NULL)")
 * and np_queue_pop (queue.c:276 "return np_queue_pop_many(q, item, 1) == 1"): consumer c takes
 * up to max items; has_deadline says whether it has one. Leaves `taken` and `timed_out`.
 */
inline pop_many_until(c, max, has_deadline, taken, timed_out, expired)
{
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
            d_step {
                waiting_consumers++;                    /* queue.c:222 "q->waiting_consumers++" */
                not_empty_set = not_empty_set | (1 << c); /* queue.c:226 "pthread_cond_wait(&q->not_empty, &q->mutex)" */
                check_invariants()
            }
            (not_empty_set & (1 << c)) == 0;            /* blocked until woken, the mutex released */
            /* A timed wait may report ETIMEDOUT whenever it returns, signalled or not. Where the
             * loop's condition no longer holds it makes no difference (the loop ends either way,
             * and `expired` is not read after it), so only there is it left out. */
            if
            :: has_deadline && count < consumer_batch && !closed -> expired = 1 /* queue.c:224 "== ETIMEDOUT" */
            :: expired = 0
            fi;
            d_step { leave_wait(waiting_consumers, consumer_wakes_pending) } /* queue.c:227 "leave_wait(&q->waiting_consumers" */
#ifndef MUTANT_IF_NOT_WHILE
        :: else -> break
        od
#else
        :: else
        fi
#endif
    :: else
    fi;
    skip;
    d_step {
        timed_out = (count == 0 && !closed);            /* queue.c:231 "*timed_out = q->count == 0 && !q->closed" */
        taken = 0;
        do
        :: taken < max && count > 0 ->                  /* queue.c:234 "while (taken < max && q->count > 0)" */
            item = slots[0];                            /* queue.c:240 "memcpy(out + taken * q->item_size" */
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
        unannounced = unannounced + taken;              /* queue.c:247 "q->unannounced += taken" */
        if
#ifndef MUTANT_STRICT_HALF
        :: count <= capacity / 2 ->                     /* queue.c:248 "if (q->count <= q->capacity / 2)" */
#else
        :: count < capacity / 2 ->
#endif
            count_wakes(waiting_producers, producer_wakes_pending, unannounced); /* queue.c:249 "wake_waiters(&q->not_full" */
            unannounced = 0                             /* queue.c:251 "q->unannounced = 0" */
        :: else -> wake = 0
        fi
    }
    send_signals(not_full_set);
    skip;
    d_step {
        check_invariants();
        /* np_queue_pop and np_queue_pop_many wait until an item or close: 0 means closed */
        assert(has_deadline || !timed_out)
    }                                                   /* queue.c:253 "pthread_mutex_unlock(&q->mutex)" */
}

/* np_queue_close (queue.c:280 "void np_queue_close("). Inside a d_step. */
inline queue_close()
{
    closed = 1;                                         /* queue.c:283 "q->closed = 1" */
#ifndef MUTANT_CLOSE_NO_BROADCAST_NOT_FULL
    not_full_set = 0;                                   /* queue.c:284 "pthread_cond_broadcast(&q->not_full)" */
#endif
#ifndef MUTANT_CLOSE_NO_BROADCAST_NOT_EMPTY
    not_empty_set = 0;                                  /* queue.c:285 "pthread_cond_broadcast(&q->not_empty)" */
#endif
    check_invariants()
}

/* An article thread, or a pool worker handing over results: pushes items[p] items, one by one
 * or all at once, and returns after the last, or at the first push that fails (the queue is
 * closed). */
proctype producer(byte p)
{
    byte n, pushed;
    bool was_closed;
    do
    :: atomic {
        n = ((MANY >> p) & 1 -> items[p] - accepted[p] : 1);
        push_many(p, n, pushed);
        if
        :: pushed < n || accepted[p] == items[p] ->
            d_step { n = 0; pushed = 0; finished++ };
            break
        :: else ->
            d_step { n = 0; pushed = 0 }
        fi
    }
    od
}

/* The collector (consumer 0: timed pops of up to 2, as with a progress display) and another
 * consumer (np_queue_pop). A consumer returns when a pop returns 0 without a timeout. */
proctype consumer(byte c)
{
    byte taken;
    bool timed_out, expired;
    do
    :: atomic {
        pop_many_until(c, (c == 0 -> 2 : 1), c == 0, taken, timed_out, expired);
        if
        :: taken == 0 && !timed_out ->
            d_step { taken = 0; timed_out = 0; expired = 0; finished++ };
            break
        :: else ->
            d_step { taken = 0; timed_out = 0; expired = 0 }
        fi
    }
    od
}

/* Spurious wake-ups (and the timer of a timed wait): may unblock any waiter at any moment. */
active proctype environment()
{
end:
    do
    :: atomic { spurious > 0 && not_full_set != 0 ->
        spurious--; irregular = 1; cond_signal(not_full_set) }
    :: atomic { spurious > 0 && not_empty_set != 0 ->
        spurious--; irregular = 1; cond_signal(not_empty_set) }
#ifdef TIMER
    /* The liveness search under fairness: the collector's deadline passes, as often as it likes,
     * with no budget. Its timed wait returns (and may then report ETIMEDOUT); weak fairness makes
     * the timer fire eventually while the collector waits, as a real deadline does. */
    :: atomic { not_empty_set & 1 -> not_empty_set = not_empty_set ^ 1 }
#endif
    od
}

/*
 * Deadlock detection that works in the searches with a never claim too (where spin does not
 * check end states): `timeout` holds when no other statement can run. That is fine once every
 * thread has returned and main has checked the results; before that, it is a deadlock. Left out
 * under TIMER (the searches under fairness): there a deadlock is an execution that never ends,
 * which the claim catches by itself.
 */
#ifndef TIMER
active proctype watchdog()
{
end:
    timeout;
    assert(finished == PRODUCERS + CONSUMERS + 1)
}
#endif

#ifdef LIVENESS
/*
 * Liveness, searched with pan -a: every execution ends with every thread returned, after main
 * has checked that every accepted item was taken. Without TIMER, under any scheduling (no
 * fairness); with TIMER, under weak fairness (pan -a -f: a thread that can move continuously
 * eventually moves; the timer fires eventually while the collector waits). In particular a
 * blocked push completes (when main closes only after joining the producers, only a consumer's
 * pop can complete it), and a batch queued once the producers are done is taken before close
 * (main's probe waits for it). With TIMER but without fairness it fails: the collector's timer
 * can fire forever while no other thread is scheduled (check.sh shows that).
 */
ltl terminates { <> (finished == PRODUCERS + CONSUMERS + 1) }
#endif

/* Producers p and q run the same code (the same MANY bit). */
#define ALIKE(p, q) ((((MANY >> (p)) ^ (MANY >> (q))) & 1) == 0)

/* The pipeline's main thread: starts the threads, closes the queue (at any moment, or once the
 * producers are joined), joins everyone, and checks that every accepted item arrived. */
init
{
    byte p, q, least;
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
        /* Symmetry: a producer alike to an earlier one pushes at least as many items. */
        least = 0;
        for (q : 0 .. PRODUCERS - 1) {
            if
            :: q < p && ALIKE(p, q) && items[q] > least -> least = items[q]
            :: else
            fi
        }
        if
        :: least <= 0 -> items[p] = 0
        :: least <= 1 && ITEMS >= 1 -> items[p] = 1
        :: least <= 2 && ITEMS >= 2 -> items[p] = 2
        :: least <= 3 && ITEMS >= 3 -> items[p] = 3
        fi
    }
    atomic {
        for (p : 0 .. PRODUCERS - 1) {
            if
            :: items[p] > 0 -> run producer(p)
            :: else -> finished++                      /* never started: nothing to join */
            fi
        }
        for (q : 0 .. CONSUMERS - 1) { run consumer(q) }
        p = 0;
        q = 0;
        least = 0
    }
    if
    :: d_step { early_close -> queue_close() }
    :: d_step {
        /* Liveness probe: main closes only once a batch queued after the producers are done has
         * been taken. A consumer asleep beside a queued batch, no wake-up on its way, blocks
         * this forever: a deadlock, which the watchdog (or the claim) reports. */
        !early_close && finished == PRODUCERS && count < consumer_batch -> queue_close()
       }
    fi;
    d_step {
        finished == PRODUCERS + CONSUMERS;
        for (p : 0 .. PRODUCERS - 1) {
            assert(received[p] == accepted[p]);
            assert(early_close || accepted[p] == items[p])
        }
        p = 0;
        finished++
    }
}

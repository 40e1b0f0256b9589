/*
 * contention.h — the mutex and block profiles: time threads lose waiting
 * for each other, charged to the stack that waited.
 *
 *   contention_hooks.c   interposed pthread_mutex_lock/timedlock and
 *                        pthread_rwlock_rdlock/wrlock/timed forms: one
 *                        trylock when the lock is free; a lock that must
 *                        wait is timed and, sampled 1 in CPROF_MUTEX_RATE,
 *                        recorded by the waiter's stack; and the waits of
 *                        the block profile (pthread_cond_wait/timedwait,
 *                        sem_wait/timedwait, pthread_join,
 *                        pthread_barrier_wait), sampled by duration as
 *                        Go's block profile (CPROF_BLOCK_RATE ns)
 *   contention_profile.c the "mutex" and "block" sources: the tables as
 *                        profile.proto (contentions/count, delay/
 *                        nanoseconds, scaled as Go scales them) or Go's
 *                        debug=1 text ("--- mutex:" / "--- contention:")
 *
 * Which stack is charged: the waiter's, at the call that waited (Go
 * charges the unlocker, whose critical section made others wait). In C
 * the waiter's stack is what can be taken cheaply and safely (the holder
 * would have to be unwound at unlock time, on every unlock of a contended
 * lock), and it names the lock and the path that suffers; the critical
 * sections to shorten are the ones that lock the same lock, which the
 * profile's other stacks on that call site show.
 */
#ifndef CPROF_CONTENTION_H
#define CPROF_CONTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pprof/profiles.h"

/* The two profiles (profile_request.variant of their sources). */
enum contention_kind { CONTENTION_MUTEX, CONTENTION_BLOCK, CONTENTION_KINDS };

/* The mutex profile's default rate: 1 in 10 contention events recorded
 * (BENCHMARKS.md: the cost per recorded event, and of the hooks). */
#define CONTENTION_DEFAULT_MUTEX_RATE 10

/* Sample 1 in rate contention events, as runtime.SetMutexProfileFraction;
 * 0 = off (the hooks then only try-lock and wait). Set by cprof_start from
 * CPROF_MUTEX_RATE (config.c), 0 again by cprof_stop. */
void contention_set_mutex_rate(int64_t rate);
int64_t contention_mutex_rate(void);

/* The block profile's rate in ns, as runtime.SetBlockProfileRate: a wait
 * of d ns is recorded when d >= rate, else with probability d/rate;
 * 0 = off (the hooks then add one load to each wait). CPROF_BLOCK_RATE. */
#define CONTENTION_DEFAULT_BLOCK_RATE 10000000 /* 10 ms */
void contention_set_block_rate(int64_t rate_ns);
int64_t contention_block_rate(void);

/* Block counts are kept in thousandths of an event (a sampled short wait
 * stands for rate/d events). */
#define CONTENTION_BLOCK_COUNT_UNIT 1000

/* Distinct stacks recorded (index page counts). */
long contention_count_mutex(void);
long contention_count_block(void);

/* A wait the hooks timed: add it to kind's table with the waiter's stack
 * pcs[0..n) (return addresses, leaf first), count events and delay_ns of
 * waiting. Lock-free, malloc-free (contention_hooks.c). */
void contention_record(enum contention_kind kind, const uint64_t *pcs, size_t n, int64_t count,
                       int64_t delay_ns);

/* The table of kind as records (unwind/stack_counts.h: values[0] events,
 * values[1] delay in ns, both as sampled); caller frees. */
struct stack_counts_record *contention_snapshot(enum contention_kind kind, size_t *n, int *oom);

/* The "mutex" and "block" sources (variant: the kind): proto or text by
 * debug; build is one side of a NAME?seconds=N delta. */
profile_status contention_profile_write(const profile_request *req, buf *out, char *err,
                                        size_t err_len);
profile_status contention_profile_build(const profile_request *req, struct profile **out, char *err,
                                        size_t err_len);

#endif

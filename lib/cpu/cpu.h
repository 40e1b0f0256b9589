/*
 * cpu.h — the CPU profile: every thread sampled on its own CPU-time clock.
 *
 *   cpu_ring.c     the lock-free ring the signal handler writes samples
 *                  into (fixed-size records, multi-producer, one consumer)
 *   cpu_stacks.c   aggregation of drained samples (stack -> count) and the
 *                  profile model built from it (with the lost-samples frame)
 *   cpu_sampler.c  the signal handler, the per-thread timers and the one
 *                  profiling session at a time (start, drain, stop)
 *   cpu_profile.c  the "profile" source (given its parsed seconds and hz)
 *                  and cprof_cpu_start/cprof_cpu_stop (a file of the whole
 *                  run; preload.c calls it for CPROF_CPU_PROFILE)
 *
 * Nothing here reads the environment or knows HTTP: config.c parses the
 * CPROF_CPU_* variables, the router the query, and the source answers a
 * neutral profile_status.
 */
#ifndef CPROF_CPU_H
#define CPROF_CPU_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "pprof/profile.h"
#include "pprof/profiles.h"

#define CPU_MAX_FRAMES 64
#define CPU_DEFAULT_HZ 100
#define CPU_MIN_HZ 1
#define CPU_MAX_HZ 5000
/* A request that names no rate: the running session's, else the default. */
#define CPU_HZ_ANY 0
#define CPU_DEFAULT_SECONDS 30 /* Go's default */
#define CPU_BUSY_MESSAGE "Could not enable CPU profiling: cpu profiling already in use"

/* ---- the sample ring (cpu_ring.c) ---------------------------------------- */

typedef struct cpu_record {
    _Atomic uint64_t seq; /* Vyukov's sequence: == index when free to write */
    uint32_t n_pcs;
    uint32_t weight; /* timer expirations this sample stands for (1 + overrun) */
    uint32_t labels; /* the thread's label-set id (labels.h), 0 when none */
    int32_t tid;     /* the sampled thread */
    int64_t time_ns; /* CLOCK_MONOTONIC when it was taken (the trace's timeline) */
    uint64_t pcs[CPU_MAX_FRAMES];
} cpu_record;

typedef struct cpu_ring {
    size_t mask; /* slots - 1 */
    _Atomic uint64_t tail;
    uint64_t head;           /* the consumer's only */
    _Atomic uint64_t lost;   /* expirations dropped because the ring was full */
    _Atomic uint64_t pushed; /* records written */
    cpu_record *slots;
    size_t map_len;
} cpu_ring;

/* A ring of at least `slots` records (rounded up to a power of two),
 * mmap'd; NULL when out of memory. */
cpu_ring *cpu_ring_new(size_t slots);
void cpu_ring_free(cpu_ring *r);
/* Async-signal-safe: copy one sample of the calling thread in (labels: its
 * label-set id), stamped with its tid and the monotonic clock. 0, or -1
 * when full (weight is added to the lost count). */
int cpu_ring_push(cpu_ring *r, const uint64_t *pcs, size_t n_pcs, uint32_t weight, uint32_t labels);

typedef void (*cpu_sample_fn)(const cpu_record *rec, void *ctx);
/* The single consumer: hand every complete record to fn, in order, and free
 * its slot. Stops at a record still being written. Returns the count. */
size_t cpu_ring_drain(cpu_ring *r, cpu_sample_fn fn, void *ctx);

/* ---- aggregation (cpu_stacks.c) ----------------------------------------- */

typedef struct cpu_stacks cpu_stacks;

cpu_stacks *cpu_stacks_new(void);
void cpu_stacks_free(cpu_stacks *s);
/* Count one more sample of weight w on this stack and label set (labels.h
 * id; samples of one stack with different labels stay apart). 0, or -1
 * when out of memory (the sample is counted as lost). */
int cpu_stacks_add(cpu_stacks *s, const uint64_t *pcs, size_t n_pcs, uint64_t w, uint32_t labels);
/* cpu_sample_fn adapter: ctx is the cpu_stacks. */
void cpu_stacks_sink(const cpu_record *rec, void *ctx);
/* Samples lost outside the table (ring full, out of memory). */
void cpu_stacks_add_lost(cpu_stacks *s, uint64_t w);
uint64_t cpu_stacks_total(const cpu_stacks *s); /* weights, lost included */
uint64_t cpu_stacks_lost(const cpu_stacks *s);
/* The profile of reference §2: samples/count, cpu/nanoseconds, period
 * 1e9/hz; lost samples as one sample on the pseudo-frame
 * cprof_lost_samples. NULL when out of memory. */
profile *cpu_stacks_profile(const cpu_stacks *s, int hz, int64_t start_nanos,
                            int64_t duration_nanos);
/* The pc the lost samples are reported at. */
uint64_t cpu_lost_samples_pc(void);

/* ---- the sampler (cpu_sampler.c) ----------------------------------------- */

/* Begin the foreground consumer of the one session (an HTTP /profile, a
 * file profile): arm the timers, or share those the push agent's
 * background consumer runs at the same rate; samples go into acc (which
 * the caller owns). *hz is the rate asked for, or CPU_HZ_ANY (a request
 * that named none): then the agent's rate when it samples, else
 * CPU_DEFAULT_HZ, as Go keeps the running rate; on PROFILE_OK *hz is the
 * rate the samples come at. Returns PROFILE_OK; PROFILE_BUSY (Go's
 * CPU_BUSY_MESSAGE in err) when a foreground consumer runs, or the agent
 * samples at another rate than a named one; PROFILE_FAILED with a one-line
 * reason in err. */
profile_status cpu_session_begin(int *hz, cpu_stacks *acc, char *err, size_t err_len);
/* The same with any sink instead of a stack table (the trace, lib/trace:
 * every record with its tid and time, handed to fn under the session's
 * lock); end it with cpu_session_end_to, which hands fn the rest and puts
 * the samples lost meanwhile in *lost (may be NULL). */
profile_status cpu_session_begin_to(int *hz, cpu_sample_fn fn, void *ctx, char *err,
                                    size_t err_len);
void cpu_session_end_to(uint64_t *lost);
/* Move what the handler wrote so far into every consumer's table (either
 * consumer may call it). */
void cpu_session_drain(void);
/* End the foreground consumer: the rest of its samples and the lost count
 * go into acc; the timers stop unless the push agent still samples (no
 * timer and no handler left running when it returns then). acc NULL: drop
 * them, and keep the ring, when another collector may still be draining. */
void cpu_session_end(cpu_stacks *acc);
/* The background consumer (the push agent), same rules: begin sharing or
 * starting the timers with samples into acc; swap in a fresh table and
 * get the old one back, with every sample up to now and the interval's
 * lost count (NULL when none runs); end, getting the last table back (the
 * caller frees tables). */
profile_status cpu_background_begin(int hz, cpu_stacks *acc, char *err, size_t err_len);
cpu_stacks *cpu_background_swap(cpu_stacks *fresh);
cpu_stacks *cpu_background_end(void);
/* The push agent's rate from its start to its stop (0: no agent in this
 * process). A foreground consumer that names no rate (CPU_HZ_ANY) takes
 * it, also before the agent's thread has joined the session, so that a
 * file profile started with the agent (CPROF_CPU_PROFILE and
 * CPROF_PUSH_URL) shares its timers instead of taking another rate. One
 * atomic store: safe in an atfork child handler. */
void cpu_background_expect(int hz);
/* The running session's rate, 0 when none runs. */
int cpu_session_hz(void);
/* Sessions that began since start (HTTP profiles, files, the API), and
 * whether one runs now. Lock-free reads. */
uint64_t cpu_sessions_total(void);
int cpu_session_active(void);
/* Threads with a timer right now (tests). */
size_t cpu_session_armed_threads(void);
/* Threads that blocked the signal when the last session began (they go
 * unsampled while they block it), and the signal. */
size_t cpu_session_blocked_threads(void);
int cpu_session_signal(void);
/* CPU time the profiler's own threads (which are not sampled) used during
 * the last session, measured at its end. */
int64_t cpu_session_own_cpu_ns(void);

/* Hooks of the pthread_create trampoline (threads_hooks.c): a thread born
 * during a session arms its own timer; a dying one deletes it. */
void cpu_thread_started(void);
void cpu_thread_exiting(void);

/* The signal from a CPROF_CPU_SIGNAL value (NULL = SIGPROF); -1 when not a
 * usable signal. Pure. */
int cpu_parse_signal(const char *text, int sigrtmin, int sigrtmax);
/* The signal sessions use from now on (CPROF_CPU_SIGNAL, parsed by
 * config.c). Default SIGPROF. */
void cpu_set_signal(int sig);

/* ---- the profile source and file mode (cpu_profile.c) -------------------- */

/* The "profile" source: a profile of req->seconds at req->hz (parsed and
 * checked by the router from the registry's table). */
profile_status cpu_profile_write(const profile_request *req, buf *out, char *err, size_t err_len);

#endif

/*
 * threads.h — the threads profile: every thread's stack on demand, the
 * goroutine profile of a C program.
 *
 *   threads_hooks.c    pthread_create interposition: a registry of thread
 *                      births (start time, creator stack, profiler-owned)
 *   threads_blocking.c interposed blocking calls (sleep, poll, epoll_wait,
 *                      semop, recv, sigtimedwait, ...) that save their call
 *                      site, so a dump takes those threads' stacks without
 *                      the signal that would cut their call short
 *   threads_capture.c  the dump signal: one thread-directed signal per
 *                      thread, each handler unwinds its own stack into
 *                      preallocated memory; the collector waits, bounded
 *   threads_proc.c     /proc/self/task readers and their pure parsers
 *                      (state, name, times, wchan, syscall, signal masks),
 *                      and the "which system call is it blocked in" rules
 *   threads_snapshot.c one snapshot of every thread (capture + /proc +
 *                      registry, per detail level) and its grouping by
 *                      stack: what both encoders below are built on
 *   threads_text.c     snapshot -> Go's text (debug=1 groups, debug=2 one
 *                      block per thread)
 *   threads_profile.c  snapshot -> groups -> profile.proto; the "threads"
 *                      and "goroutine" sources (proto or text by debug);
 *                      the index summary
 *   threads_create.c   the "threadcreate" source: the creator stacks the
 *                      pthread_create hook counted, exited threads too
 *
 * Dependencies run one way: capture, proc, hooks <- snapshot <- text,
 * profile (profile calls text for debug > 0; text never calls profile).
 *
 * Profiler threads (the HTTP listener and the threads it creates) are listed
 * like any other thread and marked "cprof internal": hiding them would make
 * the count disagree with /proc and with `ps -L`.
 */
#ifndef CPROF_THREADS_H
#define CPROF_THREADS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "pprof/profiles.h"
#include "unwind/stack_counts.h"

#define THREADS_MAX_FRAMES 64     /* frames kept per thread stack */
#define THREADS_CREATOR_FRAMES 32 /* frames kept of the pthread_create call */
#define THREADS_NAME_MAX 16       /* comm, as the kernel keeps it */

/* ---- registry of births (threads_hooks.c) ------------------------------- */

typedef struct thread_birth_info {
    int64_t start_ns; /* CLOCK_MONOTONIC when the thread began running */
    int32_t creator_tid;
    int internal; /* created by a profiler thread */
    char creator_name[THREADS_NAME_MAX];
    uint32_t n_creator;
    uint64_t creator[THREADS_CREATOR_FRAMES]; /* return addresses, leaf first */
} thread_birth_info;

/* Copy what the registry knows about tid. Returns 1 when found, 0 when the
 * thread did not start through the interposed pthread_create (the main
 * thread, threads started before cprof was loaded, raw clone). */
int threads_registry_lookup(pid_t tid, thread_birth_info *out);
/* 1 when tid is known to be a profiler thread. */
int threads_registry_is_internal(pid_t tid);
/* 1 when the calling thread is a profiler thread, or is creating them. */
int threads_self_internal(void);
/* Threads the calling thread creates from now on (and, transitively, the
 * threads those create) belong to the profiler while on != 0. Returns the
 * previous setting, for scopes that nest. */
int threads_mark_internal_creator(int on);

/* ---- thread creations since start (threads_hooks.c) --------------------- */

/* Every creator stack with the number of the program's threads created
 * from it since start (value 0), exited ones included; the profiler's own
 * threads are not counted. As stack_counts_snapshot: caller frees. */
stack_counts_record *threads_creations_snapshot(size_t *n, int *oom);
/* Threads the program created since start. */
long threads_created_count(void);

/* CPU time used by the profiler's own threads since the process started
 * (or forked): the live ones' clocks plus what the ended ones used. The
 * live count in *n_live when not NULL. Their CPU is not in the CPU
 * profile (they get no timer); this is where it is reported. */
int64_t threads_internal_cpu_ns(size_t *n_live);
/* The creator call site (return address in the function that called
 * pthread_create; 0 when not recorded) of each live program thread in the
 * registry, into pcs[0..cap); the profiler's own counted in *n_internal
 * (may be NULL). Returns the number of program threads (> cap: only cap
 * copied). Holds the registry lock for one walk; allocates nothing. */
size_t threads_registry_creators(uint64_t *pcs, size_t cap, size_t *n_internal);
/* The function a creator call site (creator[0]) lies in, innermost inlined
 * one; "?" when unknown. Symbolizes (cached per address). */
const char *threads_creator_function(uint64_t creator_pc);
/* "3 threads, 0.412 s of CPU since start" for the index page. */
void threads_internal_summary(char *out, size_t len);

/* ---- the dump signal (threads_capture.c) -------------------------------- */

enum thread_capture_status {
    CAPTURE_OK = 0,
    CAPTURE_EXITED,   /* the thread was gone before it could answer */
    CAPTURE_BLOCKED,  /* the thread blocks the dump signal */
    CAPTURE_TIMEOUT,  /* the signal was sent, no answer in time */
    CAPTURE_DISABLED, /* no dump signal (CPROF_SIGNAL=off, or none free) */
    CAPTURE_FAILED,   /* the signal could not be queued */
};

typedef struct thread_capture {
    int status;
    int in_syscall;  /* the thread was in (or at) a system call */
    long syscall_nr; /* -1 when unknown */
    uint32_t n_pcs;
    uint64_t pcs[THREADS_MAX_FRAMES]; /* pcs[0] exact, the rest return addresses */
} thread_capture;

/* The signal threads_capture_start will want (CPROF_SIGNAL, parsed by
 * config.c); 0 = no thread dumps. Unset: SIGRTMIN+3. */
void threads_capture_set_signal(int sig);
/* Install the dump signal handler on the wanted signal. Never takes a
 * signal the program already handles. Idempotent. Returns the signal
 * number, or 0 when thread dumps are disabled (said on stderr). */
int threads_capture_start(void);
/* The signal in use, 0 when none. */
int threads_capture_signal(void);
/* Signals queued by dumps since start (tests: no pile-up on threads that
 * block the signal). */
uint64_t threads_capture_signals_sent(void);

/* Called for each thread just before its signal goes out (i indexes tids):
 * the place to read what the signal will disturb (state, wait channel),
 * overlapped with the other threads' answers. */
typedef void (*threads_before_signal_fn)(size_t i, void *ctx);

/* Capture the stacks of tids[0..n) into out[0..n). One dump at a time
 * (concurrent callers wait their turn); each thread gets a bounded time to
 * answer. before may be NULL. Returns 0, or -1 when out of memory. */
int threads_capture(const pid_t *tids, size_t n, thread_capture *out,
                    threads_before_signal_fn before, void *ctx);

/* Choose the signal from a CPROF_SIGNAL value: NULL = default. Returns the
 * signal number, 0 for "off", -1 when the text is not a signal. Pure. */
int threads_parse_signal(const char *text, int sigrtmin, int sigrtmax);

/* ---- /proc readers (threads_proc.c) ------------------------------------- */

typedef struct thread_proc_info {
    char name[THREADS_NAME_MAX];
    char state; /* R S D Z T t X I ...; 0 when unknown */
    uint64_t utime_ticks, stime_ticks;
    uint64_t start_ticks; /* since boot, in clock ticks */
    char wchan[64];       /* "" when unknown or not blocked */
    long syscall_nr;      /* from /proc/.../syscall; -1 when absent */
    /* Whole-process fields; a task's stat repeats its process's values. */
    long long num_threads;
    uint64_t vsize_bytes;
    long long rss_pages;
} thread_proc_info;

/* Parse one /proc/<pid>/task/<tid>/stat line. 0, or -1 when malformed. */
int threads_parse_stat(const char *text, thread_proc_info *out);
/* Parse /proc/.../syscall: "running", "-1 ...", or "NR args...". Returns the
 * number, -1 when not in a system call or unknown. */
long threads_parse_syscall(const char *text);
/* The user-space PC in a /proc/.../syscall text (its last field), for a
 * thread that is not running. 0 with *pc set, or -1. */
int threads_parse_syscall_pc(const char *text, uint64_t *pc);
/* Is signal sig set in the "SigBlk:" (or "SigPnd:"/"ShdPnd:") line of a
 * /proc status text? 1 yes, 0 no, -1 when the line is missing. */
int threads_status_has_signal(const char *status, const char *field, int sig);
/* Human name of a state letter: "running", "sleeping", "disk wait", ... */
const char *threads_state_name(char state);
/* "poll_schedule_timeout.constprop.0" -> "poll_schedule_timeout". */
void threads_clean_wchan(char *wchan);

/* System call names: number -> name (NULL when unknown). */
const char *threads_syscall_name(long nr);
/* The system call a blocked thread sits in, guessed from its kernel wait
 * channel (NULL when the channel says nothing definite). */
const char *threads_syscall_from_wchan(const char *wchan);
/* The system call named by a libc function at the leaf of a stack:
 * "__GI___libc_read" -> "read", "__futex_abstimed_wait_common" -> "futex".
 * NULL when the function is not a system call wrapper. */
const char *threads_syscall_from_function(const char *function);

/* What /proc/self/task/<tid>/syscall says: nr -1 when the thread is not in
 * a system call (running, or blocked outside one). */
typedef struct thread_syscall {
    long nr;
    uint64_t args[6];
    uint64_t pc; /* the user PC it waits at; 0 when unknown */
} thread_syscall;
/* Parse a /proc/.../syscall text (pc is left 0). 0, or -1 when malformed. */
int threads_parse_syscall_full(const char *text, thread_syscall *out);
/* Read and parse it. 0, or -1 when the file is missing or malformed. */
int threads_read_syscall_full(pid_t tid, thread_syscall *out);

/* The thread ids of this process, ascending. Caller frees; NULL with *n = 0
 * when /proc is unavailable. */
pid_t *threads_list(size_t *n);
/* Read stat (name, state, times). 0, or -1 when the thread is gone. Each
 * /proc file costs 10-20 us a thread, wchan the most, so the others are
 * read only when needed (threads_profile.c). */
int threads_read_proc(pid_t tid, thread_proc_info *out);
/* The same for the whole process (/proc/self/stat: times of all threads,
 * thread count, virtual size, resident pages). 0, or -1. */
int threads_read_process(thread_proc_info *out);
/* /proc/self/task/<tid>/syscall: the call number (-1 when none) and the
 * user PC it waits at (0 when none). 0, or -1 when the file is missing. */
int threads_read_syscall(pid_t tid, long *nr, uint64_t *pc);
/* The cleaned wait channel into out. 0, or -1 when unavailable. */
int threads_read_wchan(pid_t tid, char *out, size_t len);
/* Read /proc/self/task/<tid>/status into out (NUL-terminated). 0 or -1. */
int threads_read_status(pid_t tid, char *out, size_t len);
/* CPU time of a thread of this process in ns, -1 when gone. */
int64_t threads_cpu_ns(pid_t tid);
/* Number of threads of the process ("Threads:" in /proc/self/status). */
long threads_count(void);

/* ---- the snapshot (threads_snapshot.c) ---------------------------------- */

/* Everything known about one thread at dump time. */
typedef struct thread_row {
    pid_t tid;
    int proc_ok; /* proc holds /proc data (0: thread gone, or not read) */
    thread_proc_info proc;
    int64_t age_ns; /* -1 when unknown */
    int64_t cpu_ns; /* -1 when unknown */
    int internal;   /* a profiler thread */
    int has_birth;  /* birth is valid (started through pthread_create) */
    thread_birth_info birth;
    thread_capture cap; /* the stack, or why there is none */
    uint64_t leaf_pc;   /* no stack: the PC /proc reports, 0 when unknown */
    char syscall[32];   /* the call it is blocked in; "" when none/unknown */
    uint32_t labels;    /* its cprof_label_set labels (labels.h id), 0: none */
} thread_row;

typedef struct threads_snapshot {
    thread_row *rows; /* ascending tid */
    size_t n;
    pid_t pid;
} threads_snapshot;

/* Take a snapshot of every thread. detail 0: stacks and registry flags
 * only; 1: plus stat (name, state); 2: plus wchan, syscall, age, CPU time
 * and creator. Returns 0, or -1 when out of memory or /proc is missing. */
int threads_snapshot_take(threads_snapshot *s, int detail);
void threads_snapshot_free(threads_snapshot *s);
/* Fill r->syscall from r->proc and r->cap, best source first (the order in
 * threads_proc.c); "" when the thread is not blocked in a system call. */
void threads_derive_syscall(thread_row *r);
/* Sleeping or in disk wait, or caught in a system call by the dump. */
int threads_row_blocked(const thread_row *r);

typedef struct thread_group {
    const thread_row *row; /* a representative: stack and labels */
    size_t count;
} thread_group;

/* Groups of threads with identical stacks, profiler marker and program
 * labels (cprof_label_set), and when by_labels also name and state), largest first, ties by stack.
 * Threads without a stack are left out. Caller frees; NULL with *n = 0 when none. */
thread_group *threads_group(const threads_snapshot *s, int by_labels, size_t *n_groups);

/* "no stack: signal blocked", ...; NULL when the row has a stack. */
const char *threads_no_stack_reason(const thread_row *r);

/* ---- the encoders (threads_text.c, threads_profile.c) ------------------- */

/* Go's count-profile text (debug=1): "<name> profile: total N", groups,
 * then the memory map section google/pprof's legacy parser reads. */
void threads_write_groups_text(const threads_snapshot *s, const char *name, buf *out);
/* One block per thread (debug=2). */
void threads_write_dump_text(const threads_snapshot *s, buf *out);

/* The names one source serves (profile_request.variant): the sample type
 * and the text header. */
enum threads_view { THREADS_VIEW_THREADS, THREADS_VIEW_GOROUTINE };

/* The "threads" and "goroutine" sources. */
profile_status threads_profile_write(const profile_request *req, buf *out, char *err,
                                     size_t err_len);
/* One snapshot as the model, for a delta (profiles.h: build). */
profile_status threads_profile_build(const profile_request *req, struct profile **out, char *err,
                                     size_t err_len);
/* The "threadcreate" source (threads_create.c): creator stacks, counts
 * since start. */
profile_status threadcreate_profile_write(const profile_request *req, buf *out, char *err,
                                          size_t err_len);
profile_status threadcreate_profile_build(const profile_request *req, struct profile **out,
                                          char *err, size_t err_len);

/* "12 (+3 since last view)" for the index page; each call is one view. */
void threads_index_summary(char *out, size_t len);

#endif

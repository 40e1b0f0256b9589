/*
 * unwind_signal.c — which unwinder should the thread-dump signal handler
 * use? Measures, from inside a signal handler on a thread blocked in read()
 * under a known call chain, three candidates (lib/threads/threads_capture.c):
 *
 *   libgcc     _Unwind_Backtrace (libgcc_s.so.1; lock-free FDE lookup
 *              through glibc's _dl_find_object)
 *   libunwind  unw_init_local2(UNW_INIT_SIGNAL_FRAME) + unw_step, caching
 *              off (libunwind.so.8); then again with its global cache,
 *              which serialises threads on a lock and still takes the
 *              loader lock (dl_iterate_phdr) on every miss
 *   fp         frame-pointer walk from the interrupted rbp, every frame
 *              checked against the thread's stack bounds
 *
 * Both libraries are opened with dlopen, so the comparison does not depend
 * on link order (both export _Unwind_Backtrace). The chain is DEPTH frames
 * of a function built with frame pointers, then leaf_reader(), which calls
 * libc's read() (built without them, as on Debian). Reported per method:
 * the signal round trip, the time spent unwinding in the handler, frames
 * found, and whether leaf_reader (the caller of the libc wrapper, the frame
 * that says what the thread waits for) was among them.
 *
 *   build/bench/unwind_signal [ITERATIONS]
 */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define DEPTH 20
#define MAX_FRAMES 128

enum method { M_LIBGCC, M_LIBUNWIND, M_LIBUNWIND_CACHED, M_FP, N_METHODS };
static const char *method_names[N_METHODS] = {"libgcc", "libunwind", "libunwind+cache", "fp"};

/* ---- the unwinders, resolved at run time ---------------------------------- */

struct _Unwind_Context;
typedef int (*trace_fn)(struct _Unwind_Context *, void *);
static int (*gcc_backtrace)(trace_fn, void *);
static uintptr_t (*gcc_get_ip)(struct _Unwind_Context *, int *);
static int (*lu_init_local2)(unw_cursor_t *, unw_context_t *, int);
static int (*lu_step)(unw_cursor_t *);
static int (*lu_get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
static int (*lu_set_caching_policy)(unw_addr_space_t, unw_caching_policy_t);
static unw_addr_space_t *lu_local_as;

static void *must_sym(void *h, const char *name)
{
    void *p = h ? dlsym(h, name) : NULL;
    if (!p) {
        fprintf(stderr, "unwind_signal: %s not found (%s)\n", name, dlerror());
        exit(1);
    }
    return p;
}

static void load_unwinders(void)
{
    void *gcc = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    gcc_backtrace = must_sym(gcc, "_Unwind_Backtrace");
    gcc_get_ip = must_sym(gcc, "_Unwind_GetIPInfo");
    void *lu = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    lu_init_local2 = must_sym(lu, "_ULx86_64_init_local2");
    lu_step = must_sym(lu, "_ULx86_64_step");
    lu_get_reg = must_sym(lu, "_ULx86_64_get_reg");
    lu_set_caching_policy = must_sym(lu, "_ULx86_64_set_caching_policy");
    lu_local_as = must_sym(lu, "_ULx86_64_local_addr_space");
    lu_set_caching_policy(*lu_local_as, UNW_CACHE_NONE);
}

/* ---- the target thread ---------------------------------------------------- */

static int pipe_fds[2];
static pid_t target_tid;
static uintptr_t stack_lo, stack_hi;
static sem_t target_ready;

__attribute__((noinline)) static void leaf_reader(void)
{
    char c;
    while (read(pipe_fds[0], &c, 1) < 0)
        ;
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, optimize("no-omit-frame-pointer"))) static int chain(int depth)
{
    if (depth == 0)
        leaf_reader();
    else
        chain(depth - 1);
    __asm__ volatile("" ::: "memory");
    return depth;
}

static void *target_main(void *arg)
{
    (void)arg;
    pthread_attr_t a;
    void *addr;
    size_t size;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    stack_lo = (uintptr_t)addr;
    stack_hi = stack_lo + size;
    target_tid = gettid();
    sem_post(&target_ready);
    chain(DEPTH);
    return NULL;
}

/* ---- the handler ------------------------------------------------------------ */

static uintptr_t pcs[MAX_FRAMES];
static int n_pcs;
static int64_t unwind_ns;
static sem_t answered;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int gcc_frame(struct _Unwind_Context *ctx, void *arg)
{
    (void)arg;
    int before;
    if (n_pcs >= MAX_FRAMES)
        return 5;
    pcs[n_pcs++] = gcc_get_ip(ctx, &before);
    return 0;
}

static void unwind_fp(const ucontext_t *uc)
{
    pcs[n_pcs++] = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    while (n_pcs < MAX_FRAMES && fp >= stack_lo && fp + 16 <= stack_hi && (fp & 7) == 0) {
        uintptr_t next = ((uintptr_t *)fp)[0], ret = ((uintptr_t *)fp)[1];
        if (!ret)
            break;
        pcs[n_pcs++] = ret;
        if (next <= fp)
            break;
        fp = next;
    }
}

static void unwind_libunwind(ucontext_t *uc)
{
    unw_cursor_t cursor;
    if (lu_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) != 0)
        return;
    do {
        unw_word_t ip;
        lu_get_reg(&cursor, UNW_REG_IP, &ip);
        pcs[n_pcs++] = (uintptr_t)ip;
    } while (n_pcs < MAX_FRAMES && lu_step(&cursor) > 0);
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    int64_t t0 = now_ns();
    n_pcs = 0;
    switch (si->si_value.sival_int) {
    case M_LIBGCC:
        gcc_backtrace(gcc_frame, NULL);
        break;
    case M_LIBUNWIND:
    case M_LIBUNWIND_CACHED:
        unwind_libunwind(ucv);
        break;
    default:
        unwind_fp(ucv);
    }
    unwind_ns = now_ns() - t0;
    sem_post(&answered);
}

static int has_leaf_reader(void)
{
    uintptr_t lo = (uintptr_t)leaf_reader, hi = lo + 64;
    for (int i = 0; i < n_pcs; i++) {
        if (pcs[i] > lo && pcs[i] <= hi)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    load_unwinders();
    if (pipe(pipe_fds) != 0)
        return 1;
    sem_init(&target_ready, 0, 0);
    sem_init(&answered, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    int sig = SIGRTMIN + 3;
    sigaction(sig, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, target_main, NULL);
    sem_wait(&target_ready);
    usleep(50000);
    printf("%-16s %12s %12s %7s %s\n", "unwinder", "round trip", "in handler", "frames",
           "caller of read()");
    for (int m = 0; m < N_METHODS; m++) {
        int64_t total = 0, in_handler = 0;
        if (m == M_LIBUNWIND_CACHED)
            lu_set_caching_policy(*lu_local_as, UNW_CACHE_GLOBAL);
        for (int i = 0; i <= iterations; i++) {
            siginfo_t info;
            memset(&info, 0, sizeof info);
            info.si_signo = sig;
            info.si_code = SI_QUEUE;
            info.si_pid = getpid();
            info.si_uid = getuid();
            info.si_value.sival_int = m;
            int64_t t0 = now_ns();
            syscall(SYS_rt_tgsigqueueinfo, getpid(), target_tid, sig, &info);
            sem_wait(&answered);
            if (i > 0) { /* the first call warms caches and lazy bindings */
                total += now_ns() - t0;
                in_handler += unwind_ns;
            }
        }
        printf("%-16s %9.2f us %9.2f us %7d %s\n", method_names[m], total / 1e3 / iterations,
               in_handler / 1e3 / iterations, n_pcs, has_leaf_reader() ? "found" : "MISSING");
    }
    return 0;
}

/*
 * test_unwind.c — the hook-context capture (lib/unwind/unwind.c): its two
 * walks give the same stack, a thread switching from one to the other
 * mid-life sees no difference, and a CPU-sample unwind that lands inside
 * a capture keeps the interposer frames (the time shows as cprof's).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "unwind/unwind.h"

typedef size_t (*capture_fn)(uint64_t *pcs, size_t max);

#define MAX 64
#define FN_SPAN 512 /* generous bound on the size of the helpers below */

static volatile int sink;

/* c captures through f at one call site, so every walk must return the
 * same pcs; b and a only add frames (the volatile stores stop tail
 * calls). */
__attribute__((noinline)) static size_t chain_c(capture_fn f, uint64_t *pcs, size_t max)
{
    size_t n = f(pcs, max);
    sink++;
    return n;
}
__attribute__((noinline)) static size_t chain_b(capture_fn f, uint64_t *pcs, size_t max)
{
    size_t n = chain_c(f, pcs, max);
    sink++;
    return n;
}
__attribute__((noinline)) static size_t chain_a(capture_fn f, uint64_t *pcs, size_t max)
{
    size_t n = chain_b(f, pcs, max);
    sink++;
    return n;
}

static int pc_in(uint64_t pc, const void *fn)
{
    return pc > (uint64_t)(uintptr_t)fn && pc < (uint64_t)(uintptr_t)fn + FN_SPAN;
}

static void assert_chain(const uint64_t *pcs, size_t n)
{
    assert_true(n >= 4); /* c, b, a, this test's frame, ... */
    assert_true(pc_in(pcs[0], (const void *)chain_c));
    assert_true(pc_in(pcs[1], (const void *)chain_b));
    assert_true(pc_in(pcs[2], (const void *)chain_a));
}

static void test_both_walks_give_the_same_stack(void **state)
{
    (void)state;
    /* One call site for every walk, so even the frames above chain_a match:
     * libgcc, libunwind, unwind_capture (whichever it uses here), each with
     * room for the whole stack and cut to 2 (max cuts the root side). */
    const capture_fn walks[3] = {unwind_capture_libgcc, unwind_capture_libunwind, unwind_capture};
    const size_t maxes[2] = {MAX, 2};
    uint64_t pcs[6][MAX];
    size_t n[6];
    for (int i = 0; i < 6; i++)
        n[i] = chain_a(walks[i % 3], pcs[i], maxes[i / 3]);
    assert_chain(pcs[0], n[0]);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(n[i], n[0]);
        assert_memory_equal(pcs[i], pcs[0], n[0] * sizeof pcs[0][0]);
    }
    for (int i = 3; i < 6; i++) {
        assert_int_equal(n[i], 2);
        assert_memory_equal(pcs[i], pcs[0], 2 * sizeof pcs[0][0]);
    }
}

/* A fresh thread: its first captures go through libgcc, later ones through
 * libunwind; all 40, from one call site, must be the same stack. */
static void *capture_many(void *arg)
{
    int *mismatches = arg;
    uint64_t first[MAX], pcs[MAX];
    size_t n_first = 0;
    for (int i = 0; i < 40; i++) {
        size_t n = chain_a(unwind_capture, pcs, MAX);
        if (i == 0) {
            n_first = n;
            memcpy(first, pcs, n * sizeof *pcs);
        } else if (n != n_first || memcmp(pcs, first, n * sizeof *pcs) != 0) {
            ++*mismatches;
        }
    }
    if (n_first < 4 || !pc_in(first[0], (const void *)chain_c))
        ++*mismatches;
    return NULL;
}

static void test_a_thread_switching_walks_sees_one_stack(void **state)
{
    (void)state;
    int mismatches = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, capture_many, &mismatches), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(mismatches, 0);
}

/* ---- CPU samples inside a capture -------------------------------------------------- */

#define SAMPLES 4000
static uint64_t sample_pcs[SAMPLES][MAX];
static size_t sample_n[SAMPLES];
static volatile sig_atomic_t samples;

static void on_sigprof(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    int k = samples;
    if (k >= SAMPLES)
        return;
    sample_n[k] = unwind_from_signal(uc, sample_pcs[k], MAX);
    samples = k + 1;
}

/* An interposer stand-in: in the profiler's section, it spins (own frames
 * to drop) then captures (own frames to keep). */
PROFILER_TEXT static void fake_hook(int spin)
{
    uint64_t pcs[MAX];
    for (volatile int i = 0; i < spin; i++)
        ;
    unwind_capture_libgcc(pcs, MAX);
    sink++;
}

static void test_a_sample_inside_a_capture_keeps_the_hook_frames(void **state)
{
    (void)state;
    assert_int_equal(unwind_signal_init(), 0);
    struct sigaction sa = {.sa_sigaction = on_sigprof, .sa_flags = SA_SIGINFO | SA_RESTART}, old;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPROF, &sa, &old), 0);
    struct itimerval it = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &it, NULL);
    for (int round = 0; round < 200000 && samples < SAMPLES; round++)
        fake_hook(2000);
    setitimer(ITIMER_PROF, &off, NULL);
    sigaction(SIGPROF, &old, NULL);

    int inside = 0, outside = 0, wrong = 0;
    for (int k = 0; k < samples; k++) {
        int own = 0, hook = 0;
        for (size_t i = 0; i < sample_n[k]; i++) {
            own |= unwind_is_profiler_pc(sample_pcs[k][i]);
            hook |= pc_in(sample_pcs[k][i], (const void *)fake_hook);
        }
        if (hook && own)
            inside++; /* interrupted in the capture: fake_hook kept */
        else if (!hook && !own)
            outside++; /* in the spin (or the test): fake_hook dropped */
        else
            wrong++;
    }
    assert_int_equal(wrong, 0);
    assert_true(inside > 0);
    assert_true(outside > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_walks_give_the_same_stack),
        cmocka_unit_test(test_a_thread_switching_walks_sees_one_stack),
        cmocka_unit_test(test_a_sample_inside_a_capture_keeps_the_hook_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

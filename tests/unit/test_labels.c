/*
 * Unit tests of the label store (labels/labels.c): the API's refusals and
 * limits (4 keys, truncation at a UTF-8 boundary, NULL clears), one id per
 * distinct set whatever the order the keys were set in, a signal handler
 * on the labelled thread never sees a torn set while the thread changes
 * it, another thread reads a consistent set, slots come back at thread
 * exit, a forked child keeps its thread's labels, samples of one stack
 * with different labels stay apart (CPU table, stack_counts), Go's
 * "# labels:" rendering, and the overflow bucket past LABELS_MAX_SETS.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cprof.h"
#include "cpu/cpu.h"
#include "labels/labels.h"
#include "unwind/stack_counts.h"

/* The value of key in set id, or NULL. */
static const char *value_of(uint32_t id, const char *key)
{
    profile_label l[LABELS_MAX_KEYS];
    size_t n = labels_to_profile(id, l);
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].key, key) == 0)
            return l[i].str;
    return NULL;
}

static void test_set_clear_and_limits(void **state)
{
    (void)state;
    assert_int_equal(labels_current(), LABELS_NONE);
    assert_int_equal(cprof_label_clear("nothing"), 0);
    assert_int_equal(cprof_label_set(NULL, "v"), -1);
    assert_int_equal(cprof_label_set("", "v"), -1);
    assert_int_equal(cprof_label_set("request", "checkout"), 0);
    uint32_t id = labels_current();
    assert_true(id != LABELS_NONE);
    assert_string_equal(value_of(id, "request"), "checkout");
    assert_int_equal(labels_current(), id); /* cached */
    assert_int_equal(cprof_label_set("b", "2"), 0);
    assert_int_equal(cprof_label_set("c", "3"), 0);
    assert_int_equal(cprof_label_set("d", "4"), 0);
    assert_int_equal(cprof_label_set("e", "5"), -1); /* a fifth key */
    assert_null(value_of(labels_current(), "e"));
    assert_int_equal(cprof_label_set("d", "44"), 0); /* replacing is not a new key */
    assert_string_equal(value_of(labels_current(), "d"), "44");
    assert_int_equal(cprof_label_set("d", NULL), 0); /* NULL clears */
    assert_null(value_of(labels_current(), "d"));
    assert_int_equal(cprof_label_clear("b"), 0);
    assert_int_equal(cprof_label_clear("c"), 0);
    assert_int_equal(labels_current(), id); /* back to {request=checkout}: same id */
    /* Truncation: keys keep 31 bytes, values 63, never half a character. */
    char key[100], value[100];
    memset(key, 'k', sizeof key);
    key[99] = '\0';
    memset(value, 'v', 62);
    strcpy(value + 62, "\xc3\xa9tail"); /* é straddles byte 63 */
    assert_int_equal(cprof_label_set(key, value), 0);
    profile_label l[LABELS_MAX_KEYS];
    size_t n = labels_to_profile(labels_current(), l);
    assert_int_equal(n, 2);
    const profile_label *cut = strcmp(l[0].key, "request") == 0 ? &l[1] : &l[0];
    assert_int_equal(strlen(cut->key), LABELS_KEY_MAX - 1);
    assert_int_equal(strlen(cut->str), 62);
    assert_int_equal(cprof_label_clear(NULL), 0);
    assert_int_equal(labels_current(), LABELS_NONE);
}

static uint32_t other_id;

static void *set_reversed(void *arg)
{
    (void)arg;
    cprof_label_set("z", "1");
    cprof_label_set("a", "2");
    other_id = labels_current();
    return NULL;
}

static void test_same_set_same_id_and_format(void **state)
{
    (void)state;
    cprof_label_set("a", "2");
    cprof_label_set("z", "1");
    pthread_t t;
    pthread_create(&t, NULL, set_reversed, NULL);
    pthread_join(t, NULL);
    assert_int_equal(labels_current(), other_id);
    char text[256];
    labels_format_go(other_id, text, sizeof text);
    assert_string_equal(text, "{\"a\":\"2\", \"z\":\"1\"}");
    cprof_label_set("q", "say \"hi\"\\\n");
    labels_format_go(labels_current(), text, sizeof text);
    assert_string_equal(text, "{\"a\":\"2\", \"q\":\"say \\\"hi\\\"\\\\\\x0a\", \"z\":\"1\"}");
    labels_format_go(labels_current(), text, 8); /* cut, still terminated */
    assert_int_equal(strlen(text), 7);
    labels_format_go(LABELS_NONE, text, sizeof text);
    assert_string_equal(text, "");
    cprof_label_clear(NULL);
}

/* ---- consistency under signals and from other threads -------------------- */

#define SEEN_MAX 100000
static uint32_t seen[SEEN_MAX];
static atomic_int n_seen;
static atomic_int toggling;
static atomic_int toggler_tid;

static void on_signal(int sig)
{
    (void)sig;
    int i = atomic_fetch_add(&n_seen, 1);
    if (i < SEEN_MAX)
        seen[i] = labels_current();
}

static void *toggler(void *arg)
{
    (void)arg;
    atomic_store(&toggler_tid, gettid());
    char a[40], b[40];
    memset(a, 'a', 39);
    memset(b, 'b', 39);
    a[39] = b[39] = '\0';
    while (atomic_load(&toggling)) {
        cprof_label_set("k", a);
        cprof_label_set("j", a);
        cprof_label_set("k", b);
        cprof_label_set("j", b);
        cprof_label_clear("j");
    }
    return NULL;
}

/* A set some point of the toggler's sequence holds: every value one
 * repeated letter (a torn copy would mix them). */
static void assert_whole(uint32_t id)
{
    profile_label l[LABELS_MAX_KEYS];
    size_t n = labels_to_profile(id, l);
    assert_true(n >= 1 && n <= 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strlen(l[i].str), 39);
        assert_int_equal(strspn(l[i].str, l[i].str[0] == 'a' ? "a" : "b"), 39);
    }
}

typedef struct cross_seen {
    pid_t tid;
    uint32_t id;
    int found;
} cross_seen;

static void on_thread(pid_t tid, uint32_t id, void *arg)
{
    cross_seen *c = arg;
    if (tid == c->tid) {
        c->found = 1;
        c->id = id;
    }
}

static void test_handler_and_other_threads_see_whole_sets(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGUSR2, &sa, NULL);
    atomic_store(&toggling, 1);
    pthread_t t;
    pthread_create(&t, NULL, toggler, NULL);
    while (!atomic_load(&toggler_tid))
        ;
    int crossed = 0;
    for (int i = 0; i < 3000; i++) {
        /* One signal at a time, delivered before the next (pending
         * standard signals merge): wait for the handler, bounded. */
        int before = atomic_load(&n_seen);
        pthread_kill(t, SIGUSR2);
        struct timespec tick = {0, 10000};
        for (int w = 0; w < 10000 && atomic_load(&n_seen) == before; w++)
            nanosleep(&tick, NULL);
        if (i % 10 == 0) {
            cross_seen c = {atomic_load(&toggler_tid), 0, 0};
            labels_for_each_thread(on_thread, &c);
            if (c.found) {
                assert_whole(c.id);
                crossed++;
            }
        }
    }
    atomic_store(&toggling, 0);
    pthread_join(t, NULL);
    int n = atomic_load(&n_seen);
    assert_true(n > 2900);
    assert_true(crossed > 30); /* a reader gives up on a set that never holds still */
    for (int i = 0; i < n && i < SEEN_MAX; i++)
        if (seen[i] != LABELS_NONE) /* the toggler's very first instants */
            assert_whole(seen[i]);
    signal(SIGUSR2, SIG_DFL);
}

static void *label_and_exit(void *arg)
{
    return (void *)(intptr_t)cprof_label_set("t", arg);
}

static void test_slots_come_back_at_exit(void **state)
{
    (void)state;
    for (int i = 0; i < LABELS_THREADS + 200; i++) {
        pthread_t t;
        void *rc;
        pthread_create(&t, NULL, label_and_exit, "x");
        pthread_join(t, &rc);
        assert_int_equal((intptr_t)rc, 0);
    }
}

static void test_fork_child_keeps_labels(void **state)
{
    (void)state;
    cprof_label_set("proc", "parent");
    pthread_t t;
    atomic_store(&toggling, 1);
    pthread_create(&t, NULL, toggler, NULL); /* another labelled thread */
    pid_t pid = fork();
    if (pid == 0) {
        const char *v = value_of(labels_current(), "proc");
        int ok = v && strcmp(v, "parent") == 0;
        cross_seen c = {gettid(), 0, 0};
        labels_for_each_thread(on_thread, &c);
        ok = ok && c.found && c.id == labels_current();
        cross_seen none = {atomic_load(&toggler_tid), 0, 0};
        labels_for_each_thread(on_thread, &none);
        ok = ok && !none.found; /* the toggler did not cross the fork */
        ok = ok && cprof_label_set("proc", "child") == 0 &&
             strcmp(value_of(labels_current(), "proc"), "child") == 0;
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    atomic_store(&toggling, 0);
    pthread_join(t, NULL);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(value_of(labels_current(), "proc"), "parent");
    cprof_label_clear(NULL);
}

/* ---- collectors keep labelled samples apart ------------------------------ */

static void test_cpu_and_counts_keep_labels_apart(void **state)
{
    (void)state;
    cprof_label_set("request", "checkout");
    uint32_t checkout = labels_current();
    cprof_label_clear(NULL);
    uint64_t pcs[2] = {0x1000, 0x2000};
    cpu_stacks *s = cpu_stacks_new();
    cpu_stacks_add(s, pcs, 2, 3, checkout);
    cpu_stacks_add(s, pcs, 2, 5, LABELS_NONE);
    cpu_stacks_add(s, pcs, 2, 1, checkout);
    profile *p = cpu_stacks_profile(s, 100, 0, 0);
    assert_int_equal(p->n_samples, 2);
    for (size_t i = 0; i < 2; i++) {
        profile_sample *x = &p->samples[i];
        if (x->n_labels) {
            assert_int_equal(x->values[0], 4);
            assert_string_equal(x->labels[0].key, "request");
            assert_string_equal(x->labels[0].str, "checkout");
        } else {
            assert_int_equal(x->values[0], 5);
        }
    }
    profile_free(p);
    cpu_stacks_free(s);

    static stack_counts t = STACK_COUNTS_INIT(64);
    int64_t one[STACK_COUNTS_VALUES] = {1, 10};
    stack_counts_add(&t, pcs, 2, checkout, one);
    stack_counts_add(&t, pcs, 2, LABELS_NONE, one);
    stack_counts_add(&t, pcs, 2, checkout, one);
    size_t n;
    int oom;
    stack_counts_record *r = stack_counts_snapshot(&t, &n, &oom);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r[i].values[0], r[i].labels == checkout ? 2 : 1);
    free(r);
}

/* Last: it fills the process's interner. */
static void test_overflow_bucket(void **state)
{
    (void)state;
    char v[16];
    uint32_t last = LABELS_NONE;
    for (int i = 0; i < LABELS_MAX_SETS + 10; i++) {
        snprintf(v, sizeof v, "%d", i);
        cprof_label_set("many", v);
        last = labels_current();
    }
    assert_int_equal(last, LABELS_OVERFLOW);
    assert_int_equal(labels_sets_used(), LABELS_MAX_SETS);
    profile_label l[LABELS_MAX_KEYS];
    assert_int_equal(labels_to_profile(last, l), 1);
    assert_string_equal(l[0].key, LABELS_OVERFLOW_KEY);
    assert_string_equal(l[0].str, LABELS_OVERFLOW_VALUE);
    /* A set interned before the cap keeps its own id. */
    cprof_label_set("many", "0");
    assert_true(labels_current() != LABELS_OVERFLOW);
    cprof_label_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_clear_and_limits),
        cmocka_unit_test(test_same_set_same_id_and_format),
        cmocka_unit_test(test_handler_and_other_threads_see_whole_sets),
        cmocka_unit_test(test_slots_come_back_at_exit),
        cmocka_unit_test(test_fork_child_keeps_labels),
        cmocka_unit_test(test_cpu_and_counts_keep_labels_apart),
        cmocka_unit_test(test_overflow_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

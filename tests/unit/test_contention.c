/*
 * Unit tests of the mutex profile's model and text (contention_profile.c)
 * over waits recorded with contention_record: values scaled by the rate as
 * Go scales them, Go's sample and period types, Go's debug=1 layout with
 * raw values by delay; and the lock hooks' answers on an error-checking
 * mutex (this test binary links the hooks: core.a); the block profile's
 * weighted counts, and the timed waits' answers.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "contention/contention.h"
#include "pprof/profile.h"

static const profile_request mutex_req = {.name = "mutex", .variant = CONTENTION_MUTEX};

static void test_model_scales_by_rate(void **state)
{
    (void)state;
    contention_set_mutex_rate(5);
    uint64_t a[2] = {0x1000, 0x2000}, b[1] = {0x3000};
    contention_record(CONTENTION_MUTEX, a, 2, 1, 100);
    contention_record(CONTENTION_MUTEX, a, 2, 1, 50);
    contention_record(CONTENTION_MUTEX, b, 1, 1, 7000);
    profile *p = NULL;
    char err[128];
    assert_int_equal(contention_profile_build(&mutex_req, &p, err, sizeof err), PROFILE_OK);
    assert_int_equal(p->n_sample_types, 2);
    assert_string_equal(p->sample_types[0].type, "contentions");
    assert_string_equal(p->sample_types[0].unit, "count");
    assert_string_equal(p->sample_types[1].type, "delay");
    assert_string_equal(p->sample_types[1].unit, "nanoseconds");
    assert_string_equal(p->period_type.type, "contentions");
    assert_int_equal(p->period, 1);
    assert_int_equal(p->n_samples, 2);
    for (size_t i = 0; i < p->n_samples; i++) {
        const profile_sample *s = &p->samples[i];
        if (s->n_pcs == 2) {
            assert_int_equal(s->values[0], 10);
            assert_int_equal(s->values[1], 750);
        } else {
            assert_int_equal(s->values[0], 5);
            assert_int_equal(s->values[1], 35000);
        }
    }
    profile_free(p);

    buf out;
    buf_init(&out);
    profile_request text = mutex_req;
    text.debug = 1;
    assert_int_equal(contention_profile_write(&text, &out, err, sizeof err), PROFILE_OK);
    buf_append_byte(&out, 0);
    const char *t = (const char *)out.data;
    const char *head = "--- mutex:\ncycles/second=1000000000\nsampling period=5\n"
                       "7000 1 @ 0x3000\n";
    assert_memory_equal(t, head, strlen(head));
    assert_non_null(strstr(t, "\n150 2 @ 0x1000 0x2000\n"));
    assert_non_null(strstr(t, "\n--- Memory map: ---\n"));
    buf_free(&out);
    contention_set_mutex_rate(0);
}

static void test_hooks_answer_as_the_library(void **state)
{
    (void)state;
    contention_set_mutex_rate(1);
    pthread_mutexattr_t at;
    pthread_mutex_t m;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &at);
    assert_int_equal(pthread_mutex_lock(&m), 0);
    errno = 55;
    assert_int_equal(pthread_mutex_lock(&m), EDEADLK);
    assert_int_equal(errno, 55);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    assert_int_equal(pthread_rwlock_wrlock(&rw), 0);
    assert_int_equal(pthread_rwlock_wrlock(&rw), EDEADLK);
    assert_int_equal(pthread_rwlock_unlock(&rw), 0);
    contention_set_mutex_rate(0);
}

/* Block counts are thousandths of an event (a short sampled wait stands
 * for rate/d events); the block profile writes them rounded, unscaled. */
static void test_block_counts_are_weighted(void **state)
{
    (void)state;
    uint64_t a[1] = {0x5000};
    contention_record(CONTENTION_BLOCK, a, 1, 2500, 10000000);
    contention_record(CONTENTION_BLOCK, a, 1, 1000, 30000000);
    profile_request req = {.name = "block", .variant = CONTENTION_BLOCK};
    profile *p = NULL;
    char err[128];
    assert_int_equal(contention_profile_build(&req, &p, err, sizeof err), PROFILE_OK);
    assert_int_equal(p->n_samples, 1);
    assert_int_equal(p->samples[0].values[0], 4); /* 3.5 events, rounded */
    assert_int_equal(p->samples[0].values[1], 40000000);
    profile_free(p);
    buf out;
    buf_init(&out);
    req.debug = 1;
    assert_int_equal(contention_profile_write(&req, &out, err, sizeof err), PROFILE_OK);
    buf_append_byte(&out, 0);
    const char *head = "--- contention:\ncycles/second=1000000000\n40000000 4 @ 0x5000\n";
    assert_memory_equal(out.data, head, strlen(head));
    buf_free(&out);
}

/* The timed waits answer as the library: a deadline in the past times out
 * (sem_timedwait: -1 with errno ETIMEDOUT), with block profiling on. */
static void test_block_waits_answer_as_the_library(void **state)
{
    (void)state;
    contention_set_block_rate(1);
    struct timespec past = {1, 0};
    sem_t s;
    sem_init(&s, 0, 0);
    errno = 0;
    assert_int_equal(sem_timedwait(&s, &past), -1);
    assert_int_equal(errno, ETIMEDOUT);
    sem_post(&s);
    struct timespec bad = {1, 1000000000};
    assert_int_equal(sem_timedwait(&s, &bad), -1); /* as glibc: even when free */
    assert_int_equal(errno, EINVAL);
    errno = 33;
    assert_int_equal(sem_wait(&s), 0);
    assert_int_equal(errno, 33);
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    assert_int_equal(pthread_cond_timedwait(&c, &m, &past), ETIMEDOUT);
    pthread_mutex_unlock(&m);
    contention_set_block_rate(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_scales_by_rate),
        cmocka_unit_test(test_hooks_answer_as_the_library),
        cmocka_unit_test(test_block_counts_are_weighted),
        cmocka_unit_test(test_block_waits_answer_as_the_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

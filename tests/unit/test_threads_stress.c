/*
 * test_threads_stress.c — thread dumps requested in a loop, from two
 * requesters at once, while other threads are created and exit as fast as
 * they can (some of them blocking every signal for part of their short
 * life). Built twice like every unit test; the ASan+UBSan build is the
 * point: the collector, the handler's slots and the pthread_create registry
 * under churn, with no crash, no hang and every reply well-formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "http/http.h"
#include "threads/threads.h"

#define CHURNERS 3
#define REQUESTERS 2
#define RUN_MS 3000 /* THREADS_STRESS_MS=N runs longer */

static atomic_int stop;
static atomic_long threads_made;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- churn ---------------------------------------------------------------- */

static void *short_life(void *arg)
{
    long kind = (long)(intptr_t)arg;
    if (kind % 5 == 0) { /* blocks the dump signal for a while */
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        usleep(2000);
    } else if (kind % 5 == 1) {
        usleep(500);
    }
    volatile int sink = 0;
    for (int i = 0; i < 1000; i++)
        sink += i;
    return NULL;
}

static void *churner(void *arg)
{
    (void)arg;
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&detached, 64 * 1024);
    for (long i = 0; !atomic_load(&stop); i++) {
        pthread_t t;
        if (i % 2) {
            if (pthread_create(&t, &detached, short_life, (void *)(intptr_t)i) == 0)
                atomic_fetch_add(&threads_made, 1);
            else
                usleep(1000); /* too many at once: let some finish */
        } else if (pthread_create(&t, NULL, short_life, (void *)(intptr_t)i) == 0) {
            atomic_fetch_add(&threads_made, 1);
            pthread_join(t, NULL);
        }
    }
    pthread_attr_destroy(&detached);
    return NULL;
}

/* ---- well-formed replies ------------------------------------------------------ */

static int is_hex_list(const char *p, const char *end)
{
    int n = 0;
    while (p < end) {
        if (strncmp(p, " 0x", 3) != 0)
            return 0;
        p += 3;
        const char *digits = p;
        while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            p++;
        if (p == digits)
            return 0;
        n++;
    }
    return n > 0;
}

/* debug=1: header, then groups "N @ 0x.." + "#" lines, comments, blank
 * lines, up to the memory map. Returns 0 when well-formed. */
static int check_groups_text(const char *t)
{
    long total;
    if (sscanf(t, "threads profile: total %ld\n", &total) != 1 || total < 1)
        return -1;
    const char *line = strchr(t, '\n') + 1;
    long counted = 0;
    while (*line && strncmp(line, "--- Memory map: ---", 19) != 0) {
        const char *end = strchr(line, '\n');
        if (!end)
            return -1;
        if (line[0] >= '1' && line[0] <= '9') {
            char *at;
            long n = strtol(line, &at, 10);
            if (strncmp(at, " @", 2) != 0 || !is_hex_list(at + 2, end))
                return -1;
            counted += n;
        } else if (line[0] != '#' && line != end) {
            return -1;
        }
        line = end + 1;
    }
    return *line && counted <= total ? 0 : -1;
}

/* debug=2: blocks that start "thread N \"name\" [...]:" */
static int check_dump_text(const char *t)
{
    if (strncmp(t, "thread ", 7) != 0)
        return -1;
    for (const char *p = t; (p = strstr(p, "\n\nthread ")) != NULL; p += 2) {
        const char *end = strchr(p + 2, '\n');
        if (!end || end[-1] != ':' || end[-2] != ']')
            return -1;
    }
    return 0;
}

static int check_gzip_proto(const buf *b)
{
    uint8_t out[1 << 16];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (b->len < 2 || b->data[0] != 0x1f || b->data[1] != 0x8b ||
        inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return -1;
    z.next_in = b->data;
    z.avail_in = (uInt)b->len;
    int rc, found = 0;
    do {
        z.next_out = out;
        z.avail_out = sizeof out;
        rc = inflate(&z, Z_NO_FLUSH);
        found |= memmem(out, sizeof out - z.avail_out, "threads", 7) != NULL;
    } while (rc == Z_OK);
    inflateEnd(&z);
    return rc == Z_STREAM_END && found ? 0 : -1;
}

/* ---- requesters ----------------------------------------------------------------- */

typedef struct requester {
    pthread_t thread;
    int id;
    int replies;
    int bad; /* replies that were not well-formed */
    char first_bad[200];
} requester;

static void one_request(requester *r, int debug)
{
    char query[16];
    snprintf(query, sizeof query, "debug=%d", debug);
    http_request req = {.method = "GET", .path = "/threads", .query = query};
    http_response resp;
    http_route(&req, &resp);
    const char *t = resp.body.data ? (const char *)resp.body.data : "";
    int ok = resp.status == 200 && !resp.body.oom &&
             (debug == 0   ? check_gzip_proto(&resp.body) == 0
              : debug == 1 ? check_groups_text(t) == 0
                           : check_dump_text(t) == 0);
    r->replies++;
    if (!ok && r->bad++ == 0)
        snprintf(r->first_bad, sizeof r->first_bad, "debug=%d status %d: %.120s", debug,
                 resp.status, t);
    http_response_free(&resp);
}

static void *requester_main(void *arg)
{
    requester *r = arg;
    for (int i = 0; !atomic_load(&stop); i++)
        one_request(r, (i + r->id) % 3);
    return NULL;
}

static void test_dumps_under_thread_churn(void **state)
{
    (void)state;
    assert_true(threads_capture_start() > 0);
    pthread_t churn[CHURNERS];
    requester req[REQUESTERS];
    memset(req, 0, sizeof req);
    for (int i = 0; i < CHURNERS; i++)
        assert_int_equal(pthread_create(&churn[i], NULL, churner, NULL), 0);
    for (int i = 0; i < REQUESTERS; i++) {
        req[i].id = i;
        assert_int_equal(pthread_create(&req[i].thread, NULL, requester_main, &req[i]), 0);
    }
    const char *ms = getenv("THREADS_STRESS_MS");
    int64_t end = now_ms() + (ms ? atol(ms) : RUN_MS);
    while (now_ms() < end)
        usleep(10000);
    atomic_store(&stop, 1);
    int64_t stop_at = now_ms();
    for (int i = 0; i < REQUESTERS; i++)
        pthread_join(req[i].thread, NULL);
    for (int i = 0; i < CHURNERS; i++)
        pthread_join(churn[i], NULL);
    /* A requester finishes its current dump: bounded by the dump timeout. */
    assert_true(now_ms() - stop_at < 10000);
    int replies = 0;
    for (int i = 0; i < REQUESTERS; i++) {
        if (req[i].bad)
            fail_msg("requester %d: %d bad replies, first: %s", i, req[i].bad, req[i].first_bad);
        replies += req[i].replies;
    }
    print_message("%d replies, %ld threads created meanwhile\n", replies,
                  atomic_load(&threads_made));
    assert_true(replies >= 6);
    assert_true(atomic_load(&threads_made) >= 100);

    /* Quiet again: a final dump sees only this thread and answers at once.
     * Detached threads may still be in their usleep (no longer cut short
     * by the dumps): wait for them to end first. */
    for (int64_t quiet = now_ms() + 2000; threads_count() > 1 && now_ms() < quiet;)
        usleep(1000);
    threads_snapshot s;
    int64_t t0 = now_ms();
    assert_int_equal(threads_snapshot_take(&s, 2), 0);
    assert_true(now_ms() - t0 < 1000);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.rows[i].cap.status, CAPTURE_OK);
    threads_snapshot_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dumps_under_thread_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_threads_profile.c — the threads profile end to end inside this
 * process: live dumps of threads parked in known functions (stacks, state,
 * system call, age, creator), a thread that blocks every signal (marked, the
 * dump bounded, no pile-up of queued signals), stack grouping and the two
 * text formats on hand-made snapshots, the proto reply, the router's
 * /threads and /goroutine, and the index page's "since last view".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "http/http.h"
#include "pprof/symbolize.h"
#include "threads/threads.h"

#define PROBE __attribute__((noinline, used))

/* ---- threads parked in known functions ----------------------------------- */

typedef struct parked {
    pthread_t thread;
    _Atomic pid_t tid;
    int fds[2]; /* the thread reads fds[0]; closing fds[1] releases it */
    int block_signals;
} parked;

PROBE void *probe_reader(void *arg)
{
    parked *p = arg;
    if (p->block_signals) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    atomic_store(&p->tid, gettid());
    char c;
    while (read(p->fds[0], &c, 1) < 0)
        ;
    return NULL;
}

PROBE void probe_spawner(parked *p, int n)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(pipe(p[i].fds), 0);
        atomic_store(&p[i].tid, 0);
        assert_int_equal(pthread_create(&p[i].thread, NULL, probe_reader, &p[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        while (!atomic_load(&p[i].tid))
            usleep(1000);
    }
    usleep(20000); /* let them reach read() */
}

static void release(parked *p, int n)
{
    for (int i = 0; i < n; i++) {
        close(p[i].fds[1]);
        pthread_join(p[i].thread, NULL);
        close(p[i].fds[0]);
    }
}

static const thread_row *row_of(const threads_snapshot *s, pid_t tid)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->rows[i].tid == tid)
            return &s->rows[i];
    }
    return NULL;
}

/* Does any frame of the stack (inline frames included) name `function`? */
static int stack_has(const uint64_t *pcs, size_t n, int leaf_exact, const char *function)
{
    for (size_t i = 0; i < n; i++) {
        symbol_info si;
        uint64_t addr = i == 0 && leaf_exact ? pcs[i] : pcs[i] - 1;
        if (symbolize_addr(addr, &si) != 0)
            continue;
        for (size_t k = 0; k < si.n_lines; k++) {
            if (strcmp(si.lines[k].function, function) == 0)
                return 1;
        }
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
    (void)state;
    return threads_capture_start() > 0 ? 0 : -1;
}

/* ---- live dumps ----------------------------------------------------------- */

static void test_live_dump(void **state)
{
    (void)state;
    parked p[3] = {0};
    probe_spawner(p, 3);
    threads_snapshot s;
    assert_int_equal(threads_snapshot_take(&s, 2), 0);
    assert_int_equal(s.pid, getpid());
    for (int i = 0; i < 3; i++) {
        const thread_row *r = row_of(&s, p[i].tid);
        assert_non_null(r);
        assert_int_equal(r->cap.status, CAPTURE_OK);
        assert_true(stack_has(r->cap.pcs, r->cap.n_pcs, 1, "probe_reader"));
        assert_int_equal(r->proc_ok, 1);
        assert_int_equal(r->proc.state, 'S');
        assert_string_equal(r->syscall, "read");
        assert_true(r->age_ns > 0 && r->age_ns < 60 * 1000000000LL);
        assert_true(r->cpu_ns >= 0);
        assert_int_equal(r->internal, 0);
        assert_int_equal(r->has_birth, 1);
        assert_int_equal(r->birth.creator_tid, gettid());
        assert_true(r->birth.n_creator > 0);
        assert_true(stack_has(r->birth.creator, 1, 0, "probe_spawner"));
    }
    /* This thread is the collector: it answered its own signal. */
    const thread_row *self = row_of(&s, gettid());
    assert_non_null(self);
    assert_int_equal(self->cap.status, CAPTURE_OK);
    assert_true(stack_has(self->cap.pcs, self->cap.n_pcs, 1, "test_live_dump"));
    threads_snapshot_free(&s);
    release(p, 3);
}

/* Without /proc/.../syscall (absent on some kernels, reference §5) the
 * call comes from the leaf frame, and without a stack from the wchan. */
static void test_syscall_fallbacks(void **state)
{
    (void)state;
    parked p[1] = {0};
    probe_spawner(p, 1);
    threads_snapshot s;
    assert_int_equal(threads_snapshot_take(&s, 2), 0);
    thread_row r = *row_of(&s, p[0].tid);
    threads_snapshot_free(&s);
    assert_string_equal(r.syscall, "read"); /* the handler saw the call number */
    r.cap.in_syscall = 0;
    r.proc.syscall_nr = 0; /* SYS_read, as /proc/.../syscall says where it exists */
    threads_derive_syscall(&r);
    assert_string_equal(r.syscall, "read");
    r.proc.syscall_nr = -1;
    threads_derive_syscall(&r);
    assert_string_equal(r.syscall, "read"); /* from the leaf: libc's read */
    r.cap.status = CAPTURE_BLOCKED;
    threads_derive_syscall(&r);
    assert_string_equal(r.syscall, ""); /* no stack, no wchan read yet */
    /* Right after the dump the thread may still be on its way back into
     * read() (signal return, restart): wait until it sleeps there again. */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(threads_read_wchan(r.tid, r.proc.wchan, sizeof r.proc.wchan), 0);
        if (r.proc.wchan[0])
            break;
        usleep(10000);
    }
    threads_derive_syscall(&r);
    assert_string_equal(r.syscall, "read"); /* from the wchan: a pipe read */
    r.proc.state = 'R';
    r.proc.wchan[0] = 0;
    threads_derive_syscall(&r);
    assert_string_equal(r.syscall, "");
    release(p, 1);
}

static void test_signal_blocked_thread(void **state)
{
    (void)state;
    parked p[2] = {0};
    p[0].block_signals = 1;
    probe_spawner(p, 2);
    int64_t t0 = now_ms();
    threads_snapshot s;
    assert_int_equal(threads_snapshot_take(&s, 2), 0);
    int64_t first_ms = now_ms() - t0;
    const thread_row *blocked = row_of(&s, p[0].tid), *fine = row_of(&s, p[1].tid);
    assert_int_equal(blocked->cap.status, CAPTURE_BLOCKED);
    assert_string_equal(threads_no_stack_reason(blocked), "no stack: signal blocked");
    assert_int_equal(fine->cap.status, CAPTURE_OK);
    assert_true(first_ms < 2000);
    threads_snapshot_free(&s);

    /* Later dumps skip it while its signal is still queued: every other
     * thread gets one signal a dump, it gets none (no pile-up). */
    for (int i = 0; i < 5; i++) {
        uint64_t sent = threads_capture_signals_sent();
        t0 = now_ms();
        assert_int_equal(threads_snapshot_take(&s, 0), 0);
        assert_true(now_ms() - t0 < 2000);
        assert_int_equal(row_of(&s, p[0].tid)->cap.status, CAPTURE_BLOCKED);
        assert_int_equal(threads_capture_signals_sent() - sent, s.n - 1);
        threads_snapshot_free(&s);
    }
    release(p, 2); /* the queued signal is discarded with the thread */
}

/* ---- grouping and text on a hand-made snapshot ---------------------------- */

PROBE int probe_leaf_a(int x)
{
    return x * 7 + 1;
}
PROBE int probe_leaf_b(int x)
{
    return x * 5 + 3;
}
PROBE int probe_caller(int x)
{
    return probe_leaf_a(x) + probe_leaf_b(x);
}

static void make_row(thread_row *r, pid_t tid, const char *name, char st, uint64_t leaf)
{
    memset(r, 0, sizeof *r);
    r->tid = tid;
    r->proc_ok = 1;
    snprintf(r->proc.name, sizeof r->proc.name, "%s", name);
    r->proc.state = st;
    r->age_ns = 3200000000LL;
    r->cpu_ns = 1000000;
    r->cap.status = CAPTURE_OK;
    r->cap.pcs[0] = leaf;
    r->cap.pcs[1] = (uint64_t)(uintptr_t)probe_caller + 8; /* a return address */
    r->cap.n_pcs = 2;
}

static threads_snapshot fake_snapshot(thread_row *rows)
{
    uint64_t a = (uint64_t)(uintptr_t)probe_leaf_a + 2, b = (uint64_t)(uintptr_t)probe_leaf_b + 2;
    for (int i = 0; i < 5; i++)
        make_row(&rows[i], 100 + i, "worker", 'S', a);
    for (int i = 5; i < 8; i++)
        make_row(&rows[i], 100 + i, "other", 'R', b);
    make_row(&rows[8], 108, "cprof-http", 'S', a);
    rows[8].internal = 1;
    make_row(&rows[9], 109, "stuck", 'S', a);
    rows[9].cap.status = CAPTURE_BLOCKED;
    rows[9].cap.n_pcs = 0;
    rows[0].tid = 99; /* the main thread: no "created by" */
    rows[1].has_birth = 1;
    rows[1].birth.creator_tid = 99;
    strcpy(rows[1].birth.creator_name, "main");
    rows[1].birth.creator[0] = (uint64_t)(uintptr_t)probe_caller + 8;
    rows[1].birth.n_creator = 1;
    rows[1].cap.in_syscall = 1;
    strcpy(rows[1].syscall, "read");
    return (threads_snapshot){rows, 10, 99};
}

static void test_grouping(void **state)
{
    (void)state;
    thread_row rows[10];
    threads_snapshot s = fake_snapshot(rows);
    size_t ng;
    thread_group *g = threads_group(&s, 0, &ng);
    assert_int_equal(ng, 3);
    assert_int_equal(g[0].count, 5);
    assert_int_equal(g[0].row->internal, 0);
    assert_int_equal(g[0].row->cap.pcs[0], rows[0].cap.pcs[0]);
    assert_int_equal(g[1].count, 3);
    assert_int_equal(g[2].count, 1);
    assert_int_equal(g[2].row->internal, 1);
    free(g);
    /* By labels too: one "worker" row renamed splits its group. */
    strcpy(rows[2].proc.name, "renamed");
    g = threads_group(&s, 1, &ng);
    assert_int_equal(ng, 4);
    assert_int_equal(g[0].count, 4);
    free(g);
}

static char *text_of(const buf *b)
{
    return b->data ? (char *)b->data : "";
}

static void test_groups_text(void **state)
{
    (void)state;
    thread_row rows[10];
    threads_snapshot s = fake_snapshot(rows);
    buf out;
    buf_init(&out);
    threads_write_groups_text(&s, "threads", &out);
    char *t = text_of(&out);
    assert_true(strncmp(t, "threads profile: total 10\n5 @ ", 30) == 0);
    /* The exact leaf is written plus one: the legacy parser subtracts one. */
    char first[128];
    snprintf(first, sizeof first, "5 @ 0x%" PRIx64 " 0x%" PRIx64 "\n", rows[0].cap.pcs[0] + 1,
             rows[0].cap.pcs[1]);
    assert_non_null(strstr(t, first));
    char frame[128];
    snprintf(frame, sizeof frame, "#\t0x%" PRIx64 "\tprobe_leaf_a+0x2\t", rows[0].cap.pcs[0]);
    assert_non_null(strstr(t, frame));
    assert_non_null(strstr(t, "\tprobe_caller+0x"));
    assert_non_null(strstr(t, "test_threads_profile.c:"));
    assert_non_null(strstr(t, "\n3 @ "));
    assert_non_null(strstr(t, "\n1 @ "));
    assert_non_null(strstr(t, "# labels: {\"cprof\":\"internal\"}\n#\t"));
    assert_non_null(strstr(t, "\n\n# thread 109: no stack: signal blocked\n"));
    /* Only code mappings: each line's permissions have an 'x'. */
    char *map = strstr(t, "\n--- Memory map: ---\n");
    assert_non_null(map);
    int code_lines = 0;
    for (char *line = map + 21; *line; line = strchr(line, '\n') + 1) {
        char perms[8] = "";
        assert_int_equal(sscanf(line, "%*s %7s", perms), 1);
        assert_int_equal(perms[2], 'x');
        code_lines++;
    }
    assert_true(code_lines >= 2); /* this test program and libc at least */
    assert_true(strstr(t, "\n3 @ ") < strstr(t, "\n1 @ "));
    buf_free(&out);

    threads_write_groups_text(&s, "goroutine", &out);
    assert_true(strncmp(text_of(&out), "goroutine profile: total 10\n", 28) == 0);
    buf_free(&out);
}

static void test_dump_text(void **state)
{
    (void)state;
    thread_row rows[10];
    threads_snapshot s = fake_snapshot(rows);
    buf out;
    buf_init(&out);
    threads_write_dump_text(&s, &out);
    char *t = text_of(&out);
    assert_true(strncmp(t,
                        "thread 99 \"worker\" [sleeping, age 3.20s, cpu 1.0ms]:\n"
                        "probe_leaf_a(...)\n\t",
                        70) == 0);
    /* The main thread has no creator; the others say what they know. */
    char *main_block_end = strstr(t, "\n\n");
    assert_non_null(main_block_end);
    assert_null(memmem(t, (size_t)(main_block_end - t), "created by", 10));
    assert_non_null(strstr(t, "thread 101 \"worker\" [sleeping in read, age 3.20s, cpu 1.0ms]:\n"));
    assert_non_null(strstr(t, "created by probe_caller in thread 99 \"main\"\n\t"));
    assert_non_null(strstr(t, "created by ? (not recorded: started before cprof was loaded, "
                              "or not through pthread_create)\n"));
    assert_non_null(strstr(t, "thread 105 \"other\" [running, age 3.20s, cpu 1.0ms]:\n"));
    assert_non_null(
        strstr(t, "thread 108 \"cprof-http\" [sleeping, age 3.20s, cpu 1.0ms, cprof internal]:\n"));
    assert_non_null(strstr(t, "thread 109 \"stuck\" [sleeping, age 3.20s, cpu 1.0ms, no stack: "
                              "signal blocked]:\n"));
    assert_non_null(strstr(t, "probe_caller(...)\n\t"));
    assert_non_null(strstr(t, "test_threads_profile.c:"));
    buf_free(&out);
}

/* ---- replies through the router -------------------------------------------- */

static void inflate_all(const buf *in, buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = in->data;
    z.avail_in = (uInt)in->len;
    int rc;
    do {
        assert_int_equal(buf_reserve(out, 65536), 0);
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len - 1);
        rc = inflate(&z, Z_NO_FLUSH);
        out->len = out->cap - 1 - z.avail_out;
    } while (rc == Z_OK);
    assert_int_equal(rc, Z_STREAM_END);
    inflateEnd(&z);
}

static void route(const char *path, const char *query, http_response *resp)
{
    http_request req = {.method = "GET", .path = path, .query = query};
    http_route(&req, resp);
}

static void test_router_replies(void **state)
{
    (void)state;
    http_response resp;
    route("/threads", "debug=1", &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
    assert_true(strncmp(text_of(&resp.body), "threads profile: total ", 23) == 0);
    http_response_free(&resp);

    route("/goroutine", "debug=1", &resp);
    assert_true(strncmp(text_of(&resp.body), "goroutine profile: total ", 25) == 0);
    http_response_free(&resp);

    route("/goroutine", "debug=2", &resp);
    assert_int_equal(resp.status, 200);
    char head[64];
    snprintf(head, sizeof head, "thread %d \"", (int)getpid());
    assert_true(strncmp(text_of(&resp.body), head, strlen(head)) == 0);
    http_response_free(&resp);

    route("/goroutine", NULL, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/octet-stream");
    assert_string_equal(resp.content_disposition, "attachment; filename=\"goroutine\"");
    buf raw;
    buf_init(&raw);
    inflate_all(&resp.body, &raw);
    /* Sample and period type (goroutine, count) and the two labels. */
    assert_non_null(memmem(raw.data, raw.len, "goroutine", 9));
    assert_non_null(memmem(raw.data, raw.len, "count", 5));
    assert_non_null(memmem(raw.data, raw.len, "\x04name", 5));
    assert_non_null(memmem(raw.data, raw.len, "\x05state", 6));
    assert_non_null(memmem(raw.data, raw.len, "test_router_replies", 19));
    buf_free(&raw);
    http_response_free(&resp);

    route("/threads", "seconds=5&debug=1", &resp);
    assert_int_equal(resp.status, 400); /* a delta is profile.proto only, as in Go */
    http_response_free(&resp);
}

static void summary_of_index(char *out, size_t len)
{
    http_response resp;
    route("/", NULL, &resp);
    const char *p = strstr(text_of(&resp.body), "<p>Threads: ");
    assert_non_null(p);
    assert_non_null(strstr(p, "<a href='goroutine?debug=2'>full goroutine stack dump</a>"));
    p += 12;
    size_t n = strcspn(p, ".");
    snprintf(out, len, "%.*s", (int)n, p);
    http_response_free(&resp);
}

static void test_index_since_last_view(void **state)
{
    (void)state;
    char text[64], want[64];
    summary_of_index(text, sizeof text); /* a baseline view */
    parked p[2] = {0};
    probe_spawner(p, 2);
    summary_of_index(text, sizeof text);
    snprintf(want, sizeof want, "%ld (+2 since last view)", threads_count());
    assert_string_equal(text, want);
    summary_of_index(text, sizeof text);
    snprintf(want, sizeof want, "%ld (+0 since last view)", threads_count());
    assert_string_equal(text, want);
    release(p, 2);
    summary_of_index(text, sizeof text);
    snprintf(want, sizeof want, "%ld (-2 since last view)", threads_count());
    assert_string_equal(text, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_dump),
        cmocka_unit_test(test_syscall_fallbacks),
        cmocka_unit_test(test_signal_blocked_thread),
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_groups_text),
        cmocka_unit_test(test_dump_text),
        cmocka_unit_test(test_router_replies),
        cmocka_unit_test(test_index_since_last_view),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * trace_spans — the cost of cprof_span_begin/cprof_span_end and cprof_event
 * (bench/trace_spans.sh, BENCHMARKS.md "Trace"). Run under the preload: the
 * functions are weak references, bound to libcprof's when it is loaded
 * (without it the program measures an empty loop and says so).
 *
 * Prints, in ns a call (the best of ROUNDS * CALLS / 1000 rounds of 1000 calls):
 *   idle  span_pair  (begin + end, no trace running) / event
 *   trace span_pair / event   while a trace runs: the program asks for
 *                             /debug/pprof/trace?seconds=3 through
 *                             cprof_handle_async and measures rounds of
 *                             300 pairs and 600 events, 150 ms apart (the
 *                             buffers drain every 100 ms), until it has
 *                             answered
 *   loop                      the same loop calling an empty function
 * Usage: trace_spans [ROUNDS] [CALLS]
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../include/cprof.h"

extern void cprof_span_begin(const char *name) __attribute__((weak));
extern void cprof_span_end(void) __attribute__((weak));
extern void cprof_event(const char *name) __attribute__((weak));
extern int cprof_handle_async(const cprof_request *req, cprof_done_fn done, void *user)
    __attribute__((weak));
extern void cprof_response_free(cprof_response *resp) __attribute__((weak));

static atomic_int trace_done;
static int trace_status;
static long trace_ticks, trace_requests; /* what the trace shows of them */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((noinline)) static void empty(const char *name)
{
    __asm__ volatile("" ::"r"(name) : "memory");
}

/* ns a call of kind 0 (begin+end pairs, per call), 1 (events), 2 (empty) */
static double round_ns(int kind, long calls)
{
    int64_t t0 = now_ns();
    for (long i = 0; i < calls; i++) {
        if (kind == 0) {
            cprof_span_begin("request");
            cprof_span_end();
        } else if (kind == 1) {
            cprof_event("tick");
        } else {
            empty("request");
        }
    }
    return (double)(now_ns() - t0) / (double)(kind == 0 ? 2 * calls : calls);
}

static void on_trace(cprof_response *resp, void *user)
{
    (void)user;
    trace_status = resp->status;
    const char *b = resp->body, *end = b + resp->body_len;
    static const char tick[] = "\"name\":\"tick\"", request[] = "\"name\":\"request\"";
    for (const char *p = b; p && p < end; p++) {
        p = memchr(p, '"', (size_t)(end - p));
        if (!p)
            break;
        if ((size_t)(end - p) >= sizeof tick - 1 && memcmp(p, tick, sizeof tick - 1) == 0)
            trace_ticks++;
        if ((size_t)(end - p) >= sizeof request - 1 && memcmp(p, request, sizeof request - 1) == 0)
            trace_requests++;
    }
    cprof_response_free(resp);
    atomic_store(&trace_done, 1);
}

static double best(int kind, int rounds, long calls)
{
    double b = 1e18;
    for (int r = 0; r < rounds; r++) {
        double ns = round_ns(kind, calls);
        if (ns < b)
            b = ns;
    }
    return b;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    long calls = argc > 2 ? atol(argv[2]) : 10000000;
    if (!cprof_span_begin || !cprof_handle_async) {
        fprintf(stderr, "trace_spans: libcprof is not loaded (run under LD_PRELOAD)\n");
        return 1;
    }
    /* Rounds short enough to run between two preemptions of a loaded
     * machine, the best of many: the cost of the call, not the load. */
    long n_short = calls / 1000;
    printf("idle span_pair %.3f\n", best(0, rounds * (int)n_short, 1000));
    printf("idle event %.3f\n", best(1, rounds * (int)n_short, 1000));
    printf("loop empty %.3f\n", best(2, rounds * (int)n_short, 1000));
    cprof_request req = {.method = "GET", .path = "/trace", .query = "seconds=3"};
    if (cprof_handle_async(&req, on_trace, NULL) != 0)
        return 1;
    usleep(200000); /* the trace has begun */
    /* Fewer calls while tracing: each records an event into the thread's
     * buffer (2048 events, drained every 100 ms), so a round stays well
     * under it and the next waits for the drain; a full buffer's drop path
     * would be measured otherwise. */
    double pair = 1e18, ev = 1e18;
    while (!atomic_load(&trace_done)) {
        double p = round_ns(0, 300), e = round_ns(1, 600);
        pair = p < pair ? p : pair;
        ev = e < ev ? e : ev;
        usleep(150000);
    }
    if (trace_status != 200)
        return 1;
    printf("trace span_pair %.3f\n", pair);
    printf("trace event %.3f\n", ev);
    printf("# the trace shows %ld request spans and %ld tick events\n", trace_requests,
           trace_ticks);
    return 0;
}

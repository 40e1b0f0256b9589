/*
 * cprof_handle / cprof_handle_async: the embedding API gives the router's
 * replies with their headers, applies the configured token like the
 * built-in listener, and the async form delivers on another thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cprof.h"
#include "heap/heap.h"
#include "http/http_auth.h"

static const char *header_of(const cprof_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void test_index_heap_and_errors(void **state)
{
    (void)state;
    cprof_response r;
    cprof_request req = {.method = "GET", .path = "/"};
    cprof_handle(&req, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header_of(&r, "Content-Type"), "text/html; charset=utf-8");
    assert_non_null(memmem(r.body, r.body_len, "heap?debug=1", 12));
    cprof_response_free(&r);

    req.path = "/heap";
    cprof_handle(&req, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header_of(&r, "Content-Disposition"), "attachment; filename=\"heap\"");
    assert_true(r.body_len > 2 && ((const unsigned char *)r.body)[0] == 0x1f);
    cprof_response_free(&r);

    req.path = "/metrics"; /* Prometheus text through the application's own server */
    cprof_handle(&req, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header_of(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(memmem(r.body, r.body_len, "\nprocess_threads ", 17));
    assert_null(header_of(&r, "X-Go-Pprof"));
    cprof_response_free(&r);

    req.path = "/nosuch";
    cprof_handle(&req, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(header_of(&r, "X-Go-Pprof"), "1");
    assert_int_equal(r.body_len, strlen("Unknown profile\n"));
    cprof_response_free(&r);
    /* the calling thread is the application's again afterwards */
    assert_int_equal(heap_thread_is_internal(), 0);
}

static void test_configured_token_applies(void **state)
{
    (void)state;
    http_auth_set_token("tok-123");
    cprof_response r;
    cprof_request req = {.method = "GET", .path = "/heap"};
    cprof_handle(&req, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(header_of(&r, "WWW-Authenticate"), "Bearer");
    cprof_response_free(&r);
    cprof_header h = {"Authorization", "Bearer tok-123"};
    req.headers = &h;
    req.n_headers = 1;
    cprof_handle(&req, &r);
    assert_int_equal(r.status, 200);
    cprof_response_free(&r);
    http_auth_set_token(NULL);
}

static sem_t done_sem;
static int async_status;
static pthread_t async_thread;

static void on_done(cprof_response *resp, void *user)
{
    async_status = resp->status;
    async_thread = pthread_self();
    *(int *)user = 1;
    cprof_response_free(resp);
    free(resp);
    sem_post(&done_sem);
}

static void test_async_delivers_on_another_thread(void **state)
{
    (void)state;
    sem_init(&done_sem, 0, 0);
    int called = 0;
    char query[] = "debug=1";
    char path[] = "/allocs";
    cprof_request req = {.method = "GET", .path = path, .query = query};
    assert_int_equal(cprof_handle_async(&req, on_done, &called), 0);
    /* the request was copied: scribbling on ours changes nothing */
    memset(path, 'x', sizeof path - 1);
    memset(query, 'x', sizeof query - 1);
    sem_wait(&done_sem);
    assert_int_equal(called, 1);
    assert_int_equal(async_status, 200);
    assert_false(pthread_equal(async_thread, pthread_self()));
    assert_int_equal(cprof_handle_async(&req, NULL, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_heap_and_errors),
        cmocka_unit_test(test_configured_token_applies),
        cmocka_unit_test(test_async_delivers_on_another_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

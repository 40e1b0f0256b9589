/*
 * embed.c — cprof_handle: the /debug/pprof endpoints for the application's
 * own HTTP server (libmicrohttpd, libevent, anything).
 *
 * A thin adapter: the public request becomes the router's http_request, the
 * router's reply becomes a cprof_response whose strings live in one
 * allocation released by cprof_response_free. The configured token is
 * checked exactly as the built-in listener checks it (http_serve). The
 * calling thread is marked as the profiler's own while it builds the reply,
 * so serving a profile does not show up in the heap profile it serves.
 *
 * cprof_handle_async copies the request and runs it on a detached thread,
 * for event loops that must not wait for a profile to be produced.
 */
#include "cprof.h"
#include "heap/heap.h"
#include "process/own_threads.h"
#include "http.h"
#include "http_auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* What a cprof_response points into. */
typedef struct reply_storage {
    uint8_t *body;
    char content_disposition[160];
} reply_storage;

static void add_header(cprof_response *resp, const char *name, const char *value)
{
    if (value && resp->n_headers < CPROF_MAX_REPLY_HEADERS)
        resp->headers[resp->n_headers++] = (cprof_header){name, value};
}

static void fill_response(http_response *r, cprof_response *resp)
{
    memset(resp, 0, sizeof *resp);
    reply_storage *st = calloc(1, sizeof *st);
    resp->status = st && !r->body.oom ? r->status : 500;
    add_header(resp, "Content-Type", r->content_type);
    add_header(resp, "X-Content-Type-Options", "nosniff");
    if (!st) {
        static const char msg[] = "out of memory\n";
        add_header(resp, "X-Go-Pprof", "1");
        resp->body = msg;
        resp->body_len = sizeof msg - 1;
        return;
    }
    if (r->content_disposition[0]) {
        memcpy(st->content_disposition, r->content_disposition, sizeof st->content_disposition);
        add_header(resp, "Content-Disposition", st->content_disposition);
    }
    if (r->go_pprof_error)
        add_header(resp, "X-Go-Pprof", "1");
    add_header(resp, "Content-Encoding", r->content_encoding);
    add_header(resp, "Allow", r->allow);
    add_header(resp, "WWW-Authenticate", r->www_authenticate);
    st->body = buf_steal(&r->body, &resp->body_len);
    resp->body = st->body ? (const void *)st->body : "";
    resp->internal_ = st;
}

EXPORT void cprof_handle(const cprof_request *req, cprof_response *resp)
{
    int was_internal = heap_internal_enter();
    /* cprof_header and http_header have the same layout by design; copy
     * anyway so neither header constrains the other. */
    size_t n = req->n_headers;
    http_header *headers = n ? calloc(n, sizeof *headers) : NULL;
    for (size_t i = 0; headers && i < n; i++)
        headers[i] = (http_header){req->headers[i].name, req->headers[i].value};
    http_request hr = {
        .method = req->method ? req->method : "GET",
        .path = req->path && req->path[0] ? req->path : "/",
        .query = req->query,
        .headers = headers,
        .n_headers = headers ? n : 0,
        .body = req->body,
        .body_len = req->body_len,
    };
    http_response r;
    http_serve(&hr, &r);
    fill_response(&r, resp);
    http_response_free(&r);
    free(headers);
    heap_internal_leave(was_internal);
}

EXPORT void cprof_response_free(cprof_response *resp)
{
    reply_storage *st = resp->internal_;
    if (st) {
        free(st->body);
        free(st);
    }
    memset(resp, 0, sizeof *resp);
}

/* ---- asynchronous form ---- */

typedef struct async_job {
    cprof_request req;
    cprof_response *resp; /* allocated up front: the callback always comes */
    cprof_header *headers;
    cprof_done_fn done;
    void *user;
    char *strings; /* method, path, query, header names and values, body */
} async_job;

static size_t request_bytes(const cprof_request *req)
{
    size_t n = 3 + (req->method ? strlen(req->method) : 0) + (req->path ? strlen(req->path) : 0) +
               (req->query ? strlen(req->query) : 0) + req->body_len;
    for (size_t i = 0; i < req->n_headers; i++)
        n += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 2;
    return n;
}

static const char *copy_string(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*at, s, n);
    const char *copy = *at;
    *at += n;
    return copy;
}

static async_job *job_copy(const cprof_request *req, cprof_done_fn done, void *user)
{
    async_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->strings = malloc(request_bytes(req));
    job->headers = req->n_headers ? calloc(req->n_headers, sizeof *job->headers) : NULL;
    job->resp = malloc(sizeof *job->resp);
    if (!job->strings || !job->resp || (req->n_headers && !job->headers)) {
        free(job->strings);
        free(job->headers);
        free(job->resp);
        free(job);
        return NULL;
    }
    char *at = job->strings;
    job->req.method = copy_string(&at, req->method);
    job->req.path = copy_string(&at, req->path);
    job->req.query = copy_string(&at, req->query);
    for (size_t i = 0; i < req->n_headers; i++) {
        job->headers[i].name = copy_string(&at, req->headers[i].name);
        job->headers[i].value = copy_string(&at, req->headers[i].value);
    }
    job->req.headers = job->headers;
    job->req.n_headers = req->n_headers;
    if (req->body_len) {
        memcpy(at, req->body, req->body_len);
        job->req.body = at;
        job->req.body_len = req->body_len;
    }
    job->done = done;
    job->user = user;
    return job;
}

static void job_free(async_job *job)
{
    free(job->strings);
    free(job->headers);
    free(job);
}

static void *run_job(void *arg)
{
    async_job *job = arg;
    heap_thread_set_internal(1);
    pthread_setname_np(pthread_self(), "cprof-handle");
    cprof_done_fn done = job->done;
    void *user = job->user;
    cprof_response *resp = job->resp;
    cprof_handle(&job->req, resp);
    /* Released before the callback: once the application has its reply,
     * nothing of the request remains on this side. */
    job_free(job);
    done(resp, user);
    return NULL;
}

EXPORT int cprof_handle_async(const cprof_request *req, cprof_done_fn done, void *user)
{
    int was_internal = heap_internal_enter();
    int rc = -1;
    async_job *job = done ? job_copy(req, done, user) : NULL;
    pthread_attr_t attr;
    if (job && pthread_attr_init(&attr) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        rc = own_thread_create(&thread, &attr, run_job, job) == 0 ? 0 : -1;
        pthread_attr_destroy(&attr);
    }
    if (rc != 0 && job) {
        free(job->resp);
        job_free(job);
    }
    heap_internal_leave(was_internal);
    return rc;
}

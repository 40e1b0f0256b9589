/*
 * embed-libevent — an event-loop server (libevent's evhttp) serving the
 * cprof endpoints under /admin/pprof behind the application's own
 * authentication, without ever blocking its loop: each profile is produced
 * by cprof_handle_async on a cprof thread, and the reply is handed back to
 * the loop with event_base_once (libevent made thread-safe by
 * evthread_use_pthreads).
 *
 * Auth: "Authorization: Bearer $ADMIN_TOKEN", or ?token=$ADMIN_TOKEN for
 * tools that cannot send headers (go tool pprof keeps a URL's query).
 * Usage: ADMIN_TOKEN=secret server [PORT]   (PORT 0 = any; prints the URL)
 */
#include <cprof.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define PREFIX "/admin/pprof"

static struct event_base *base;
static const char *admin_token;

static void send_text(struct evhttp_request *req, int status, const char *text)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, text, strlen(text));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, status, NULL, out);
    evbuffer_free(out);
}

static int authorized(struct evhttp_request *req)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    char expected[600];
    snprintf(expected, sizeof expected, "Bearer %s", admin_token);
    if (auth && strcmp(auth, expected) == 0)
        return 1;
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq args;
    int ok = 0;
    if (query && evhttp_parse_query_str(query, &args) == 0) {
        const char *t = evhttp_find_header(&args, "token");
        ok = t && strcmp(t, admin_token) == 0;
        evhttp_clear_headers(&args);
    }
    return ok;
}

/* A finished reply travelling from the cprof thread back to the loop. */
typedef struct pending {
    struct evhttp_request *req;
    cprof_response *resp;
    cprof_header *headers;
    char *body;
    char *path;
} pending;

static void pending_free(pending *p)
{
    free(p->headers);
    free(p->body);
    free(p->path);
    free(p);
}

/* On the loop thread: write the reply. */
static void deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pending *p = arg;
    struct evkeyvalq *h = evhttp_request_get_output_headers(p->req);
    for (size_t i = 0; i < p->resp->n_headers; i++)
        evhttp_add_header(h, p->resp->headers[i].name, p->resp->headers[i].value);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, p->resp->body, p->resp->body_len);
    evhttp_send_reply(p->req, p->resp->status, NULL, out);
    evbuffer_free(out);
    cprof_response_free(p->resp);
    free(p->resp);
    pending_free(p);
}

/* On the cprof thread: queue the delivery on the loop. */
static void profile_ready(cprof_response *resp, void *user)
{
    pending *p = user;
    p->resp = resp;
    event_base_once(base, -1, EV_TIMEOUT, deliver, p, NULL);
}

static void serve_pprof(struct evhttp_request *req, const char *path)
{
    pending *p = calloc(1, sizeof *p);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    size_t n = 0;
    for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next)
        n++;
    p->headers = calloc(n ? n : 1, sizeof *p->headers);
    n = 0;
    for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next)
        p->headers[n++] = (cprof_header){kv->key, kv->value};
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t body_len = evbuffer_get_length(body);
    p->body = malloc(body_len + 1);
    evbuffer_copyout(body, p->body, body_len);
    p->path = strdup(path);
    p->req = req;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    cprof_request creq = {
        .method = cmd == EVHTTP_REQ_POST   ? "POST"
                  : cmd == EVHTTP_REQ_HEAD ? "HEAD"
                                           : "GET",
        .path = p->path,
        .query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req)),
        .headers = p->headers,
        .n_headers = n,
        .body = p->body,
        .body_len = body_len,
    };
    if (cprof_handle_async(&creq, profile_ready, p) != 0) {
        pending_free(p);
        send_text(req, 503, "could not start a profile\n");
    }
}

static void route(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path || strcmp(path, "/") == 0) {
        send_text(req, 200, "hello from the application\n");
        return;
    }
    size_t plen = strlen(PREFIX);
    if (strncmp(path, PREFIX, plen) != 0 || (path[plen] != '/' && path[plen] != 0)) {
        send_text(req, 404, "not found\n");
        return;
    }
    if (!authorized(req)) {
        send_text(req, 401, "admin token required\n");
        return;
    }
    serve_pprof(req, path[plen] ? path + plen : "/");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
    admin_token = getenv("ADMIN_TOKEN");
    if (!admin_token || !*admin_token) {
        fprintf(stderr, "set ADMIN_TOKEN\n");
        return 2;
    }
    cprof_config cfg = {.http_addr = "off"};
    if (cprof_start(&cfg) != 0)
        return 1;
    evthread_use_pthreads(); /* replies arrive from cprof threads */
    base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
    evhttp_set_gencb(http, route, NULL);
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port);
    if (!sock)
        return 1;
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa, &len);
    printf("listening on http://127.0.0.1:%u%s/\n", ntohs(sa.sin_port), PREFIX);
    fflush(stdout);
    struct event *term = evsignal_new(base, SIGTERM, on_signal, base);
    struct event *intr = evsignal_new(base, SIGINT, on_signal, base);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(base);
    event_free(term);
    event_free(intr);
    evhttp_free(http);
    event_base_free(base);
    cprof_stop();
    return 0;
}

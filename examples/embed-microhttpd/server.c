/*
 * embed-microhttpd — an application's own libmicrohttpd server serving the
 * cprof endpoints under a custom prefix, /admin/pprof, behind the
 * application's own authentication: the C counterpart of mounting Go's pprof
 * into a gin router with pprof.RouteRegister(r, "admin/pprof") behind an
 * auth middleware.
 *
 * Auth: "Authorization: Bearer $ADMIN_TOKEN", or ?token=$ADMIN_TOKEN for
 * tools that cannot send headers (go tool pprof keeps a URL's query).
 * Usage: ADMIN_TOKEN=secret server [PORT]   (PORT 0 = any; prints the URL)
 */
#include <cprof.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "/admin/pprof"

static const char *admin_token;

typedef struct request_state {
    char *raw_uri; /* with its query undecoded ('+' matters to /symbol) */
    char *body;
    size_t body_len;
} request_state;

static void *log_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    request_state *st = calloc(1, sizeof *st);
    if (st)
        st->raw_uri = strdup(uri);
    return st;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request_state *st = *con_cls;
    if (st) {
        free(st->raw_uri);
        free(st->body);
        free(st);
    }
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The application's own check, before anything of cprof runs. */
static int authorized(struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *query_token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    char expected[600];
    snprintf(expected, sizeof expected, "Bearer %s", admin_token);
    return (auth && strcmp(auth, expected) == 0) ||
           (query_token && strcmp(query_token, admin_token) == 0);
}

typedef struct header_list {
    cprof_header items[64];
    size_t n;
} header_list;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
    (void)kind;
    header_list *h = cls;
    if (h->n < 64)
        h->items[h->n++] = (cprof_header){k, v ? v : ""};
    return MHD_YES;
}

static enum MHD_Result serve_pprof(struct MHD_Connection *c, const char *url, const char *method,
                                   request_state *st)
{
    header_list headers = {.n = 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &headers);
    const char *q = strchr(st->raw_uri, '?');
    cprof_request req = {
        .method = method,
        .path = url + strlen(PREFIX),
        .query = q ? q + 1 : NULL,
        .headers = headers.items,
        .n_headers = headers.n,
        .body = st->body,
        .body_len = st->body_len,
    };
    cprof_response resp;
    cprof_handle(&req, &resp);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp.body_len, (void *)resp.body, MHD_RESPMEM_MUST_COPY);
    for (size_t i = 0; i < resp.n_headers; i++)
        MHD_add_response_header(r, resp.headers[i].name, resp.headers[i].value);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    cprof_response_free(&resp);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    request_state *st = *con_cls;
    if (!st)
        return MHD_NO;
    if (*upload_size) { /* collect a POST body (/symbol), up to 1 MiB */
        if (st->body_len + *upload_size <= (1u << 20)) {
            char *grown = realloc(st->body, st->body_len + *upload_size);
            if (grown) {
                memcpy(grown + st->body_len, upload, *upload_size);
                st->body = grown;
                st->body_len += *upload_size;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/") == 0)
        return reply(c, 200, "text/plain", "hello from the application\n");
    if (strncmp(url, PREFIX, strlen(PREFIX)) != 0 ||
        (url[strlen(PREFIX)] != '/' && url[strlen(PREFIX)] != 0))
        return reply(c, 404, "text/plain", "not found\n");
    if (!authorized(c))
        return reply(c, 401, "text/plain", "admin token required\n");
    if (url[strlen(PREFIX)] == 0) { /* /admin/pprof -> /admin/pprof/ */
        struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Location", PREFIX "/");
        enum MHD_Result ret = MHD_queue_response(c, 301, r);
        MHD_destroy_response(r);
        return ret;
    }
    return serve_pprof(c, url, method, st);
}

int main(int argc, char **argv)
{
    admin_token = getenv("ADMIN_TOKEN");
    if (!admin_token || !*admin_token) {
        fprintf(stderr, "set ADMIN_TOKEN\n");
        return 2;
    }
    /* Heap sampling on, no built-in listener: we serve the endpoints. */
    cprof_config cfg = {.http_addr = "off"};
    if (cprof_start(&cfg) != 0)
        return 1;
    unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 8080;
    struct sockaddr_in loopback = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                         (uint16_t)port, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&loopback, MHD_OPTION_URI_LOG_CALLBACK, log_uri, NULL,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d)
        return 1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://127.0.0.1:%u%s/\n", info ? info->port : port, PREFIX);
    fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    cprof_stop();
    return 0;
}

/*
 * http_listener.c — the built-in /debug/pprof server on libmicrohttpd.
 *
 * One listener per process (the API has no handle). libmicrohttpd runs its
 * own accept thread plus one thread per connection, because producing a
 * profile may take long and must not block other scrapes; connections are
 * capped and time out so a stuck client cannot pin threads forever.
 *
 * Per request: the URI-log callback (called before MHD splits and decodes the
 * URI) allocates a req_ctx holding the raw query string, which the router
 * needs undecoded ('+' separates /symbol addresses). POST bodies are
 * accumulated up to HTTP_MAX_BODY; beyond that the data is counted and
 * dropped, and the router answers 413 from the byte count. A Content-Length
 * over the limit is refused before the body is read. The completion callback
 * frees the context.
 *
 * Invariants:
 *   - Every MHD callback first marks its thread as the profiler's own
 *     (heap_thread_set_internal) so the server's allocations are not sampled,
 *     except while the application's thread is inside start/stop (tl_in_api):
 *     MHD may call the logger there, and that thread must stay sampled.
 *   - MHD's threads are born with the program's signals blocked
 *     (own_threads_enter around MHD_start_daemon), and its descriptors (the
 *     listening socket, its wake-up eventfd, each connection) are marked as
 *     cprof's (own_fds.c): the program's close of one is a no-op.
 *   - g_listen_fd is cleared *before* MHD closes the socket, so a forked child
 *     never closes a descriptor number that was meanwhile reused.
 *   - start/stop are serialised by an atomic spin flag rather than a mutex, so
 *     http_listener_forget_in_child() can reset it async-signal-safely.
 */
#include "common/clock.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "heap/heap.h"
#include "http_auth.h"
#include "process/own_fds.h"
#include "process/own_threads.h"

#define DEFAULT_PREFIX "/debug/pprof"
#define MAX_PREFIX 128
/* Slow or numerous clients must not exhaust the host, nor lock out a normal
 * scrape: up to 256 connections (one small-stack thread each), and a
 * connection idle for 30 s is closed. A long profile is not idle: it is
 * being written. */
#define MAX_CONNECTIONS 256u
#define CONNECTION_TIMEOUT_S 30u
#define THREAD_STACK_SIZE (512u * 1024u)
#define MAX_HEADERS 64

static atomic_int g_lock;           /* start/stop serialisation */
static struct MHD_Daemon *g_daemon; /* under g_lock */
static atomic_int g_listen_fd = -1; /* for the fork child; -1 = none */
/* The Unix-socket daemon (http_unix_listener_start), under g_lock. */
static struct MHD_Daemon *g_unix_daemon;
static atomic_int g_unix_fd = -1;
/* The access handler's closure for the Unix socket: no token, default prefix. */
static int g_over_unix;
static char g_prefix[MAX_PREFIX]; /* "" = mounted at the root */
/* Also answered as the router's "/metrics": "" = only under the prefix. */
static char g_metrics_path[MAX_PREFIX] = "/metrics";
/* Our copies of the TLS PEM texts, alive as long as the daemon (under g_lock). */
static char *g_tls_cert, *g_tls_key;

static void tls_copies_free(void)
{
    free(g_tls_cert);
    free(g_tls_key);
    g_tls_cert = g_tls_key = NULL;
}

/* Start-up errors from MHD's logger, reported as the start failure reason. */
static atomic_int g_capture_log;
static char g_start_log[200];
static _Atomic long g_last_log_s; /* run-time log rate limit */

static __thread int tl_in_api;

/* ------------------------------------------------------------------------ */
/* Locking and thread marking                                                */

static void lock_acquire(void)
{
    while (atomic_exchange_explicit(&g_lock, 1, memory_order_acquire)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static void lock_release(void)
{
    atomic_store_explicit(&g_lock, 0, memory_order_release);
}

/* Every thread that runs our callbacks is the profiler's: keep its
 * allocations out of the heap profile, and name it so a thread dump tells
 * it from the application's threads. */
static void mark_internal(void)
{
    static __thread int named;
    if (tl_in_api)
        return;
    heap_thread_set_internal(1);
    if (!named) {
        named = 1;
        pthread_setname_np(pthread_self(), "cprof-http");
    }
}

/* ------------------------------------------------------------------------ */
/* MHD logging: capture during start, then only resource errors, rate-limited */

static int worth_reporting(const char *msg)
{
    static const char *const keys[] = {"thread", "memory", "limit", "accept", "alloc"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strstr(msg, keys[i]))
            return 1;
    }
    return 0;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    mark_internal();
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
        msg[--n] = '\0';
    if (atomic_load(&g_capture_log)) {
        if (g_start_log[0] == '\0')
            snprintf(g_start_log, sizeof g_start_log, "%s", msg);
        return;
    }
    /* Client-caused chatter (resets, malformed requests) is dropped. */
    if (!worth_reporting(msg))
        return;
    long now_s = (long)(monotonic_ns() / 1000000000);
    long last = atomic_load(&g_last_log_s);
    if (last != 0 && now_s - last < 10)
        return;
    /* "| 1" keeps the stamp non-zero: 0 means "never printed". */
    if (atomic_compare_exchange_strong(&g_last_log_s, &last, now_s | 1))
        fprintf(stderr, "cprof: http: %s\n", msg);
}

/* ------------------------------------------------------------------------ */
/* Per-request context                                                       */

typedef struct req_ctx {
    char *uri;       /* raw request target, query included */
    buf body;        /* at most HTTP_MAX_BODY bytes */
    size_t received; /* all body bytes seen, kept or not */
    int started;     /* the first access-handler call has happened */
    int responded;   /* a reply was queued early */
} req_ctx;

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    mark_internal();
    req_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->uri = strdup(uri ? uri : "");
    if (!ctx->uri) {
        free(ctx);
        return NULL;
    }
    buf_init(&ctx->body);
    return ctx;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    mark_internal();
    req_ctx *ctx = *con_cls;
    if (!ctx)
        return;
    buf_free(&ctx->body);
    free(ctx->uri);
    free(ctx);
    *con_cls = NULL;
}

/* Here to mark MHD's accept thread (which announces new connections) and
 * connection threads early, and each connection's socket as cprof's. */
static void connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)socket_context;
    mark_internal();
    /* The program cannot close a connection under us (own_fds.c). */
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci)
            own_fd_add(ci->connect_fd);
    }
}

/* ------------------------------------------------------------------------ */
/* Replies                                                                   */

static enum MHD_Result send_reply(struct MHD_Connection *conn, http_response *r,
                                  const char *location)
{
    size_t len;
    uint8_t *data = buf_steal(&r->body, &len);
    struct MHD_Response *mr;
    if (data)
        mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    else
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!mr) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->content_disposition[0])
        MHD_add_response_header(mr, "Content-Disposition", r->content_disposition);
    if (r->go_pprof_error)
        MHD_add_response_header(mr, "X-Go-Pprof", "1");
    if (r->content_encoding)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_ENCODING, r->content_encoding);
    if (r->allow)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_authenticate)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate);
    if (location)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_LOCATION, location);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *msg)
{
    http_response r;
    http_response_init(&r);
    http_response_error(&r, status, msg);
    enum MHD_Result ret = send_reply(conn, &r, NULL);
    http_response_free(&r);
    return ret;
}

/* "/debug/pprof" -> "/debug/pprof/": relative links on the index page only
 * work with the trailing slash, so redirect like Go's ServeMux does. */
static enum MHD_Result send_redirect(struct MHD_Connection *conn, const char *prefix,
                                     const char *query)
{
    char location[MAX_PREFIX + 16 + 1024];
    int n = snprintf(location, sizeof location, "%s/%s%s", prefix, query ? "?" : "",
                     query ? query : "");
    if (n < 0 || (size_t)n >= sizeof location)
        snprintf(location, sizeof location, "%s/", prefix);
    http_response r;
    http_response_init(&r);
    r.status = 301;
    buf_printf(&r.body, "Moved Permanently: %s\n", location);
    enum MHD_Result ret = send_reply(conn, &r, location);
    http_response_free(&r);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* Request handling                                                          */

typedef struct header_list {
    http_header items[MAX_HEADERS];
    size_t n;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    header_list *h = cls;
    if (h->n >= MAX_HEADERS)
        return MHD_NO;
    h->items[h->n].name = key;
    h->items[h->n].value = value ? value : "";
    h->n++;
    return MHD_YES;
}

/* The Content-Length of the request, when it has a valid one. A body over
 * the limit is then refused before any of it is read. */
static int declared_length(struct MHD_Connection *conn, unsigned long long *len)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl || *cl < '0' || *cl > '9')
        return 0;
    char *end;
    errno = 0;
    *len = strtoull(cl, &end, 10);
    if (errno == ERANGE)
        *len = ULLONG_MAX;
    return 1;
}

static void absorb_body(req_ctx *ctx, const char *data, size_t len)
{
    ctx->received += len;
    if (ctx->received <= HTTP_MAX_BODY)
        buf_append(&ctx->body, data, len);
    else
        buf_free(&ctx->body); /* the reply is 413 now: keep nothing */
}

/* Has the client closed its end? Its FIN (or a reset) shows as POLLRDHUP
 * or POLLHUP on the connection's socket even while we are not reading it;
 * with TLS the same holds (the socket is the same). Pending request bytes
 * (a pipelined request) alone do not count. */
static int client_gone(void *conn_ptr)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn_ptr, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* over_unix: the request came through the Unix socket, where the socket
 * file's mode is the access control (no token) and the prefix is the
 * default one. */
static enum MHD_Result route_and_send(struct MHD_Connection *conn, req_ctx *ctx, const char *url,
                                      const char *method, int over_unix)
{
    const char *query = strchr(ctx->uri, '?');
    query = query ? query + 1 : NULL;

    header_list headers;
    headers.n = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &headers);
    /* Authentication comes before everything, 404s included: without the
     * token nothing is revealed, not even which paths exist. */
    const char *token = over_unix ? "" : http_auth_token();
    if (token[0]) {
        http_request probe = {.method = method, .headers = headers.items, .n_headers = headers.n};
        if (!http_auth_bearer_ok(&probe, token)) {
            http_response r;
            http_response_init(&r);
            http_auth_reject(&r);
            enum MHD_Result ret = send_reply(conn, &r, NULL);
            http_response_free(&r);
            return ret;
        }
    }

    const char *path = url;
    const char *prefix = over_unix ? DEFAULT_PREFIX : g_prefix;
    size_t prefix_len = strlen(prefix);
    if (g_metrics_path[0] && strcmp(url, g_metrics_path) == 0) {
        path = "/metrics"; /* Prometheus's default scrape path, at the root */
    } else if (prefix_len > 0) {
        if (strcmp(url, prefix) == 0)
            return send_redirect(conn, prefix, query);
        if (strncmp(url, prefix, prefix_len) != 0 || url[prefix_len] != '/')
            return send_error(conn, 404, "Unknown profile");
        path = url + prefix_len;
    }

    int too_large = ctx->received > HTTP_MAX_BODY || ctx->body.oom;
    http_request req = {
        .method = method,
        .path = path,
        .query = query,
        .headers = headers.items,
        .n_headers = headers.n,
        /* Over the limit the router sees only the size and answers 413. */
        .body = too_large ? NULL : ctx->body.data,
        .body_len = too_large ? ctx->received : ctx->body.len,
        .client_gone = client_gone,
        .client_ctx = conn,
    };
    if (ctx->body.oom && ctx->received <= HTTP_MAX_BODY)
        return send_error(conn, 500, "out of memory while reading the request body");

    http_response resp;
    http_route(&req, &resp);
    enum MHD_Result ret = send_reply(conn, &resp, NULL);
    http_response_free(&resp);
    return ret;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)version;
    int over_unix = cls == &g_over_unix;
    mark_internal();
    req_ctx *ctx = *con_cls;
    if (!ctx) /* the URI-log callback ran out of memory */
        return send_error(conn, 500, "out of memory while reading the request");
    if (ctx->responded) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!ctx->started) {
        ctx->started = 1;
        /* MHD supports replying before the body only for POST and PUT; it
         * then closes the connection instead of reading the body. */
        unsigned long long declared;
        if ((strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) &&
            declared_length(conn, &declared) && declared > HTTP_MAX_BODY) {
            ctx->responded = 1;
            ctx->received = (size_t)(declared < SIZE_MAX ? declared : SIZE_MAX);
            return route_and_send(conn, ctx, url, method, over_unix);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        absorb_body(ctx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return route_and_send(conn, ctx, url, method, over_unix);
}

/* ------------------------------------------------------------------------ */
/* Address parsing                                                           */

typedef struct listen_addr {
    struct sockaddr_storage ss;
    int ipv6;
} listen_addr;

static int parse_port(const char *s, uint16_t *port)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* "HOST:PORT": IPv4 dotted quad, "localhost", "" (all IPv4 interfaces, as
 * Go's ":6060"), or "[IPv6]:PORT". Writes a one-line reason on failure. */
static int parse_listen_addr(const char *addr, listen_addr *out, char *err, size_t err_len)
{
    char host[64];
    const char *port_str;
    memset(out, 0, sizeof *out);
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':') {
            snprintf(err, err_len, "invalid address \"%s\": expected [IPv6]:PORT", addr);
            return -1;
        }
        size_t n = (size_t)(close - addr - 1);
        if (n >= sizeof host)
            n = sizeof host - 1;
        memcpy(host, addr + 1, n);
        host[n] = '\0';
        port_str = close + 2;
        out->ipv6 = 1;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon) {
            snprintf(err, err_len, "invalid address \"%s\": expected HOST:PORT", addr);
            return -1;
        }
        if (memchr(addr, ':', (size_t)(colon - addr))) {
            snprintf(err, err_len, "invalid address \"%s\": put IPv6 hosts in brackets, [::1]:PORT",
                     addr);
            return -1;
        }
        size_t n = (size_t)(colon - addr);
        if (n >= sizeof host) {
            snprintf(err, err_len, "invalid address \"%s\": host too long", addr);
            return -1;
        }
        memcpy(host, addr, n);
        host[n] = '\0';
        port_str = colon + 1;
    }

    uint16_t port;
    if (parse_port(port_str, &port) != 0) {
        snprintf(err, err_len, "invalid port \"%s\" in \"%s\": expected a number 0..65535",
                 port_str, addr);
        return -1;
    }
    if (out->ipv6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
            snprintf(err, err_len, "invalid IPv6 address \"%s\" in \"%s\"", host, addr);
            return -1;
        }
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (host[0] == '\0') {
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (strcmp(host, "localhost") == 0) {
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
        snprintf(err, err_len,
                 "invalid host \"%s\" in \"%s\": use an IPv4 address, localhost or [IPv6]", host,
                 addr);
        return -1;
    }
    return 0;
}

static void format_bound(const listen_addr *a, uint16_t port, char *out, size_t out_len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->ipv6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, host, sizeof host);
        snprintf(out, out_len, "[%s]:%u", host, (unsigned)port);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, host, sizeof host);
        snprintf(out, out_len, "%s:%u", host, (unsigned)port);
    }
}

/* NULL -> default; "" or "/" -> root; otherwise must start with '/'.
 * Trailing slashes are dropped so matching is "prefix" + "/..." . */
static int set_prefix(const char *prefix, char *err, size_t err_len)
{
    if (!prefix)
        prefix = DEFAULT_PREFIX;
    size_t n = strlen(prefix);
    if (n > 0 && prefix[0] != '/') {
        snprintf(err, err_len, "invalid URL prefix \"%s\": must start with '/'", prefix);
        return -1;
    }
    if (n >= sizeof g_prefix || strpbrk(prefix, "?#")) {
        snprintf(err, err_len, "invalid URL prefix \"%s\"", prefix);
        return -1;
    }
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    memcpy(g_prefix, prefix, n);
    g_prefix[n] = '\0';
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Start / stop                                                              */

static struct MHD_Daemon *start_daemon(listen_addr *a, const http_listener_options *o)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (a->ipv6)
        flags |= MHD_USE_IPv6;
    int tls = o->tls_cert_pem && o->tls_key_pem;
    if (tls)
        flags |= MHD_USE_TLS;
    uint16_t port = a->ipv6 ? ntohs(((struct sockaddr_in6 *)&a->ss)->sin6_port)
                            : ntohs(((struct sockaddr_in *)&a->ss)->sin_port);
    /* The logger must come first, or MHD logs option errors to stderr. The
     * TLS pair comes last so a plain listener ends the list before it. */
    return MHD_start_daemon(
        flags, port, NULL, NULL, access_handler, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a->ss, MHD_OPTION_CONNECTION_LIMIT,
        MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE, MHD_OPTION_URI_LOG_CALLBACK,
        uri_logged, NULL, MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, connection_notify, NULL,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
        o->tls_key_pem, MHD_OPTION_END);
}

/* The Unix-socket daemon on fd: the same callbacks and limits as the TCP
 * one; &g_over_unix tells the access handler where a request came from. */
static struct MHD_Daemon *start_unix_daemon(int fd)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, &g_over_unix, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
        NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
        MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE, MHD_OPTION_URI_LOG_CALLBACK,
        uri_logged, NULL, MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, connection_notify, NULL, MHD_OPTION_END);
}

/* Start a daemon as the profiler's: the TCP one on a/o, or with unix_fd >= 0
 * the Unix-socket one. MHD's listener and connection threads are born with
 * the program's signals blocked (they inherit this thread's mask), none of
 * its descriptors is 0, 1 or 2 (held meanwhile), and the
 * server's descriptors stay ours whatever the program closes (own_fds.c):
 * its listening socket (marked by the caller), and its wake-up eventfd, the
 * one eventfd that appeared while it started. The daemon, or NULL with
 * MHD's errno in *saved_errno. */
static struct MHD_Daemon *start_owned(listen_addr *a, const http_listener_options *o, int unix_fd,
                                      int *saved_errno)
{
    own_scope scope;
    own_threads_enter(&scope);
    int std_held[3];
    own_fds_hold_std(std_held);
    own_fds_snapshot *fds_before = own_fds_snapshot_take();
    errno = 0;
    struct MHD_Daemon *d = unix_fd >= 0 ? start_unix_daemon(unix_fd) : start_daemon(a, o);
    *saved_errno = errno;
    if (d)
        own_fds_adopt_new(fds_before, "anon_inode:[eventfd]");
    else
        free(fds_before);
    own_fds_release_std(std_held);
    own_threads_leave(&scope);
    return d;
}

/* Stop a daemon as the profiler's: its closes of the server's descriptors
 * are real (own_fds.c) whichever thread stops it. */
static void stop_owned(struct MHD_Daemon *d)
{
    own_scope scope;
    own_threads_enter(&scope);
    tl_in_api = 1;
    MHD_stop_daemon(d);
    tl_in_api = 0;
    own_threads_leave(&scope);
}

static int is_loopback(const listen_addr *a)
{
    if (a->ipv6) {
        const struct in6_addr *ip = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(ip))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(ip) && ip->s6_addr[12] == 127;
    }
    uint32_t ip = ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr);
    return (ip >> 24) == 127;
}

/* Access-control settings; a one-line reason in err when they cannot work. */
static int check_access(const http_listener_options *o, const listen_addr *la, char *err,
                        size_t err_len)
{
    int has_token = o->token && o->token[0];
    if (has_token && !http_auth_token_valid(o->token)) {
        snprintf(err, err_len, "the token must be 1 to %d visible ASCII characters",
                 HTTP_MAX_TOKEN);
        return -1;
    }
    if (!has_token && !o->allow_insecure && !is_loopback(la)) {
        snprintf(err, err_len,
                 "refusing to serve profiles on %s without a token: set CPROF_TOKEN or "
                 "CPROF_TOKEN_FILE, or CPROF_ALLOW_INSECURE=1",
                 o->addr);
        return -1;
    }
    if ((o->tls_cert_pem != NULL) != (o->tls_key_pem != NULL)) {
        snprintf(err, err_len, "TLS needs both a certificate and a key");
        return -1;
    }
    if (o->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, err_len, "this libmicrohttpd was built without TLS");
        return -1;
    }
    return 0;
}

int http_listener_start(const char *addr, const char *prefix, char *bound, size_t bound_len)
{
    http_listener_options o = {.addr = addr, .prefix = prefix};
    return http_listener_start_with(&o, bound, bound_len);
}

int http_listener_start_with(const http_listener_options *o, char *bound, size_t bound_len)
{
    char err[256] = "";
    char scratch[8];
    if (!bound || bound_len == 0) {
        bound = scratch;
        bound_len = sizeof scratch;
    }
    bound[0] = '\0';
    const char *addr = o->addr;
    const char *prefix = o->prefix;
    listen_addr la;
    if (!addr || parse_listen_addr(addr, &la, err, sizeof err) != 0) {
        snprintf(bound, bound_len, "%s", addr ? err : "no listen address given");
        return -1;
    }
    if (check_access(o, &la, err, sizeof err) != 0) {
        snprintf(bound, bound_len, "%s", err);
        return -1;
    }

    lock_acquire();
    if (g_daemon) {
        lock_release();
        snprintf(bound, bound_len, "cannot listen on %s: the HTTP listener is already running",
                 addr);
        return -1;
    }
    const char *mp = o->metrics_path ? o->metrics_path : "/metrics";
    snprintf(g_metrics_path, sizeof g_metrics_path, "%s", strlen(mp) < MAX_PREFIX ? mp : "");
    if (set_prefix(prefix, err, sizeof err) != 0) {
        lock_release();
        snprintf(bound, bound_len, "%s", err);
        return -1;
    }

    http_auth_set_token(o->token);
    http_listener_options own = *o;
    if (o->tls_cert_pem) {
        g_tls_cert = strdup(o->tls_cert_pem);
        g_tls_key = strdup(o->tls_key_pem);
        own.tls_cert_pem = g_tls_cert;
        own.tls_key_pem = g_tls_key;
    }
    tl_in_api = 1;
    g_start_log[0] = '\0';
    atomic_store(&g_capture_log, 1);
    int saved_errno = 0;
    struct MHD_Daemon *d = (o->tls_cert_pem && (!g_tls_cert || !g_tls_key))
                               ? NULL
                               : start_owned(&la, &own, -1, &saved_errno);
    atomic_store(&g_capture_log, 0);
    tl_in_api = 0;
    if (!d) {
        tls_copies_free();
        http_auth_set_token(NULL);
        lock_release();
        const char *why = g_start_log[0]     ? g_start_log
                          : saved_errno != 0 ? strerror(saved_errno)
                                             : "libmicrohttpd could not start";
        /* "Failed to bind to port N: Address already in use" -> the reason. */
        const char *colon = strrchr(why, ':');
        if (strncmp(why, "Failed to bind", 14) == 0 && colon && colon[1] == ' ')
            why = colon + 2;
        snprintf(bound, bound_len, "cannot listen on %s: %s", addr, why);
        return -1;
    }

    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    uint16_t port = info ? info->port : 0;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    atomic_store(&g_listen_fd, info ? (int)info->listen_fd : -1);
    if (info)
        own_fd_add((int)info->listen_fd);
    g_daemon = d;
    format_bound(&la, port, bound, bound_len);
    lock_release();
    return 0;
}

void http_listener_stop(void)
{
    lock_acquire();
    struct MHD_Daemon *d = g_daemon;
    g_daemon = NULL;
    atomic_store(&g_listen_fd, -1);
    http_auth_set_token(NULL);
    if (d)
        stop_owned(d);
    tls_copies_free();
    lock_release();
}

int http_unix_listener_start(int fd)
{
    lock_acquire();
    if (g_unix_daemon) {
        lock_release();
        errno = EBUSY;
        return -1;
    }
    tl_in_api = 1;
    atomic_store(&g_capture_log, 1);
    int saved_errno;
    struct MHD_Daemon *d = start_owned(NULL, NULL, fd, &saved_errno);
    atomic_store(&g_capture_log, 0);
    tl_in_api = 0;
    if (d) {
        own_fd_add(fd);
        g_unix_daemon = d;
        atomic_store(&g_unix_fd, fd);
    }
    lock_release();
    if (!d)
        errno = saved_errno ? saved_errno : EIO;
    return d ? 0 : -1;
}

void http_unix_listener_stop(void)
{
    lock_acquire();
    struct MHD_Daemon *d = g_unix_daemon;
    g_unix_daemon = NULL;
    int fd = atomic_exchange(&g_unix_fd, -1);
    if (d)
        stop_owned(d); /* MHD closes a socket it was given */
    else if (fd >= 0)
        own_fd_close(fd);
    lock_release();
}

void http_listener_forget_in_child(void)
{
    /* Only atomics and close(): this runs in a pthread_atfork child handler.
     * The parents' daemon structs are leaked on purpose; their threads are
     * gone and MHD_stop_daemon would try to join them. */
    int fd = atomic_exchange(&g_listen_fd, -1);
    if (fd >= 0)
        own_fd_close(fd);
    fd = atomic_exchange(&g_unix_fd, -1);
    if (fd >= 0)
        own_fd_close(fd);
    g_unix_daemon = NULL;
    /* The parent's descriptors are not this process's to keep. */
    own_fds_forget_all();
    g_daemon = NULL;
    atomic_store(&g_lock, 0);
    http_merge_forget_in_child();
}

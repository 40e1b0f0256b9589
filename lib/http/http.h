/*
 * http.h — everything HTTP in the library: the framework-neutral router for
 * /debug/pprof (http_router.c), the built-in libmicrohttpd listener that
 * feeds it (http_listener.c), access control (http_auth.c) and the
 * embedding API of cprof.h (embed.c). No profile source includes it:
 * sources get parsed values and answer a neutral profile_status.
 *
 * The router takes a request described in plain C (method, path relative to
 * the mount prefix, raw query, headers, body) and fills a response (status,
 * content type, body). The built-in listener and any embedding server share
 * it, so the two can never disagree. It follows Go's net/http/pprof contract:
 * headers, error style (text/plain, X-Go-Pprof: 1, message + newline).
 */
#ifndef CPROF_HTTP_H
#define CPROF_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pprof/profiles.h"

/* The content types of every reply (static strings). */
#define HTTP_TEXT_PLAIN "text/plain; charset=utf-8"
#define HTTP_TEXT_HTML "text/html; charset=utf-8"
#define HTTP_OCTET_STREAM "application/octet-stream"
#define HTTP_JSON "application/json"

/* Request bodies larger than this are refused with 413. */
#define HTTP_MAX_BODY (1u << 20)

typedef struct http_header {
    const char *name;
    const char *value;
} http_header;

typedef struct http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* relative to the prefix: "/", "/heap", "/symbol" */
    const char *query;  /* raw query string without '?', or NULL */
    const http_header *headers;
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
    /* Optional: returns nonzero once the client has closed the connection,
     * so a long profile (the CPU profile) stops early. NULL: cannot tell. */
    int (*client_gone)(void *ctx);
    void *client_ctx;
} http_request;

typedef struct http_response {
    int status;
    const char *content_type;      /* static string */
    char content_disposition[160]; /* "" = header not sent */
    int go_pprof_error;            /* send X-Go-Pprof: 1 */
    const char *allow;             /* static; Allow header of a 405, NULL = not sent */
    const char *www_authenticate;  /* static; WWW-Authenticate of a 401, NULL = not sent */
    const char *content_encoding;  /* static; "gzip" for a gzipped text body, NULL = none */
    buf body;
} http_response;
/* Every reply also carries X-Content-Type-Options: nosniff; the sender adds
 * it unconditionally, so there is no flag for it. */

void http_response_init(http_response *resp);
void http_response_free(http_response *resp);
/* Turn resp into a Go-style error: text/plain, X-Go-Pprof: 1, msg + "\n". */
void http_response_error(http_response *resp, int status, const char *msg);

/* Route one request. Never fails: every outcome is a response. */
void http_route(const http_request *req, http_response *resp);

/*
 * Query parameter lookup on a raw query string: copies the percent-decoded
 * value of the first `name` into out (NUL-terminated). Returns 1 when found,
 * 0 when absent, -1 when the value does not fit or is badly encoded.
 */
int http_query_get(const char *query, const char *name, char *out, size_t out_len);

/* query without its name=... pairs (raw, undecoded; other pairs in their
 * order) into out. 0, or -1 when it does not fit in cap. */
int http_query_without(const char *query, const char *name, char *out, size_t cap);

/*
 * ?pid=N (http_forward.c): serve the request from descendant pid's Unix
 * socket — "/debug/pprof" + path + the query without pid, over HTTP/1.0 —
 * and copy its reply (status, content type, disposition, X-Go-Pprof, body)
 * into resp. 404 when pid is not a profiled descendant of this process,
 * 502 when its socket does not answer, each with a one-line reason. The
 * wait ends early when req->client_gone says the client left (the remote
 * then sees its connection close and stops too).
 */
void http_forward(long pid, const char *path, const http_request *req, http_response *resp);
/* Its two halves, for ?pid=all (http_merge.c), which waits on many at once:
 * connect to descendant pid's socket and send GET /debug/pprof+path?query.
 * The connected descendant (marked as cprof's: own_fd_close it), or -1 with
 * *status (404 not a profiled descendant, 502 unreachable) and a one-line
 * reason in err. */
int http_forward_send(long pid, const char *path, const char *query, int *status, char *err,
                      size_t err_len);
/* A whole reply read from that descendant (raw: status line, headers, body;
 * a byte may be appended) into resp. 0, or -1 when it is not an HTTP reply. */
int http_forward_parse(buf *raw, http_response *resp);

/*
 * ?pid=all (http_merge.c): the profile of every process of the tree merged
 * into one, each sample labelled pid (numeric) and program (string). self
 * serves this process's own part from sub (the request without pid);
 * the descendants are asked over their sockets at the same time, before
 * self runs, so a CPU profile covers one window everywhere. window_s is
 * the collection window (0 for a snapshot); a descendant silent beyond it
 * plus a grace is skipped and named in a comment of the profile. Runs one
 * at a time (503 while another runs); memory is capped (503 beyond).
 */
void http_merge_all(const char *path, const http_request *sub, int window_s,
                    void (*self)(const http_request *sub, http_response *resp, void *ctx),
                    void *self_ctx, http_response *resp);
/* The ?pid=all memory cap in bytes (CPROF_MERGE_MAX_KB; 0 = the default,
 * 64 MiB): the replies together, each one decoded, the merged profile. */
void http_merge_set_budget(size_t bytes);
/* In a forked child (async-signal-safe): a merge the parent was running is
 * not this process's. */
void http_merge_forget_in_child(void);

/*
 * The query of a request for profile src, checked by the registry's tables
 * (profiles.h) in Go's order: for each parameter its value, whether src
 * takes it, the window limit max_seconds, debug=0 with a delta. Returns 0
 * with req filled (name, variant, parsed values, defaults for absent ones;
 * client_gone left NULL), or 400 with Go's one-line message in err.
 */
int http_profile_query(const profile_source *src, const char *query, int max_seconds,
                       profile_request *req, char *err, size_t err_len);

/* Built-in listener (libmicrohttpd). addr is "HOST:PORT"; port 0 picks a free
 * port. On success writes the bound "HOST:PORT" into bound and returns 0; on
 * failure writes a one-line reason into bound and returns -1. */
int http_listener_start(const char *addr, const char *prefix, char *bound, size_t bound_len);

typedef struct http_listener_options {
    const char *addr;   /* "HOST:PORT" */
    const char *prefix; /* NULL = "/debug/pprof" */
    /* Where the root serves the router's /metrics too: NULL = "/metrics",
     * "" = nowhere (CPROF_METRICS_PATH, checked by config.c). */
    const char *metrics_path;
    const char *token;        /* NULL or "" = no authentication */
    int allow_insecure;       /* serve beyond loopback without a token */
    const char *tls_cert_pem; /* both set = HTTPS (PEM text, not paths) */
    const char *tls_key_pem;
} http_listener_options;

/* The same with access control: a token makes every request require
 * "Authorization: Bearer <token>"; a non-loopback address without a token
 * is refused unless allow_insecure; a certificate and key turn on TLS. */
int http_listener_start_with(const http_listener_options *o, char *bound, size_t bound_len);
void http_listener_stop(void);
/* A second daemon on fd, a listening Unix-domain socket the caller made
 * (lib/process/proc_socket.c): the same routes under /debug/pprof, with no
 * token (the socket file's mode is the access control). The daemon owns fd
 * from then on (stop closes it). 0, or -1 with errno (EBUSY: one runs). */
int http_unix_listener_start(int fd);
/* Stop it, close its socket; the socket file is the caller's to remove. */
void http_unix_listener_stop(void);
/* In a forked child: forget the parent's listeners (TCP and Unix) without touching its
 * thread (it does not exist here) and close the inherited listening socket.
 * Async-signal-safe: called from a pthread_atfork child handler. */
void http_listener_forget_in_child(void);

#endif

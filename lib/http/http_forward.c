/*
 * http_forward.c — ?pid=N: a request served by another process of the
 * tree, through its Unix socket.
 *
 * Design: the client side is a small HTTP/1.0 GET over AF_UNIX written here
 * rather than libcurl. Its only peer is our own libmicrohttpd server
 * (proc_socket.c, the same routes) in a descendant of the same user, whose
 * replies we produce: HTTP/1.0 with "Connection: close" makes the reply
 * end at the connection's end (no chunked encoding, no keep-alive), and
 * the headers that matter are four we write ourselves. Linking libcurl
 * into every host process (its TLS stack, resolver threads, global init
 * that is not thread-safe) would cost far more than these lines.
 *
 * The reply is read whole into the response (capped at FORWARD_MAX_BYTES),
 * then sent: the remote produces a profile whole before its first byte
 * anyway, so streaming it through would only save memory. While it waits
 * (a CPU profile: its whole window) the connection is polled every 100 ms
 * and closed as soon as our client hangs up, so the remote's own hang-up
 * probe stops its collection too. The socket is marked as cprof's
 * (own_fds.c): the program cannot close it under us.
 */
#include "http.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "pprof/profiles.h"
#include "process/own_fds.h"
#include "process/proc_tree.h"

#define FORWARD_MAX_BYTES (256u << 20)
#define FORWARD_SLACK_S 60 /* beyond the window limit, for the remote's encoding */
#define POLL_STEP_MS 100

/* Connect to the Unix socket at path; the descriptor (marked as cprof's),
 * or -1 with errno. */
static int connect_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    own_fd_add(fd);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        own_fd_close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read until the peer closes, into b. 0; 1 when the client went away; -1
 * on an error, a timeout or a reply over the cap (reason in err). */
static int read_all(int fd, const http_request *req, buf *b, char *err, size_t err_len)
{
    int64_t deadline =
        monotonic_ns() + (int64_t)(profile_max_seconds() + FORWARD_SLACK_S) * 1000000000LL;
    char chunk[65536];
    for (;;) {
        if (req->client_gone && req->client_gone(req->client_ctx))
            return 1;
        if (monotonic_ns() > deadline) {
            snprintf(err, err_len, "no complete reply within %d seconds",
                     profile_max_seconds() + FORWARD_SLACK_S);
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, POLL_STEP_MS);
        if (r < 0 && errno != EINTR) {
            snprintf(err, err_len, "poll: %s", strerror(errno));
            return -1;
        }
        if (r <= 0)
            continue;
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, err_len, "read: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        if (b->len + (size_t)n > FORWARD_MAX_BYTES) {
            snprintf(err, err_len, "its reply is larger than %u MiB", FORWARD_MAX_BYTES >> 20);
            return -1;
        }
        buf_append(b, chunk, (size_t)n);
        if (b->oom) {
            snprintf(err, err_len, "out of memory while reading its reply");
            return -1;
        }
    }
}

/* The value of header name in the header block [h, end) (lines ending in
 * CRLF), copied into out; 1 when present, 0 when not. */
static int header_value(const char *h, const char *end, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    while (h < end) {
        const char *eol = memchr(h, '\n', (size_t)(end - h));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - h) > name_len && strncasecmp(h, name, name_len) == 0 &&
            h[name_len] == ':') {
            const char *v = h + name_len + 1;
            while (v < line_end && *v == ' ')
                v++;
            const char *ve = line_end;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            snprintf(out, cap, "%.*s", (int)(ve - v), v);
            return 1;
        }
        h = eol ? eol + 1 : end;
    }
    return 0;
}

/* The reply in raw (status line, headers, body; a NUL after its end) into
 * resp; -1 when it is not an HTTP reply. */
static int parse_reply(buf *raw, http_response *resp)
{
    const char *data = (const char *)raw->data;
    int status;
    if (raw->len < 12 || !data || sscanf(data, "HTTP/1.%*1d %3d", &status) != 1 || status < 100)
        return -1;
    const char *text = data;
    const char *head_end = NULL;
    for (size_t i = 0; i + 3 < raw->len; i++)
        if (memcmp(text + i, "\r\n\r\n", 4) == 0) {
            head_end = text + i + 2;
            break;
        }
    if (!head_end)
        return -1;
    const char *headers = memchr(text, '\n', (size_t)(head_end - text));
    headers = headers ? headers + 1 : head_end;
    char value[160];
    resp->status = status;
    resp->content_type = HTTP_OCTET_STREAM;
    if (header_value(headers, head_end, "Content-Type", value, sizeof value))
        resp->content_type = strncmp(value, "text/html", 9) == 0           ? HTTP_TEXT_HTML
                             : strncmp(value, "text/plain", 10) == 0       ? HTTP_TEXT_PLAIN
                             : strncmp(value, "application/json", 16) == 0 ? HTTP_JSON
                                                                           : HTTP_OCTET_STREAM;
    if (!header_value(headers, head_end, "Content-Disposition", resp->content_disposition,
                      sizeof resp->content_disposition))
        resp->content_disposition[0] = '\0';
    resp->go_pprof_error = header_value(headers, head_end, "X-Go-Pprof", value, sizeof value) &&
                           strcmp(value, "1") == 0;
    size_t body_at = (size_t)(head_end + 2 - text);
    buf_reset(&resp->body);
    buf_append(&resp->body, raw->data + body_at, raw->len - body_at);
    return 0;
}

int http_forward_send(long pid, const char *path, const char *query, int *status, char *err,
                      size_t err_len)
{
    char sock[256];
    if (proc_tree_socket_of(pid, sock, sizeof sock) != 0) {
        snprintf(err, err_len,
                 "no profiled process %ld under this one (its processes: /debug/pprof/procs)", pid);
        *status = 404;
        return -1;
    }
    *status = 502;
    buf request;
    buf_init(&request);
    buf_printf(&request, "GET /debug/pprof%s%s%s HTTP/1.0\r\nHost: localhost\r\n\r\n", path,
               query && query[0] ? "?" : "", query ? query : "");
    int fd = request.oom ? -1 : connect_unix(sock);
    if (fd < 0) {
        snprintf(err, err_len, "process %ld: cannot connect to %s: %s", pid, sock,
                 request.oom ? "out of memory" : strerror(errno));
        buf_free(&request);
        return -1;
    }
    if (send_all(fd, (const char *)request.data, request.len) != 0) {
        snprintf(err, err_len, "process %ld: send: %s", pid, strerror(errno));
        own_fd_close(fd);
        fd = -1;
    }
    buf_free(&request);
    return fd;
}

int http_forward_parse(buf *raw, http_response *resp)
{
    buf_append_byte(raw, '\0'); /* a terminating NUL for the status line's sscanf */
    if (raw->oom)
        return -1;
    raw->len--;
    return parse_reply(raw, resp);
}

void http_forward(long pid, const char *path, const http_request *req, http_response *resp)
{
    char query[2048], err[320] = "";
    if (http_query_without(req->query, "pid", query, sizeof query) != 0) {
        http_response_error(resp, 400, "query too long to forward");
        return;
    }
    int status;
    int fd = http_forward_send(pid, path, query, &status, err, sizeof err);
    if (fd < 0) {
        http_response_error(resp, status, err);
        return;
    }
    buf raw;
    buf_init(&raw);
    int rc = read_all(fd, req, &raw, err, sizeof err);
    own_fd_close(fd);
    if (rc == 0 && http_forward_parse(&raw, resp) != 0) {
        rc = -1;
        snprintf(err, sizeof err, "not an HTTP reply");
    }
    buf_free(&raw);
    if (rc == 1) {
        http_response_error(resp, 500, "the client went away");
    } else if (rc != 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "process %ld: %s", pid, err);
        http_response_error(resp, 502, msg);
    }
}

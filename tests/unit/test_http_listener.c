/*
 * test_http_listener.c — the libmicrohttpd listener over real sockets:
 * binding and port reporting, prefix handling, headers on the wire, the 413
 * limit (declared and chunked), address errors, a busy port, and the
 * fork-child path.
 *
 * The HTTP client is a few lines of plain sockets (Connection: close, read to
 * EOF), so the tests see exactly the bytes a client would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http.h"

/* ---- a tiny HTTP/1.1 client ---- */

typedef struct reply {
    int status;
    char *raw;        /* whole reply, NUL-terminated */
    const char *body; /* into raw */
    size_t body_len;
} reply;

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        p += w;
        len -= (size_t)w;
    }
}

static void read_reply(int fd, reply *r)
{
    size_t cap = 4096, len = 0;
    char *raw = malloc(cap);
    assert_non_null(raw);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            raw = realloc(raw, cap);
            assert_non_null(raw);
        }
        ssize_t n = recv(fd, raw + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    raw[len] = '\0';
    close(fd);
    memset(r, 0, sizeof *r);
    r->raw = raw;
    assert_int_equal(sscanf(raw, "HTTP/1.1 %d", &r->status), 1);
    char *sep = strstr(raw, "\r\n\r\n");
    assert_non_null(sep);
    r->body = sep + 4;
    r->body_len = len - (size_t)(r->body - raw);
}

static void request(int port, const char *method, const char *target, const char *extra_headers,
                    const void *body, size_t body_len, reply *r)
{
    int fd = connect_port(port);
    assert_true(fd >= 0);
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     method, target, extra_headers ? extra_headers : "", body_len);
    write_all(fd, head, (size_t)n);
    if (body_len)
        write_all(fd, body, body_len);
    read_reply(fd, r);
}

static void get(int port, const char *target, reply *r)
{
    request(port, "GET", target, NULL, NULL, 0, r);
}

/* Value of a response header (case-insensitive name), or NULL. Points into a
 * static buffer. */
static const char *header(const reply *r, const char *name)
{
    static char value[256];
    size_t nlen = strlen(name);
    const char *p = strstr(r->raw, "\r\n");
    while (p && p + 2 < r->body) {
        p += 2;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            size_t len = (size_t)(end - v);
            if (len >= sizeof value)
                len = sizeof value - 1;
            memcpy(value, v, len);
            value[len] = '\0';
            return value;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

static void assert_header(const reply *r, const char *name, const char *want)
{
    const char *v = header(r, name);
    if (!v)
        fail_msg("missing header %s in:\n%s", name, r->raw);
    assert_string_equal(v, want);
}

/* ---- fixture: one listener on 127.0.0.1:<free port> ---- */

static int g_port;

static int start_listener(void **state)
{
    (void)state;
    char bound[128];
    if (http_listener_start("127.0.0.1:0", NULL, bound, sizeof bound) != 0) {
        fprintf(stderr, "start failed: %s\n", bound);
        return -1;
    }
    if (sscanf(bound, "127.0.0.1:%d", &g_port) != 1 || g_port <= 0)
        return -1;
    return 0;
}

static int stop_listener(void **state)
{
    (void)state;
    http_listener_stop();
    return 0;
}

/* ---- tests ---- */

static void test_index_over_http(void **state)
{
    (void)state;
    reply r;
    get(g_port, "/debug/pprof/", &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "X-Content-Type-Options", "nosniff");
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_null(header(&r, "X-Go-Pprof"));
    assert_non_null(strstr(r.body, "<title>/debug/pprof/</title>"));
    assert_non_null(strstr(r.body, "heap?debug=1"));
    free(r.raw);
}

static void test_errors_over_http(void **state)
{
    (void)state;
    reply r;
    get(g_port, "/debug/pprof/nonexistent", &r);
    assert_int_equal(r.status, 404);
    assert_header(&r, "X-Content-Type-Options", "nosniff");
    assert_header(&r, "X-Go-Pprof", "1");
    assert_header(&r, "Content-Type", "text/plain; charset=utf-8");
    assert_null(header(&r, "Content-Disposition"));
    assert_string_equal(r.body, "Unknown profile\n");
    free(r.raw);

    get(g_port, "/elsewhere", &r); /* outside the prefix */
    assert_int_equal(r.status, 404);
    assert_header(&r, "X-Go-Pprof", "1");
    free(r.raw);

    get(g_port, "/debug/pprof/heap?debug=abc", &r);
    assert_int_equal(r.status, 400);
    assert_header(&r, "X-Go-Pprof", "1");
    assert_string_equal(r.body, "invalid value for \"debug\" - must be a non-negative integer\n");
    free(r.raw);

    request(g_port, "PUT", "/debug/pprof/heap", NULL, "x", 1, &r);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow", "GET, HEAD");
    assert_header(&r, "X-Go-Pprof", "1");
    free(r.raw);
}

static void test_redirect_to_slash(void **state)
{
    (void)state;
    reply r;
    get(g_port, "/debug/pprof?x=1", &r);
    assert_int_equal(r.status, 301);
    assert_header(&r, "Location", "/debug/pprof/?x=1");
    assert_header(&r, "X-Content-Type-Options", "nosniff");
    free(r.raw);
}

static void test_profiles_over_http(void **state)
{
    (void)state;
    reply r;
    get(g_port, "/debug/pprof/heap?debug=1", &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "text/plain; charset=utf-8");
    assert_header(&r, "X-Content-Type-Options", "nosniff");
    free(r.raw);

    get(g_port, "/debug/pprof/allocs", &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "application/octet-stream");
    assert_header(&r, "Content-Disposition", "attachment; filename=\"allocs\"");
    assert_true(r.body_len >= 2);
    assert_int_equal((unsigned char)r.body[0], 0x1f);
    assert_int_equal((unsigned char)r.body[1], 0x8b);
    free(r.raw);

    /* HEAD: headers only. */
    request(g_port, "HEAD", "/debug/pprof/", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_int_equal(r.body_len, 0);
    free(r.raw);
}

__attribute__((noinline, used)) int cprof_listener_test_marker(int x)
{
    __asm__ volatile("" : "+r"(x));
    return x + 7;
}

static void test_symbol_over_http(void **state)
{
    (void)state;
    reply r;
    get(g_port, "/debug/pprof/symbol", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "num_symbols: 1\n");
    free(r.raw);

    /* The raw query keeps its '+' separators (MHD would decode them). */
    char target[128], want[128];
    unsigned long long addr = (unsigned long long)(uintptr_t)&cprof_listener_test_marker;
    snprintf(target, sizeof target, "/debug/pprof/symbol?%#llx+0x10", addr);
    snprintf(want, sizeof want, "num_symbols: 1\n%#llx cprof_listener_test_marker\n", addr);
    get(g_port, target, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    free(r.raw);

    char body[64];
    int n = snprintf(body, sizeof body, "%#llx+garbage", addr);
    request(g_port, "POST", "/debug/pprof/symbol", "Content-Type: application/octet-stream\r\n",
            body, (size_t)n, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    free(r.raw);
}

/* A declared Content-Length over the limit is refused before the body. */
static void test_413_declared(void **state)
{
    (void)state;
    int fd = connect_port(g_port);
    assert_true(fd >= 0);
    const char *head = "POST /debug/pprof/symbol HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Length: 2097152\r\n\r\n";
    write_all(fd, head, strlen(head));
    reply r;
    read_reply(fd, &r);
    assert_int_equal(r.status, 413);
    assert_header(&r, "X-Go-Pprof", "1");
    assert_header(&r, "X-Content-Type-Options", "nosniff");
    assert_string_equal(r.body, "request body too large (limit 1048576 bytes)\n");
    free(r.raw);
}

/* A chunked 2 MiB body has no declared size: read, counted, refused. */
static void test_413_chunked(void **state)
{
    (void)state;
    int fd = connect_port(g_port);
    assert_true(fd >= 0);
    const char *head = "POST /debug/pprof/symbol HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    write_all(fd, head, strlen(head));
    static char chunk[65536];
    memset(chunk, '1', sizeof chunk);
    for (int i = 0; i < 32; i++) {
        write_all(fd, "10000\r\n", 7);
        write_all(fd, chunk, sizeof chunk);
        write_all(fd, "\r\n", 2);
    }
    write_all(fd, "0\r\n\r\n", 5);
    reply r;
    read_reply(fd, &r);
    assert_int_equal(r.status, 413);
    assert_header(&r, "X-Go-Pprof", "1");
    free(r.raw);
}

/* The same through curl (a declared dependency), when it is installed. */
static void test_413_curl(void **state)
{
    (void)state;
    if (system("command -v curl >/dev/null 2>&1") != 0)
        skip();
    char path[] = "/tmp/cprof-413-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 2 << 20), 0);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' --data-binary @%s "
             "http://127.0.0.1:%d/debug/pprof/symbol",
             path, g_port);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[16] = "";
    assert_non_null(fgets(out, sizeof out, p));
    pclose(p);
    unlink(path);
    assert_string_equal(out, "413");
}

static void test_forget_in_child(void **state)
{
    (void)state;
    /* Find the listening descriptor, so the child can check it is closed. */
    int listen_fd = -1;
    for (int fd = 0; fd < 1024 && listen_fd < 0; fd++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        int acc = 0;
        socklen_t alen = sizeof acc;
        if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET &&
            ntohs(sa.sin_port) == g_port &&
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) == 0 && acc)
            listen_fd = fd;
    }
    assert_true(listen_fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        http_listener_forget_in_child();
        if (fcntl(listen_fd, F_GETFD) != -1 || errno != EBADF)
            _exit(2);
        /* The listener state is reset: the child can start its own. */
        char bound[128];
        if (http_listener_start("127.0.0.1:0", NULL, bound, sizeof bound) != 0)
            _exit(3);
        http_listener_stop();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent keeps serving. */
    reply r;
    get(g_port, "/debug/pprof/", &r);
    assert_int_equal(r.status, 200);
    free(r.raw);
}

static void test_already_running(void **state)
{
    (void)state;
    char bound[256];
    assert_int_equal(http_listener_start("127.0.0.1:0", NULL, bound, sizeof bound), -1);
    assert_non_null(strstr(bound, "already running"));
}

/* ---- tests without the fixture ---- */

static void test_bad_addresses(void **state)
{
    (void)state;
    static const char *bad[] = {"nonsense",     "1.2.3.4:99999",   "127.0.0.1:",    "127.0.0.1:-1",
                                "300.1.1.1:80", "::1:80",          "[::1:80",       "[::1]80",
                                "[zz]:80",      "host.example:80", "127.0.0.1:80x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char bound[256] = "unchanged";
        assert_int_equal(http_listener_start(bad[i], NULL, bound, sizeof bound), -1);
        assert_true(strlen(bound) > 10);
        assert_null(strchr(bound, '\n'));
        if (bad[i][0])
            assert_non_null(strstr(bound, bad[i]));
    }
    char bound[256];
    assert_int_equal(http_listener_start("127.0.0.1:0", "no-slash", bound, sizeof bound), -1);
    assert_non_null(strstr(bound, "prefix"));
}

static void test_port_in_use(void **state)
{
    (void)state;
    /* Occupy a port the way a second listener would find it. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    char addr[64], bound[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    assert_int_equal(http_listener_start(addr, NULL, bound, sizeof bound), -1);
    assert_non_null(strstr(bound, addr));
    assert_non_null(strstr(bound, "in use"));
    close(fd);

    /* Two of our own listeners on one fixed port: the port is now free, so
     * the first binds it; a second start (the listener is a singleton) fails. */
    assert_int_equal(http_listener_start(addr, NULL, bound, sizeof bound), 0);
    assert_string_equal(bound, addr);
    char bound2[256];
    assert_int_equal(http_listener_start(addr, NULL, bound2, sizeof bound2), -1);
    assert_non_null(strstr(bound2, addr));
    http_listener_stop();
    http_listener_stop(); /* idempotent */
}

static void test_root_prefix_and_localhost(void **state)
{
    (void)state;
    char bound[128];
    assert_int_equal(http_listener_start("localhost:0", "/", bound, sizeof bound), 0);
    int port;
    assert_int_equal(sscanf(bound, "127.0.0.1:%d", &port), 1);
    reply r;
    get(port, "/heap?debug=1", &r);
    assert_int_equal(r.status, 200);
    free(r.raw);
    get(port, "/", &r);
    assert_int_equal(r.status, 200);
    free(r.raw);
    http_listener_stop();
    /* Stopped: nothing listens any more. */
    int fd = connect_port(port);
    if (fd >= 0)
        close(fd);
    assert_true(fd < 0);
}

static void test_ipv6_loopback(void **state)
{
    (void)state;
    char bound[128];
    if (http_listener_start("[::1]:0", "/custom/", bound, sizeof bound) != 0) {
        /* No IPv6 on this machine: a clear reason is all we can check. */
        assert_non_null(strstr(bound, "[::1]:0"));
        skip();
    }
    assert_int_equal(strncmp(bound, "[::1]:", 6), 0);
    int port = atoi(bound + 6);
    assert_true(port > 0);
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    sa.sin6_addr = in6addr_loopback;
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *req = "GET /custom/symbol HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    write_all(fd, req, strlen(req));
    reply r;
    read_reply(fd, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "num_symbols: 1\n");
    free(r.raw);
    http_listener_stop();
}

int main(void)
{
    const struct CMUnitTest served[] = {
        cmocka_unit_test(test_index_over_http),   cmocka_unit_test(test_errors_over_http),
        cmocka_unit_test(test_redirect_to_slash), cmocka_unit_test(test_profiles_over_http),
        cmocka_unit_test(test_symbol_over_http),  cmocka_unit_test(test_413_declared),
        cmocka_unit_test(test_413_chunked),       cmocka_unit_test(test_413_curl),
        cmocka_unit_test(test_forget_in_child),   cmocka_unit_test(test_already_running),
    };
    const struct CMUnitTest standalone[] = {
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_root_prefix_and_localhost),
        cmocka_unit_test(test_ipv6_loopback),
    };
    int failed = cmocka_run_group_tests_name("served", served, start_listener, stop_listener);
    failed += cmocka_run_group_tests_name("standalone", standalone, NULL, NULL);
    return failed;
}

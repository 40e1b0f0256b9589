/*
 * Access control of the built-in listener, over real sockets: bearer token
 * on every endpoint, refusal of non-loopback binds without a token, TLS with
 * a self-signed certificate made here, and a normal request served while 200
 * stalled connections are open. Also the token check itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "http/http.h"
#include "http/http_auth.h"

#define TOKEN "s3cret-T0ken_with.chars~"

/* ---- the check itself ---- */

static int auth_with(const char *header_value)
{
    http_header h = {"authorization", header_value};
    http_request req = {
        .method = "GET", .path = "/", .headers = &h, .n_headers = header_value != 0};
    return http_auth_bearer_ok(&req, TOKEN);
}

static void test_bearer_check(void **state)
{
    (void)state;
    assert_true(auth_with("Bearer " TOKEN));
    assert_true(auth_with("bearer " TOKEN));
    assert_true(auth_with("BEARER   " TOKEN "  "));
    assert_false(auth_with(NULL));
    assert_false(auth_with(""));
    assert_false(auth_with("Bearer"));
    assert_false(auth_with("Bearer "));
    assert_false(auth_with("Basic " TOKEN));
    assert_false(auth_with("Bearer" TOKEN));
    assert_false(auth_with("Bearer " TOKEN "x"));
    assert_false(auth_with("Bearer s3cret"));
    assert_false(auth_with("Bearer S3cret-T0ken_with.chars~"));
    assert_true(http_auth_token_valid(TOKEN));
    assert_false(http_auth_token_valid(""));
    assert_false(http_auth_token_valid("has space"));
    assert_false(http_auth_token_valid("tab\there"));
    http_response r;
    http_response_init(&r);
    http_auth_reject(&r);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.www_authenticate, "Bearer");
    assert_string_equal((char *)r.body.data, "Unauthorized\n");
    http_response_free(&r);
}

/* ---- over the wire, with curl ---- */

static char base[400];

/* Run curl; returns the HTTP status (0 on failure), headers+body in out. */
static int curl_status(const char *extra, const char *path, char *out, size_t out_len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -s -k -D - --max-time 10 %s '%s%s' 2>/dev/null", extra, base,
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, out_len - 1, p);
    out[n] = 0;
    pclose(p);
    int status = 0;
    sscanf(out, "HTTP/%*s %d", &status);
    return status;
}

static void start_or_fail(const http_listener_options *o, const char *scheme)
{
    char bound[256];
    int rc = http_listener_start_with(o, bound, sizeof bound);
    if (rc != 0)
        fail_msg("listener did not start: %s", bound);
    snprintf(base, sizeof base, "%s://%s/debug/pprof", scheme, bound);
}

static void test_token_on_every_endpoint(void **state)
{
    (void)state;
    http_listener_options o = {.addr = "127.0.0.1:0", .token = TOKEN};
    start_or_fail(&o, "http");
    const char *paths[] = {"/",        "/heap",   "/heap?debug=1", "/allocs",
                           "/cmdline", "/symbol", "/nosuch"};
    static char out[1 << 16];
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        assert_int_equal(curl_status("", paths[i], out, sizeof out), 401);
        assert_non_null(strcasestr(out, "WWW-Authenticate: Bearer"));
        assert_null(strstr(out, TOKEN));
        assert_int_equal(curl_status("-H 'Authorization: Bearer wrong'", paths[i], out, sizeof out),
                         401);
        assert_int_equal(
            curl_status("-H 'Authorization: Bearer " TOKEN "x'", paths[i], out, sizeof out), 401);
        int want = strcmp(paths[i], "/nosuch") == 0 ? 404 : 200;
        assert_int_equal(
            curl_status("-H 'Authorization: Bearer " TOKEN "'", paths[i], out, sizeof out), want);
    }
    /* the redirect of the bare prefix is behind the token too */
    char bare[400];
    snprintf(bare, sizeof bare, "%s", base);
    base[strlen(base) - strlen("/debug/pprof")] = 0;
    assert_int_equal(curl_status("", "/debug/pprof", out, sizeof out), 401);
    snprintf(base, sizeof base, "%s", bare);
    http_listener_stop();
}

static void test_non_loopback_needs_token_or_insecure(void **state)
{
    (void)state;
    char bound[256];
    http_listener_options o = {.addr = "0.0.0.0:0"};
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), -1);
    assert_non_null(strstr(bound, "refusing to serve profiles on 0.0.0.0:0 without a token"));
    o.addr = ":0";
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), -1);
    o.addr = "[::]:0";
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), -1);
    o.addr = "0.0.0.0:0";
    o.allow_insecure = 1;
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), 0);
    http_listener_stop();
    o.allow_insecure = 0;
    o.token = TOKEN;
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), 0);
    http_listener_stop();
    o.token = "bad token";
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), -1);
    assert_non_null(strstr(bound, "visible ASCII"));
    /* loopback forms need nothing */
    const char *loopbacks[] = {"127.0.0.1:0", "127.1.2.3:0", "localhost:0", "[::1]:0"};
    for (size_t i = 0; i < 4; i++) {
        http_listener_options l = {.addr = loopbacks[i]};
        assert_int_equal(http_listener_start_with(&l, bound, sizeof bound), 0);
        http_listener_stop();
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[2][8192];
    static int which;
    char *out = text[which++ % 2];
    size_t n = fread(out, 1, sizeof text[0] - 1, f);
    out[n] = 0;
    fclose(f);
    return out;
}

static void test_tls_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/cprof-tls.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
             "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
             dir, dir);
    assert_int_equal(system(cmd), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    const char *cert = read_file(path);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    const char *key = read_file(path);
    http_listener_options o = {
        .addr = "127.0.0.1:0", .tls_cert_pem = cert, .tls_key_pem = key, .token = TOKEN};
    start_or_fail(&o, "https");
    static char out[1 << 16];
    assert_int_equal(
        curl_status("-H 'Authorization: Bearer " TOKEN "'", "/heap?debug=1", out, sizeof out), 200);
    assert_non_null(strstr(out, "heap profile:"));
    assert_int_equal(curl_status("", "/heap", out, sizeof out), 401);
    /* plain HTTP to the TLS port gets no HTTP reply */
    memmove(base + 4, base + 5, strlen(base + 5) + 1); /* https -> http */
    assert_int_equal(curl_status("", "/", out, sizeof out), 0);
    http_listener_stop();
    o.tls_key_pem = NULL;
    char bound[256];
    assert_int_equal(http_listener_start_with(&o, bound, sizeof bound), -1);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_stalled_connections_do_not_lock_out(void **state)
{
    (void)state;
    http_listener_options o = {.addr = "127.0.0.1:0"};
    start_or_fail(&o, "http");
    int port = atoi(strrchr(base, ':') + 1);
    enum { STALLED = 200 };
    int fds[STALLED];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < STALLED; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof sa), 0);
        /* half a request, never finished */
        const char *partial = "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n";
        assert_true(write(fds[i], partial, strlen(partial)) > 0);
    }
    static char out[1 << 16];
    assert_int_equal(curl_status("", "/cmdline", out, sizeof out), 200);
    for (int i = 0; i < STALLED; i++)
        close(fds[i]);
    http_listener_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer_check),
        cmocka_unit_test(test_token_on_every_endpoint),
        cmocka_unit_test(test_non_loopback_needs_token_or_insecure),
        cmocka_unit_test(test_tls_round_trip),
        cmocka_unit_test(test_stalled_connections_do_not_lock_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

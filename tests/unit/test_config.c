/*
 * Unit tests of settings parsing: CPROF_* variables and cprof_config, and
 * the rule that a bad value costs one stderr line and disables only its part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "process/config.h"

/* Run settings_from_env with stderr captured; returns the captured text. */
static const char *env_settings_capturing_stderr(cprof_settings *s)
{
    static char text[4096];
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(2);
    dup2(fds[1], 2);
    settings_from_env(s);
    dup2(saved, 2);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], text, sizeof text - 1);
    close(fds[0]);
    text[n > 0 ? n : 0] = 0;
    return text;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void clear_env(void)
{
    const char *vars[] = {"CPROF_HEAP_RATE", "CPROF_ADDR",       "CPROF_SEED",
                          "CPROF_TOKEN",     "CPROF_TOKEN_FILE", "CPROF_ALLOW_INSECURE",
                          "CPROF_TLS_CERT",  "CPROF_TLS_KEY",    "CPROF_SYMBOL_CACHE_MB"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

static void test_parse_int64(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(parse_int64("524288", 0, INT64_MAX, &v), 0);
    assert_int_equal(v, 524288);
    assert_int_equal(parse_int64("-5", -10, 10, &v), 0);
    assert_int_equal(v, -5);
    const char *bad[] = {
        "", "abc", "12abc", " 12", "12 ", "0x10", "1e3", "--1", "99999999999999999999", "+5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(parse_int64(bad[i], INT64_MIN, INT64_MAX, &v), -1);
    assert_int_equal(parse_int64("11", 0, 10, &v), -1);
    assert_int_equal(parse_int64("-1", 0, 10, &v), -1);
}

static void test_defaults_from_empty_env(void **state)
{
    (void)state;
    clear_env();
    cprof_settings s;
    const char *err = env_settings_capturing_stderr(&s);
    assert_string_equal(err, "");
    assert_int_equal(s.heap_rate, CPROF_DEFAULT_HEAP_RATE);
    assert_string_equal(s.http_addr, "127.0.0.1:6060");
    assert_int_equal(s.seed, 0);
    assert_int_equal(s.symbol_cache_mb, CPROF_DEFAULT_SYMBOL_CACHE_MB);
}

static void test_good_values(void **state)
{
    (void)state;
    clear_env();
    setenv("CPROF_HEAP_RATE", "1", 1);
    setenv("CPROF_ADDR", "off", 1);
    setenv("CPROF_SEED", "42", 1);
    cprof_settings s;
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.heap_rate, 1);
    assert_string_equal(s.http_addr, "");
    assert_int_equal(s.seed, 42);
    setenv("CPROF_SYMBOL_CACHE_MB", "0", 1);
    env_settings_capturing_stderr(&s);
    assert_int_equal(s.symbol_cache_mb, 0);
    setenv("CPROF_SYMBOL_CACHE_MB", "512", 1);
    env_settings_capturing_stderr(&s);
    assert_int_equal(s.symbol_cache_mb, 512);
    setenv("CPROF_HEAP_RATE", "0", 1);
    env_settings_capturing_stderr(&s);
    assert_int_equal(s.heap_rate, 0);
}

static void test_bad_rate_disables_heap_with_one_line(void **state)
{
    (void)state;
    clear_env();
    setenv("CPROF_HEAP_RATE", "lots", 1);
    cprof_settings s;
    const char *err = env_settings_capturing_stderr(&s);
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, "cprof: CPROF_HEAP_RATE=\"lots\""));
    assert_non_null(strstr(err, "heap profiling disabled"));
    assert_int_equal(s.heap_rate, 0);
    assert_string_equal(s.http_addr, "127.0.0.1:6060"); /* the rest still runs */
    setenv("CPROF_HEAP_RATE", "-4", 1);
    err = env_settings_capturing_stderr(&s);
    assert_int_equal(count_lines(err), 1);
    assert_int_equal(s.heap_rate, 0);
}

static void test_bad_seed_and_long_addr(void **state)
{
    (void)state;
    clear_env();
    setenv("CPROF_SEED", "x", 1);
    char longaddr[400];
    memset(longaddr, 'a', sizeof longaddr - 1);
    longaddr[sizeof longaddr - 1] = 0;
    setenv("CPROF_ADDR", longaddr, 1);
    cprof_settings s;
    const char *err = env_settings_capturing_stderr(&s);
    assert_int_equal(count_lines(err), 2);
    assert_int_equal(s.seed, 0);
    assert_string_equal(s.http_addr, "");
    assert_int_equal(s.heap_rate, CPROF_DEFAULT_HEAP_RATE);
    clear_env();
    const char *bad_budgets[] = {"lots", "-1", "1048577"};
    for (size_t i = 0; i < sizeof bad_budgets / sizeof *bad_budgets; i++) {
        setenv("CPROF_SYMBOL_CACHE_MB", bad_budgets[i], 1);
        err = env_settings_capturing_stderr(&s);
        assert_int_equal(count_lines(err), 1);
        assert_non_null(strstr(err, "CPROF_SYMBOL_CACHE_MB"));
        assert_int_equal(s.symbol_cache_mb, CPROF_DEFAULT_SYMBOL_CACHE_MB);
    }
    clear_env();
}

static void test_settings_from_config(void **state)
{
    (void)state;
    cprof_config c = {0};
    cprof_settings s;
    settings_from_config(&c, &s);
    assert_int_equal(s.heap_rate, CPROF_DEFAULT_HEAP_RATE);
    assert_string_equal(s.http_addr, "127.0.0.1:6060");
    c.heap_rate = -1;
    c.http_addr = "off";
    c.seed = 9;
    settings_from_config(&c, &s);
    assert_int_equal(s.heap_rate, 0);
    assert_string_equal(s.http_addr, "");
    assert_int_equal(s.seed, 9);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_token_sources(void **state)
{
    (void)state;
    cprof_settings s;
    clear_env();
    setenv("CPROF_TOKEN", "abc.DEF-123", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.token, "abc.DEF-123");
    assert_string_equal(s.http_addr, "127.0.0.1:6060");
    settings_free(&s);

    setenv("CPROF_TOKEN", "secret with space", 1);
    const char *err = env_settings_capturing_stderr(&s);
    assert_int_equal(count_lines(err), 1);
    assert_null(strstr(err, "secret"));   /* never echoed */
    assert_string_equal(s.http_addr, ""); /* fail closed */
    settings_free(&s);

    clear_env();
    char path[] = "/tmp/cprof-token.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "from-file-token\nsecond line ignored\n");
    setenv("CPROF_TOKEN_FILE", path, 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.token, "from-file-token");
    settings_free(&s);

    setenv("CPROF_TOKEN", "x", 1); /* both: ambiguous, refuse */
    err = env_settings_capturing_stderr(&s);
    assert_non_null(strstr(err, "not both"));
    assert_string_equal(s.http_addr, "");
    settings_free(&s);

    unsetenv("CPROF_TOKEN");
    unlink(path);
    err = env_settings_capturing_stderr(&s);
    assert_non_null(strstr(err, "cannot read"));
    assert_string_equal(s.http_addr, "");
    settings_free(&s);
    clear_env();
}

static void test_tls_and_insecure(void **state)
{
    (void)state;
    cprof_settings s;
    clear_env();
    char cert[] = "/tmp/cprof-cert.XXXXXX";
    close(mkstemp(cert));
    write_file(cert, "-----BEGIN CERTIFICATE-----\n");
    setenv("CPROF_TLS_CERT", cert, 1);
    const char *err = env_settings_capturing_stderr(&s); /* key missing */
    assert_non_null(strstr(err, "TLS needs both"));
    assert_string_equal(s.http_addr, "");
    settings_free(&s);
    setenv("CPROF_TLS_KEY", cert, 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_non_null(s.tls_cert_pem);
    assert_non_null(strstr(s.tls_key_pem, "BEGIN"));
    settings_free(&s);
    unlink(cert);
    clear_env();
    setenv("CPROF_ALLOW_INSECURE", "1", 1);
    env_settings_capturing_stderr(&s);
    assert_int_equal(s.allow_insecure, 1);
    setenv("CPROF_ALLOW_INSECURE", "yes", 1);
    err = env_settings_capturing_stderr(&s);
    assert_int_equal(count_lines(err), 1);
    assert_int_equal(s.allow_insecure, 0);
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_defaults_from_empty_env),
        cmocka_unit_test(test_good_values),
        cmocka_unit_test(test_bad_rate_disables_heap_with_one_line),
        cmocka_unit_test(test_bad_seed_and_long_addr),
        cmocka_unit_test(test_settings_from_config),
        cmocka_unit_test(test_token_sources),
        cmocka_unit_test(test_tls_and_insecure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

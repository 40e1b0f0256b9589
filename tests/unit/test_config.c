/*
 * Unit tests of settings parsing: CPROF_* variables and cprof_config, and
 * the rule that a bad value costs one stderr line and disables only its part
 * (or falls back to its default). Covers the variables of every subsystem:
 * config.c is the only reader of the environment.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu/cpu.h"
#include "pprof/profiles.h"
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
    const char *vars[] = {"CPROF_HEAP_RATE",       "CPROF_ADDR",         "CPROF_SEED",
                          "CPROF_TOKEN",           "CPROF_TOKEN_FILE",   "CPROF_ALLOW_INSECURE",
                          "CPROF_TLS_CERT",        "CPROF_TLS_KEY",      "CPROF_FOLLOW_FORK",
                          "CPROF_CPU_MAX_SECONDS", "CPROF_CPU_PROFILE",  "CPROF_CPU_HZ",
                          "CPROF_CPU_SIGNAL",      "CPROF_SIGNAL",       "CPROF_SYMBOL_CACHE_MB",
                          "CPROF_SOCKET",          "CPROF_VERBOSE",      "CPROF_PROGRAM",
                          "CPROF_SYMBOLIZE",       "CPROF_METRICS_PATH", "CPROF_PUSH_URL",
                          "CPROF_SERVICE_NAME",    "CPROF_PUSH_LABELS",  "CPROF_PUSH_INTERVAL",
                          "CPROF_PUSH_TOKEN",      "CPROF_PUSH_TENANT",  "CPROF_MERGE_MAX_KB",
                          "CPROF_PUSH_CACERT",     "CPROF_PUSH_HZ"};
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
    assert_int_equal(s.symbolize, 1);
}

/* CPROF_SYMBOLIZE: on (default, also "on" and empty), full, off; anything
 * else is one line and on. Read in both modes. */
static void test_symbolize_switch(void **state)
{
    (void)state;
    clear_env();
    cprof_settings s;
    setenv("CPROF_SYMBOLIZE", "off", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.symbolize, 0);
    cprof_config c = {0};
    settings_from_config(&c, &s);
    assert_int_equal(s.symbolize, 0);
    settings_free(&s);
    setenv("CPROF_SYMBOLIZE", "on", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.symbolize, 1);
    setenv("CPROF_SYMBOLIZE", "full", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.symbolize, 2);
    setenv("CPROF_SYMBOLIZE", "no", 1);
    const char *err = env_settings_capturing_stderr(&s);
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, "cprof: CPROF_SYMBOLIZE=\"no\" is not on, full or off; using on"));
    assert_int_equal(s.symbolize, 1);
    assert_string_equal(s.http_addr, "127.0.0.1:6060"); /* the rest still runs */
    clear_env();
}

/* The push agent's variables: good values kept; a bad URL, name, label,
 * token or tenant is one line and no pushing; a bad interval one line and
 * 15 s. The default service name is the program's, made a Pyroscope name. */
static void test_push_settings(void **state)
{
    (void)state;
    clear_env();
    cprof_settings s;
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.push_url, "");
    setenv("CPROF_PUSH_URL", "https://pyro.example:4040", 1);
    setenv("CPROF_SERVICE_NAME", "checkout.api-2", 1);
    setenv("CPROF_PUSH_LABELS", "env=prod,region=eu west", 1);
    setenv("CPROF_PUSH_INTERVAL", "10s", 1);
    setenv("CPROF_PUSH_TOKEN", "s3cr3t", 1);
    setenv("CPROF_PUSH_TENANT", "team-a", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.push_hz, 50); /* PUSH_DEFAULT_HZ */
    setenv("CPROF_PUSH_HZ", "49", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.push_hz, 49);
    assert_string_equal(s.push_url, "https://pyro.example:4040");
    assert_string_equal(s.push_service, "checkout.api-2");
    assert_string_equal(s.push_labels, "env=prod,region=eu west");
    assert_int_equal(s.push_interval, 10);
    assert_string_equal(s.push_token, "s3cr3t");
    assert_string_equal(s.push_tenant, "team-a");
    struct {
        const char *var, *value, *line;
        int pushing;
    } bad[] = {
        {"CPROF_PUSH_URL", "ftp://x", "is not an http:// or https:// base URL; pushing disabled",
         0},
        {"CPROF_SERVICE_NAME", "my app", "is not a Pyroscope name", 0},
        {"CPROF_PUSH_LABELS", "env={x}", "CPROF_PUSH_LABELS: bad label \"env={x}\"", 0},
        {"CPROF_PUSH_TOKEN", "a b", "CPROF_PUSH_TOKEN: the token must be", 0},
        {"CPROF_PUSH_TENANT", "t\x01", "CPROF_PUSH_TENANT=", 0},
        {"CPROF_PUSH_HZ", "100x", "is not an integer from 1 to 5000; using 50", 1},
        {"CPROF_PUSH_INTERVAL", "0", "is not a number of seconds from 1 to 3600; using 15", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *keep = strdup(getenv(bad[i].var));
        setenv(bad[i].var, bad[i].value, 1);
        const char *err = env_settings_capturing_stderr(&s);
        assert_int_equal(count_lines(err), 1);
        assert_non_null(strstr(err, bad[i].line));
        assert_int_equal(s.push_url[0] != 0, bad[i].pushing);
        assert_string_equal(s.http_addr, "127.0.0.1:6060"); /* the rest still runs */
        setenv(bad[i].var, keep, 1);
        free(keep);
    }
    assert_int_equal(s.push_interval, 15);
    /* CPROF_PUSH_CACERT: a readable PEM certificate file is kept; a missing
     * file or one without a certificate is one line and no pushing (never
     * a push with verification off). */
    assert_string_equal(s.push_cacert, "");
    char dir[] = "/tmp/cprof-test-cacert.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pem[128], junk[128];
    snprintf(pem, sizeof pem, "%s/ca.pem", dir);
    snprintf(junk, sizeof junk, "%s/junk.pem", dir);
    FILE *f = fopen(pem, "w");
    assert_non_null(f);
    fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    f = fopen(junk, "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    fclose(f);
    setenv("CPROF_PUSH_CACERT", pem, 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.push_cacert, pem);
    assert_true(s.push_url[0] != 0);
    const char *bad_ca[][2] = {{"/nonexistent/ca.pem", "CPROF_PUSH_CACERT: cannot read "},
                               {junk, "holds no PEM certificate; pushing disabled"}};
    for (size_t i = 0; i < 2; i++) {
        setenv("CPROF_PUSH_CACERT", bad_ca[i][0], 1);
        const char *err = env_settings_capturing_stderr(&s);
        assert_int_equal(count_lines(err), 1);
        assert_non_null(strstr(err, bad_ca[i][1]));
        assert_string_equal(s.push_url, "");
    }
    unsetenv("CPROF_PUSH_CACERT");
    unlink(pem);
    unlink(junk);
    rmdir(dir);
    unsetenv("CPROF_SERVICE_NAME");
    env_settings_capturing_stderr(&s);
    assert_true(s.push_service[0] != 0);
    char name[32];
    push_default_service("/usr/sbin/my prog+x", name, sizeof name);
    assert_string_equal(name, "my_prog_x");
    push_default_service("", name, sizeof name);
    assert_string_equal(name, "cprof");
    clear_env();
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

static void test_program_matches(void **state)
{
    (void)state;
    const char *pg = "/usr/lib/postgresql/15/bin/postgres";
    /* No '/': the last path component of the executable or of argv[0]. */
    assert_int_equal(program_matches("postgres", pg, "postgres"), 1);
    assert_int_equal(program_matches("postgres", pg, NULL), 1);
    assert_int_equal(program_matches("post*", pg, ""), 1);
    assert_int_equal(program_matches("postgres", "/usr/bin/dash", "sh"), 0);
    assert_int_equal(program_matches("postgres", "/usr/lib/postgresql/15/bin/pg_ctl", "pg_ctl"), 0);
    assert_int_equal(program_matches("gres", pg, "postgres"), 0); /* whole name, not a part */
    /* argv[0] counts: a shim that execs python3.11 as python3. */
    assert_int_equal(program_matches("python3", "/usr/bin/python3.11", "python3"), 1);
    assert_int_equal(program_matches("python3", "/usr/bin/python3.11", "/usr/bin/python3.11"), 0);
    /* With '/': the whole path. */
    assert_int_equal(program_matches("/usr/lib/postgresql/*/bin/postgres", pg, "postgres"), 1);
    assert_int_equal(program_matches("*/15/bin/postgres", pg, "postgres"), 1);
    assert_int_equal(program_matches("/usr/bin/postgres", pg, "postgres"), 0);
    assert_int_equal(program_matches("postgres", NULL, NULL), 0);
}

/* CPROF_PROGRAM: a process it does not name has no TCP address and says
 * nothing, not even about access settings it no longer uses. This test
 * program is test_config. */
static void test_program_from_env(void **state)
{
    (void)state;
    clear_env();
    cprof_settings s;
    setenv("CPROF_PROGRAM", "postgres", 1);
    setenv("CPROF_ALLOW_INSECURE", "maybe", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.http_addr, "");
    assert_int_equal(s.program, PROGRAM_OTHER);
    setenv("CPROF_PROGRAM", "test_conf*", 1);
    unsetenv("CPROF_ALLOW_INSECURE");
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.http_addr, "127.0.0.1:6060");
    assert_int_equal(s.program, PROGRAM_THIS);
    setenv("CPROF_ADDR", "off", 1);
    env_settings_capturing_stderr(&s);
    assert_int_equal(s.program, PROGRAM_ANY); /* no listener to place */
    unsetenv("CPROF_PROGRAM");
    unsetenv("CPROF_ADDR");
    env_settings_capturing_stderr(&s);
    assert_int_equal(s.program, PROGRAM_ANY);
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

static void test_metrics_path(void **state)
{
    (void)state;
    clear_env();
    cprof_settings s;
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.metrics_path, "/metrics");
    setenv("CPROF_METRICS_PATH", "/internal/prom", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.metrics_path, "/internal/prom");
    setenv("CPROF_METRICS_PATH", "off", 1);
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.metrics_path, "");
    const char *bad[] = {"metrics", "/", "/a?b", "/a b", "/x#y"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("CPROF_METRICS_PATH", bad[i], 1);
        const char *err = env_settings_capturing_stderr(&s);
        assert_int_equal(count_lines(err), 1);
        assert_non_null(strstr(err, "cprof: CPROF_METRICS_PATH="));
        assert_string_equal(s.metrics_path, "/metrics"); /* the default is kept */
        assert_string_equal(s.http_addr, "127.0.0.1:6060");
    }
    unsetenv("CPROF_METRICS_PATH");
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

/* The variables the subsystems used to read themselves: defaults. */
static void test_subsystem_defaults(void **state)
{
    (void)state;
    clear_env();
    cprof_settings s;
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.follow_fork, 1);
    assert_int_equal(s.max_seconds, PROFILE_DEFAULT_MAX_SECONDS);
    assert_string_equal(s.cpu_profile, "");
    assert_int_equal(s.cpu_hz, CPU_HZ_ANY); /* the push agent's rate, else 100 */
    assert_int_equal(s.cpu_signal, SIGPROF);
    assert_int_equal(s.dump_signal, SIGRTMIN + 3);
    assert_int_equal(s.merge_max_kb, CPROF_DEFAULT_MERGE_MAX_KB);
    settings_free(&s);
    /* The same in linked mode: cprof_config has no field for them. */
    setenv("CPROF_CPU_MAX_SECONDS", "60", 1);
    setenv("CPROF_SIGNAL", "off", 1);
    setenv("CPROF_MERGE_MAX_KB", "8", 1);
    cprof_config c = {0};
    settings_from_config(&c, &s);
    assert_int_equal(s.max_seconds, 60);
    assert_int_equal(s.dump_signal, 0);
    assert_int_equal(s.merge_max_kb, 8);
    settings_free(&s);
    clear_env();
}

static void test_subsystem_good_values(void **state)
{
    (void)state;
    clear_env();
    setenv("CPROF_FOLLOW_FORK", "off", 1);
    setenv("CPROF_CPU_MAX_SECONDS", "+45", 1);
    setenv("CPROF_CPU_PROFILE", "/tmp/x.pb.gz", 1);
    setenv("CPROF_CPU_HZ", "250", 1);
    setenv("CPROF_CPU_SIGNAL", "SIGVTALRM", 1);
    setenv("CPROF_SIGNAL", "SIGRTMIN+6", 1);
    setenv("CPROF_SOCKET", "off", 1);
    setenv("CPROF_VERBOSE", "1", 1);
    setenv("CPROF_MERGE_MAX_KB", "1", 1);
    cprof_settings s;
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_int_equal(s.merge_max_kb, 1);
    assert_int_equal(s.follow_fork, 0);
    assert_int_equal(s.unix_socket, 0);
    assert_int_equal(s.verbose, 1);
    assert_int_equal(s.max_seconds, 45);
    assert_string_equal(s.cpu_profile, "/tmp/x.pb.gz");
    assert_int_equal(s.cpu_hz, 250);
    assert_int_equal(s.cpu_signal, SIGVTALRM);
    assert_int_equal(s.dump_signal, SIGRTMIN + 6);
    settings_free(&s);
    clear_env();
}

/* Each bad value: one line, and the default for that part only. */
static void test_subsystem_bad_values(void **state)
{
    (void)state;
    static const struct {
        const char *var, *value, *line;
    } cases[] = {
        {"CPROF_CPU_MAX_SECONDS", "0",
         "cprof: CPROF_CPU_MAX_SECONDS=\"0\" is not an integer from 1 to 86400; using 300\n"},
        {"CPROF_CPU_MAX_SECONDS", "1h",
         "cprof: CPROF_CPU_MAX_SECONDS=\"1h\" is not an integer from 1 to 86400; using 300\n"},
        {"CPROF_SIGNAL", "bogus", NULL},
        {"CPROF_CPU_SIGNAL", "SIGSEGV",
         "cprof: CPROF_CPU_SIGNAL=\"SIGSEGV\" is not a usable signal (SIGPROF, SIGVTALRM, a "
         "number, SIGRTMIN+N, SIGUSR1, SIGUSR2; not the thread dump signal); using SIGPROF\n"},
        {"CPROF_CPU_SIGNAL", "SIGRTMIN+3", NULL}, /* the dump signal's default */
        {"CPROF_FOLLOW_FORK", "sometimes",
         "cprof: CPROF_FOLLOW_FORK=\"sometimes\" is not auto or off; using auto\n"},
        {"CPROF_SOCKET", "no", "cprof: CPROF_SOCKET=\"no\" is not on or off; using on\n"},
        {"CPROF_MERGE_MAX_KB", "0",
         "cprof: CPROF_MERGE_MAX_KB=\"0\" is not an integer from 1 to 16777216; using 65536\n"},
        {"CPROF_MERGE_MAX_KB", "64M",
         "cprof: CPROF_MERGE_MAX_KB=\"64M\" is not an integer from 1 to 16777216; using 65536\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        clear_env();
        setenv(cases[i].var, cases[i].value, 1);
        cprof_settings s;
        const char *err = env_settings_capturing_stderr(&s);
        assert_int_equal(count_lines(err), 1);
        if (cases[i].line)
            assert_string_equal(err, cases[i].line);
        assert_int_equal(s.max_seconds, PROFILE_DEFAULT_MAX_SECONDS);
        assert_int_equal(s.cpu_signal, SIGPROF);
        assert_int_equal(s.dump_signal, SIGRTMIN + 3);
        assert_int_equal(s.follow_fork, 1);
        assert_int_equal(s.unix_socket, 1);
        assert_int_equal(s.verbose, 0);
        assert_int_equal(s.merge_max_kb, CPROF_DEFAULT_MERGE_MAX_KB);
        assert_true(s.http_addr[0] != 0); /* nothing else disabled */
        settings_free(&s);
    }
    char want[160];
    clear_env();
    setenv("CPROF_SIGNAL", "bogus", 1);
    cprof_settings s;
    snprintf(want, sizeof want,
             "cprof: CPROF_SIGNAL=\"bogus\" is not a usable signal (a number, SIGRTMIN+N, "
             "SIGUSR1, SIGUSR2 or off); using %d\n",
             SIGRTMIN + 3);
    assert_string_equal(env_settings_capturing_stderr(&s), want);
    settings_free(&s);
    clear_env();
}

/* CPROF_CPU_HZ counts only with a file to write; a bad one falls back to
 * 100 Hz with one line, and the file is still written. */
static void test_cpu_file_and_rate(void **state)
{
    (void)state;
    clear_env();
    setenv("CPROF_CPU_HZ", "fast", 1);
    cprof_settings s;
    assert_string_equal(env_settings_capturing_stderr(&s), "");
    assert_string_equal(s.cpu_profile, "");
    settings_free(&s);
    setenv("CPROF_CPU_PROFILE", "/tmp/cpu.pb.gz", 1);
    assert_string_equal(
        env_settings_capturing_stderr(&s),
        "cprof: CPROF_CPU_HZ=\"fast\" is not an integer from 1 to 5000; using 100\n");
    assert_string_equal(s.cpu_profile, "/tmp/cpu.pb.gz");
    assert_int_equal(s.cpu_hz, CPU_DEFAULT_HZ);
    settings_free(&s);
    char *long_path = malloc(CPROF_MAX_PATH + 10);
    assert_non_null(long_path);
    memset(long_path, 'a', CPROF_MAX_PATH + 9);
    long_path[CPROF_MAX_PATH + 9] = 0;
    setenv("CPROF_CPU_PROFILE", long_path, 1);
    unsetenv("CPROF_CPU_HZ");
    assert_string_equal(env_settings_capturing_stderr(&s),
                        "cprof: CPROF_CPU_PROFILE is too long; no CPU profile file\n");
    assert_string_equal(s.cpu_profile, "");
    settings_free(&s);
    free(long_path);
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_defaults_from_empty_env),
        cmocka_unit_test(test_good_values),
        cmocka_unit_test(test_program_matches),
        cmocka_unit_test(test_program_from_env),
        cmocka_unit_test(test_symbolize_switch),
        cmocka_unit_test(test_bad_rate_disables_heap_with_one_line),
        cmocka_unit_test(test_bad_seed_and_long_addr),
        cmocka_unit_test(test_metrics_path),
        cmocka_unit_test(test_settings_from_config),
        cmocka_unit_test(test_token_sources),
        cmocka_unit_test(test_tls_and_insecure),
        cmocka_unit_test(test_subsystem_defaults),
        cmocka_unit_test(test_subsystem_good_values),
        cmocka_unit_test(test_subsystem_bad_values),
        cmocka_unit_test(test_cpu_file_and_rate),
        cmocka_unit_test(test_push_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

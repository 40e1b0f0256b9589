/*
 * config.c — settings from the environment or from cprof_config: the one
 * place that reads CPROF_* variables (each once, at start).
 *
 * Preload mode has no way to report an error but stderr, and must never
 * take the host down: every malformed variable costs exactly one line and
 * disables only the part it configures. Messages go out with one write(2)
 * so they interleave whole with the host's own output and do not touch the
 * host's stdio buffers.
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pyroscope.h"
#include "contention/contention.h"
#include "cpu/cpu.h"
#include "pprof/profiles.h"
#include "push/push.h"
#include "threads/threads.h"

void cprof_log(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "cprof: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = strlen(line);
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}

int parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!text || !*text)
        return -1;
    for (const char *c = text; *c; c++)
        if (!(*c >= '0' && *c <= '9') && !(c == text && *c == '-'))
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void heap_rate_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_HEAP_RATE");
    s->heap_rate = CPROF_DEFAULT_HEAP_RATE;
    if (!v)
        return;
    int64_t rate;
    if (parse_int64(v, 0, INT64_MAX / 4, &rate) != 0) {
        cprof_log("CPROF_HEAP_RATE=\"%.40s\" is not a non-negative integer; heap profiling "
                  "disabled",
                  v);
        s->heap_rate = 0;
        return;
    }
    s->heap_rate = rate;
}

static void seed_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_SEED");
    s->seed = 0;
    if (!v)
        return;
    int64_t seed;
    if (parse_int64(v, 1, INT64_MAX, &seed) != 0) {
        cprof_log("CPROF_SEED=\"%.40s\" is not a positive integer; seeding from the clock", v);
        return;
    }
    s->seed = (uint64_t)seed;
}

/* The integer in variable var, from lo to hi; def when it is unset, or
 * when it is malformed (then one line says so). */
static int64_t bounded_from_env(const char *var, int64_t lo, int64_t hi, int64_t def)
{
    const char *v = getenv(var);
    int64_t n;
    if (!v)
        return def;
    if (parse_int64(v, lo, hi, &n) != 0) {
        cprof_log("%s=\"%.40s\" is not an integer from %lld to %lld; using %lld", var, v,
                  (long long)lo, (long long)hi, (long long)def);
        return def;
    }
    return n;
}

static void symbol_cache_from_env(cprof_settings *s)
{
    s->symbol_cache_mb = bounded_from_env("CPROF_SYMBOL_CACHE_MB", 0, CPROF_MAX_SYMBOL_CACHE_MB,
                                          CPROF_DEFAULT_SYMBOL_CACHE_MB);
}

/* CPROF_MERGE_MAX_KB: the ?pid=all merge's cap (http_merge.c), in KiB. */
static void merge_max_from_env(cprof_settings *s)
{
    s->merge_max_kb = bounded_from_env("CPROF_MERGE_MAX_KB", 1, CPROF_MAX_MERGE_MAX_KB,
                                       CPROF_DEFAULT_MERGE_MAX_KB);
}

static void addr_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_ADDR");
    if (!v || !*v)
        v = CPROF_DEFAULT_ADDR;
    if (strcmp(v, "off") == 0) {
        s->http_addr[0] = 0;
        return;
    }
    if (strlen(v) >= sizeof s->http_addr) {
        cprof_log("CPROF_ADDR is too long; HTTP listener disabled");
        s->http_addr[0] = 0;
        return;
    }
    strcpy(s->http_addr, v);
}

/* The last path component of path (path itself when it has no '/'). */
static const char *last_component(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int program_matches(const char *pattern, const char *exe, const char *argv0)
{
    const char *names[2] = {exe, argv0};
    int whole_path = strchr(pattern, '/') != NULL;
    for (int i = 0; i < 2; i++) {
        if (!names[i] || !*names[i])
            continue;
        const char *name = whole_path ? names[i] : last_component(names[i]);
        if (fnmatch(pattern, name, 0) == 0)
            return 1;
    }
    return 0;
}

/* CPROF_PROGRAM=pattern: only a matching process binds the TCP port; the
 * others (wrappers: pg_ctl's shell, timeout, sh -c) keep their Unix socket
 * and say nothing. Matched against this process's executable
 * (/proc/self/exe) and its argv[0]: by name without a '/' in the pattern,
 * by whole path with one. */
static void program_from_env(cprof_settings *s)
{
    const char *pattern = getenv("CPROF_PROGRAM");
    if (!pattern || !*pattern || !s->http_addr[0])
        return;
    char exe[CPROF_MAX_PATH];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    s->program =
        program_matches(pattern, exe, program_invocation_name) ? PROGRAM_THIS : PROGRAM_OTHER;
    if (s->program == PROGRAM_OTHER)
        s->http_addr[0] = 0;
}

/* ---- access control: token, TLS ---- */

static void disable_listener(cprof_settings *s)
{
    s->http_addr[0] = 0;
}

/* A whole small file (PEM, token) into a malloc'd string; NULL with errno. */
static char *read_small_file(const char *path, size_t limit)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *text = malloc(limit + 1);
    size_t n = text ? fread(text, 1, limit + 1, f) : 0;
    int too_big = n > limit, failed = !text || ferror(f);
    fclose(f);
    if (failed || too_big) {
        free(text);
        errno = too_big ? EFBIG : errno ? errno : EIO;
        return NULL;
    }
    text[n] = 0;
    return text;
}

static int set_token(cprof_settings *s, const char *token, const char *source)
{
    size_t n = strlen(token);
    while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
        n--;
    int valid = n > 0 && n <= CPROF_MAX_TOKEN;
    for (size_t i = 0; valid && i < n; i++)
        valid = token[i] > ' ' && token[i] <= '~';
    if (!valid) {
        /* never print the token itself */
        cprof_log("%s: the token must be 1 to %d visible ASCII characters; HTTP listener "
                  "disabled",
                  source, CPROF_MAX_TOKEN);
        return -1;
    }
    memcpy(s->token, token, n);
    s->token[n] = 0;
    return 0;
}

static void token_from_env(cprof_settings *s)
{
    const char *token = getenv("CPROF_TOKEN");
    const char *file = getenv("CPROF_TOKEN_FILE");
    if (token && *token && file && *file) {
        cprof_log("set CPROF_TOKEN or CPROF_TOKEN_FILE, not both; HTTP listener disabled");
        disable_listener(s);
        return;
    }
    if (token && *token) {
        if (set_token(s, token, "CPROF_TOKEN") != 0)
            disable_listener(s);
        return;
    }
    if (!file || !*file)
        return;
    char *text = read_small_file(file, 4096);
    if (!text) {
        cprof_log("CPROF_TOKEN_FILE: cannot read %.200s: %s; HTTP listener disabled", file,
                  strerror(errno));
        disable_listener(s);
        return;
    }
    char *newline = strchr(text, '\n');
    if (newline)
        *newline = 0; /* the first line is the token */
    if (set_token(s, text, "CPROF_TOKEN_FILE") != 0)
        disable_listener(s);
    memset(text, 0, strlen(text));
    free(text);
}

static void tls_from_files(cprof_settings *s, const char *cert, const char *key,
                           const char *cert_name, const char *key_name)
{
    if (!cert && !key)
        return;
    if (!cert || !key) {
        cprof_log("TLS needs both %s and %s; HTTP listener disabled", cert_name, key_name);
        disable_listener(s);
        return;
    }
    const char *names[2] = {cert_name, key_name}, *paths[2] = {cert, key};
    char **out[2] = {&s->tls_cert_pem, &s->tls_key_pem};
    for (int i = 0; i < 2; i++) {
        *out[i] = read_small_file(paths[i], 1 << 20);
        if (!*out[i]) {
            cprof_log("%s: cannot read %.200s: %s; HTTP listener disabled", names[i], paths[i],
                      strerror(errno));
            disable_listener(s);
            return;
        }
    }
}

static void access_from_env(cprof_settings *s)
{
    token_from_env(s);
    const char *insecure = getenv("CPROF_ALLOW_INSECURE");
    s->allow_insecure = insecure && strcmp(insecure, "1") == 0;
    if (insecure && *insecure && strcmp(insecure, "1") != 0 && strcmp(insecure, "0") != 0)
        cprof_log("CPROF_ALLOW_INSECURE=\"%.20s\" is not 0 or 1; treated as 0", insecure);
    const char *cert = getenv("CPROF_TLS_CERT"), *key = getenv("CPROF_TLS_KEY");
    tls_from_files(s, cert && *cert ? cert : NULL, key && *key ? key : NULL, "CPROF_TLS_CERT",
                   "CPROF_TLS_KEY");
}

/* ---- the variables of both modes ---- */

/* A decimal integer in [lo, hi], a leading '+' allowed. 0 or -1. */
static int parse_bounded(const char *text, int64_t lo, int64_t hi, int *out)
{
    int64_t v;
    if (parse_int64(text[0] == '+' ? text + 1 : text, lo, hi, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* A switch that is on unless the variable says "off": 1 for unset, empty
 * or on_word, 0 for "off"; anything else is one line and on. */
static int switch_from_env(const char *var, const char *on_word)
{
    const char *v = getenv(var);
    if (!v || !*v || strcmp(v, on_word) == 0)
        return 1;
    if (strcmp(v, "off") == 0)
        return 0;
    cprof_log("%s=\"%.40s\" is not %s or off; using %s", var, v, on_word, on_word);
    return 1;
}

static void follow_fork_from_env(cprof_settings *s)
{
    s->follow_fork = switch_from_env("CPROF_FOLLOW_FORK", "auto");
}

static void socket_from_env(cprof_settings *s)
{
    s->unix_socket = switch_from_env("CPROF_SOCKET", "on");
}

/* on (default: 1), full (2): DWARF of separate debug files too; off (0):
 * profiles carry addresses, mappings and build IDs only, the analyzer
 * (cprof, go tool pprof) symbolizes them from the binaries. The values are
 * lib/pprof/symbolize.h's enum symbolize_mode. */
static void symbolize_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_SYMBOLIZE");
    s->symbolize = 1;
    if (!v || !*v || strcmp(v, "on") == 0)
        return;
    if (strcmp(v, "off") == 0)
        s->symbolize = 0;
    else if (strcmp(v, "full") == 0)
        s->symbolize = 2;
    else
        cprof_log("CPROF_SYMBOLIZE=\"%.40s\" is not on, full or off; using on", v);
}

static void verbose_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_VERBOSE");
    s->verbose = v && strcmp(v, "1") == 0;
}

static void max_seconds_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_CPU_MAX_SECONDS");
    s->max_seconds = PROFILE_DEFAULT_MAX_SECONDS;
    if (v && *v && parse_bounded(v, 1, 86400, &s->max_seconds) != 0) {
        cprof_log("CPROF_CPU_MAX_SECONDS=\"%.40s\" is not an integer from 1 to 86400; using %d", v,
                  PROFILE_DEFAULT_MAX_SECONDS);
        s->max_seconds = PROFILE_DEFAULT_MAX_SECONDS;
    }
}

/* CPROF_CPU_PROFILE, and CPROF_CPU_HZ only when a file is asked for; unset,
 * the rate is CPU_HZ_ANY: the push agent's when it runs, else 100. */
static void cpu_file_from_env(cprof_settings *s)
{
    const char *path = getenv("CPROF_CPU_PROFILE");
    s->cpu_hz = CPU_HZ_ANY;
    if (!path || !*path)
        return;
    if (strlen(path) >= sizeof s->cpu_profile) {
        cprof_log("CPROF_CPU_PROFILE is too long; no CPU profile file");
        return;
    }
    strcpy(s->cpu_profile, path);
    const char *hz = getenv("CPROF_CPU_HZ");
    if (hz && *hz && parse_bounded(hz, CPU_MIN_HZ, CPU_MAX_HZ, &s->cpu_hz) != 0) {
        cprof_log("CPROF_CPU_HZ=\"%.40s\" is not an integer from %d to %d; using %d", hz,
                  CPU_MIN_HZ, CPU_MAX_HZ, CPU_DEFAULT_HZ);
        s->cpu_hz = CPU_DEFAULT_HZ;
    }
}

static void signals_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_SIGNAL");
    s->dump_signal = threads_parse_signal(v, SIGRTMIN, SIGRTMAX);
    if (s->dump_signal < 0) {
        s->dump_signal = threads_parse_signal(NULL, SIGRTMIN, SIGRTMAX);
        cprof_log("CPROF_SIGNAL=\"%.40s\" is not a usable signal (a number, SIGRTMIN+N, "
                  "SIGUSR1, SIGUSR2 or off); using %d",
                  v, s->dump_signal);
    }
    v = getenv("CPROF_CPU_SIGNAL");
    s->cpu_signal = cpu_parse_signal(v, SIGRTMIN, SIGRTMAX);
    if (s->cpu_signal < 0 || s->cpu_signal == s->dump_signal) {
        cprof_log("CPROF_CPU_SIGNAL=\"%.40s\" is not a usable signal (SIGPROF, SIGVTALRM, a "
                  "number, SIGRTMIN+N, SIGUSR1, SIGUSR2; not the thread dump signal); "
                  "using SIGPROF",
                  v ? v : "");
        s->cpu_signal = SIGPROF;
    }
}

/* CPROF_METRICS_PATH: where the listener's root answers /metrics too.
 * "off" = nowhere; a value that is not an absolute URL path keeps the
 * default. */
static void metrics_path_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_METRICS_PATH");
    strcpy(s->metrics_path, "/metrics");
    if (!v || !*v)
        return;
    if (strcmp(v, "off") == 0) {
        s->metrics_path[0] = 0;
        return;
    }
    size_t n = strlen(v);
    if (v[0] != '/' || n < 2 || n >= sizeof s->metrics_path || strcspn(v, "?# \t\r\n") != n) {
        cprof_log("CPROF_METRICS_PATH=\"%.40s\" is not a URL path like /metrics, or off; "
                  "using /metrics",
                  v);
        return;
    }
    strcpy(s->metrics_path, v);
}

static void mutex_rate_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_MUTEX_RATE");
    s->mutex_rate = CONTENTION_DEFAULT_MUTEX_RATE;
    if (!v || !*v)
        return;
    int64_t rate;
    if (parse_int64(v, 0, INT32_MAX, &rate) != 0) {
        cprof_log("CPROF_MUTEX_RATE=\"%.40s\" is not an integer from 0 to %d; mutex profiling "
                  "disabled",
                  v, INT32_MAX);
        s->mutex_rate = 0;
        return;
    }
    s->mutex_rate = rate;
}

static void block_rate_from_env(cprof_settings *s)
{
    const char *v = getenv("CPROF_BLOCK_RATE");
    s->block_rate = CONTENTION_DEFAULT_BLOCK_RATE;
    if (!v || !*v)
        return;
    int64_t rate;
    if (parse_int64(v, 0, INT64_MAX / 4, &rate) != 0) {
        cprof_log("CPROF_BLOCK_RATE=\"%.40s\" is not a non-negative number of nanoseconds; "
                  "block profiling disabled",
                  v);
        s->block_rate = 0;
        return;
    }
    s->block_rate = rate;
}

void push_default_service(const char *name, char *out, size_t cap)
{
    const char *slash = name ? strrchr(name, '/') : NULL;
    const char *base = slash ? slash + 1 : name ? name : "";
    size_t n = 0;
    for (; base[n] && n + 1 < cap; n++)
        out[n] = pyroscope_name_ok(&base[n], 1) ? base[n] : '_';
    out[n] = 0;
    if (n == 0)
        snprintf(out, cap, "cprof");
}

/* A header value: 1 to cap-1 visible ASCII characters, no space. */
static int header_value_ok(const char *v, size_t cap)
{
    size_t n = strlen(v);
    if (n == 0 || n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= ' ' || v[i] > '~')
            return 0;
    return 1;
}

/* CPROF_PUSH_CACERT: 0 when unset or a readable file holding a PEM
 * certificate (its path copied to out), else -1 with one stderr line. The
 * file is read once here to check it; libcurl reads it per connection. */
static int push_cacert_from_env(char *out, size_t cap)
{
    out[0] = 0;
    const char *path = getenv("CPROF_PUSH_CACERT");
    if (!path || !*path)
        return 0;
    if (strlen(path) >= cap) {
        cprof_log("CPROF_PUSH_CACERT: the path is too long; pushing disabled");
        return -1;
    }
    char *pem = read_small_file(path, 16 << 20);
    if (!pem) {
        cprof_log("CPROF_PUSH_CACERT: cannot read %.200s: %s; pushing disabled", path,
                  strerror(errno));
        return -1;
    }
    int has_cert = strstr(pem, "-----BEGIN CERTIFICATE-----") != NULL;
    free(pem);
    if (!has_cert) {
        cprof_log("CPROF_PUSH_CACERT: %.200s holds no PEM certificate; pushing disabled", path);
        return -1;
    }
    snprintf(out, cap, "%s", path);
    return 0;
}

/* The push agent's settings. A bad URL, name, label, token, tenant or CA
 * file is one line and no pushing (a push under the wrong name or without
 * its token is worse than none, and TLS verification is never turned off
 * instead); a bad interval or rate is one line and the default. */
static void push_from_env(cprof_settings *s)
{
    s->push_url[0] = 0;
    s->push_interval = 15;
    s->push_hz = PUSH_DEFAULT_HZ;
    const char *url = getenv("CPROF_PUSH_URL");
    if (!url || !*url)
        return;
    const char *svc = getenv("CPROF_SERVICE_NAME");
    const char *labels = getenv("CPROF_PUSH_LABELS");
    const char *interval = getenv("CPROF_PUSH_INTERVAL");
    const char *hz = getenv("CPROF_PUSH_HZ");
    const char *token = getenv("CPROF_PUSH_TOKEN");
    const char *tenant = getenv("CPROF_PUSH_TENANT");
    char err[300];
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) >= sizeof s->push_url || strcspn(url, " \t\r\n?#") != strlen(url)) {
        cprof_log("CPROF_PUSH_URL=\"%.80s\" is not an http:// or https:// base URL; pushing "
                  "disabled",
                  url);
        return;
    }
    if (svc && *svc &&
        (!pyroscope_name_ok(svc, strlen(svc)) || strlen(svc) >= sizeof s->push_service)) {
        cprof_log("CPROF_SERVICE_NAME=\"%.80s\" is not a Pyroscope name (letters, digits, _ . -); "
                  "pushing disabled",
                  svc);
        return;
    }
    if (labels && (strlen(labels) >= sizeof s->push_labels ||
                   pyroscope_labels_check(labels, err, sizeof err) != 0)) {
        cprof_log("CPROF_PUSH_LABELS: %s; pushing disabled",
                  strlen(labels) >= sizeof s->push_labels ? "too long" : err);
        return;
    }
    if (token && *token && !header_value_ok(token, sizeof s->push_token)) {
        cprof_log("CPROF_PUSH_TOKEN: the token must be 1 to %d visible ASCII characters; "
                  "pushing disabled",
                  CPROF_MAX_TOKEN);
        return;
    }
    if (tenant && *tenant && !header_value_ok(tenant, sizeof s->push_tenant)) {
        cprof_log("CPROF_PUSH_TENANT=\"%.80s\" is not 1 to %zu visible ASCII characters; pushing "
                  "disabled",
                  tenant, sizeof s->push_tenant - 1);
        return;
    }
    char cacert[sizeof s->push_cacert];
    if (push_cacert_from_env(cacert, sizeof cacert) != 0)
        return;
    if (interval && *interval) {
        size_t n = strlen(interval);
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(n && interval[n - 1] == 's' ? n - 1 : n), interval);
        if (parse_bounded(num, 1, 3600, &s->push_interval) != 0) {
            cprof_log("CPROF_PUSH_INTERVAL=\"%.40s\" is not a number of seconds from 1 to 3600; "
                      "using 15",
                      interval);
            s->push_interval = 15;
        }
    }
    if (hz && *hz && parse_bounded(hz, CPU_MIN_HZ, CPU_MAX_HZ, &s->push_hz) != 0) {
        cprof_log("CPROF_PUSH_HZ=\"%.40s\" is not an integer from %d to %d; using %d", hz,
                  CPU_MIN_HZ, CPU_MAX_HZ, PUSH_DEFAULT_HZ);
        s->push_hz = PUSH_DEFAULT_HZ;
    }
    if (svc && *svc)
        snprintf(s->push_service, sizeof s->push_service, "%s", svc);
    else
        push_default_service(program_invocation_name, s->push_service, sizeof s->push_service);
    snprintf(s->push_labels, sizeof s->push_labels, "%s", labels ? labels : "");
    snprintf(s->push_token, sizeof s->push_token, "%s", token ? token : "");
    snprintf(s->push_tenant, sizeof s->push_tenant, "%s", tenant ? tenant : "");
    snprintf(s->push_cacert, sizeof s->push_cacert, "%s", cacert);
    snprintf(s->push_url, sizeof s->push_url, "%s", url);
}

static void both_modes_from_env(cprof_settings *s)
{
    push_from_env(s);
    metrics_path_from_env(s);
    merge_max_from_env(s);
    mutex_rate_from_env(s);
    block_rate_from_env(s);
    follow_fork_from_env(s);
    socket_from_env(s);
    symbolize_from_env(s);
    verbose_from_env(s);
    max_seconds_from_env(s);
    cpu_file_from_env(s);
    signals_from_env(s);
}

void settings_free(cprof_settings *s)
{
    free(s->tls_cert_pem);
    free(s->tls_key_pem);
    s->tls_cert_pem = s->tls_key_pem = NULL;
    memset(s->token, 0, sizeof s->token);
    memset(s->push_token, 0, sizeof s->push_token);
}

void settings_from_env(cprof_settings *s)
{
    memset(s, 0, sizeof *s);
    heap_rate_from_env(s);
    seed_from_env(s);
    symbol_cache_from_env(s);
    addr_from_env(s);
    program_from_env(s);
    if (s->http_addr[0])
        access_from_env(s);
    both_modes_from_env(s);
}

void settings_from_config(const cprof_config *c, cprof_settings *s)
{
    memset(s, 0, sizeof *s);
    both_modes_from_env(s);
    s->heap_rate = c->heap_rate == 0  ? CPROF_DEFAULT_HEAP_RATE
                   : c->heap_rate < 0 ? 0
                                      : c->heap_rate;
    s->seed = c->seed;
    s->symbol_cache_mb = CPROF_DEFAULT_SYMBOL_CACHE_MB;
    const char *addr = c->http_addr ? c->http_addr : CPROF_DEFAULT_ADDR;
    if (strcmp(addr, "off") == 0 || strlen(addr) >= sizeof s->http_addr)
        s->http_addr[0] = 0;
    else
        strcpy(s->http_addr, addr);
    if (strlen(addr) >= sizeof s->http_addr)
        cprof_log("http_addr is too long; HTTP listener disabled");
    if (!s->http_addr[0])
        return;
    if (c->token && *c->token && set_token(s, c->token, "cprof_config.token") != 0)
        disable_listener(s);
    s->allow_insecure = c->allow_insecure;
    tls_from_files(s, c->tls_cert_file, c->tls_key_file, "tls_cert_file", "tls_key_file");
}

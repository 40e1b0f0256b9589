/*
 * config.c — settings from the environment or from cprof_config.
 *
 * Preload mode has no way to report an error but stderr, and must never
 * take the host down: every malformed variable costs exactly one line and
 * disables only the part it configures. Messages go out with one write(2)
 * so they interleave whole with the host's own output and do not touch the
 * host's stdio buffers.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void settings_from_env(cprof_settings *s)
{
    memset(s, 0, sizeof *s);
    heap_rate_from_env(s);
    seed_from_env(s);
    addr_from_env(s);
}

void settings_from_config(const cprof_config *c, cprof_settings *s)
{
    memset(s, 0, sizeof *s);
    s->heap_rate = c->heap_rate == 0 ? CPROF_DEFAULT_HEAP_RATE
                   : c->heap_rate < 0 ? 0
                                      : c->heap_rate;
    s->seed = c->seed;
    const char *addr = c->http_addr ? c->http_addr : CPROF_DEFAULT_ADDR;
    if (strcmp(addr, "off") == 0 || strlen(addr) >= sizeof s->http_addr)
        s->http_addr[0] = 0;
    else
        strcpy(s->http_addr, addr);
    if (strlen(addr) >= sizeof s->http_addr)
        cprof_log("http_addr is too long; HTTP listener disabled");
}

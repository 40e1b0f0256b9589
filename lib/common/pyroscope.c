/*
 * pyroscope.c — Pyroscope's ingest query (see pyroscope.h): the one place
 * that knows its name and label rules and spells the request's query, for
 * the tool's `cprof push` and the library's push agent alike.
 *
 * Percent-encoding keeps RFC 3986's unreserved characters (A-Z a-z 0-9
 * - . _ ~) and encodes every other byte as %XX (upper-case hex), which is
 * what curl_easy_escape does: the kit stays free of libcurl.
 */
#include "pyroscope.h"

#include <stdio.h>
#include <string.h>

/* [A-Za-z0-9_.-] (locale-free). */
static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

int pyroscope_name_ok(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i]))
            return 0;
    return 1;
}

/* Appends s[0..n) percent-encoded to out. */
static void append_escaped(buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            buf_append_byte(out, c);
        } else {
            buf_append_byte(out, '%');
            buf_append_byte(out, (uint8_t)hex[c >> 4]);
            buf_append_byte(out, (uint8_t)hex[c & 15]);
        }
    }
}

/* Walks labels, appending ",k=v" pairs (the first without the comma) to
 * name when name is not NULL. 0, or -1 with the reason in err. */
static int walk_labels(const char *labels, buf *name, char *err, size_t err_len)
{
    int first = 1;
    for (const char *p = labels && *labels ? labels : NULL; p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : 0;
        const char *v = eq ? eq + 1 : NULL;
        size_t vlen = eq ? len - klen - 1 : 0;
        if (!eq || !pyroscope_name_ok(p, klen) || vlen == 0 || memchr(v, '{', vlen) ||
            memchr(v, '}', vlen) || memchr(v, '=', vlen)) {
            snprintf(err, err_len,
                     "bad label \"%.*s\" (want key=value, key of letters, digits, _ . -; no {}= "
                     "in the value)",
                     (int)(len > 200 ? 200 : len), p);
            return -1;
        }
        if (name) {
            if (!first)
                buf_append_byte(name, ',');
            buf_append(name, p, len);
        }
        first = 0;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int pyroscope_labels_check(const char *labels, char *err, size_t err_len)
{
    return walk_labels(labels, NULL, err, err_len);
}

int pyroscope_ingest_query(const char *app, const char *labels, long long from, long long until,
                           buf *out, char *err, size_t err_len)
{
    if (!pyroscope_name_ok(app, strlen(app))) {
        snprintf(err, err_len, "bad application name \"%.200s\" (letters, digits, _ . -)", app);
        return -1;
    }
    buf name;
    buf_init(&name);
    buf_append_str(&name, app);
    int has_labels = labels && *labels;
    if (has_labels)
        buf_append_byte(&name, '{');
    if (walk_labels(labels, &name, err, err_len) != 0) {
        buf_free(&name);
        return -1;
    }
    if (has_labels)
        buf_append_byte(&name, '}');
    buf_append_str(out, "name=");
    append_escaped(out, (const char *)name.data, name.len);
    buf_printf(out, "&from=%lld&until=%lld&format=pprof", from, until);
    int oom = name.oom || out->oom;
    buf_free(&name);
    if (oom) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

int pyroscope_ingest_url(const char *base, const char *app, const char *labels, long long from,
                         long long until, buf *out, char *err, size_t err_len)
{
    size_t n = strlen(base);
    buf_append_str(out, base);
    buf_append_str(out, n && base[n - 1] == '/' ? "ingest?" : "/ingest?");
    return pyroscope_ingest_query(app, labels, from, until, out, err, err_len);
}

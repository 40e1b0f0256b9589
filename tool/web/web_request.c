/*
 * web_request.c — everything the web UI takes from outside, checked before
 * use, and everything it puts into HTML or URLs, escaped.
 *
 * A request's parameters are validated up front so that a bad one is a 400
 * with one line saying why (the message the command line would print for
 * the same option), never a half-rendered page: regexps are compiled here
 * (and again by the filters, which keep no state between requests), the
 * sample index is resolved against the loaded profile, over-long values are
 * refused. Escaping covers the five HTML metacharacters: function names
 * from C++ carry <, > and &, and anything in a URL may carry quotes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web.h"

int web_parse_listen(const char *spec, char *host, size_t host_cap, unsigned *port, cp_err *err)
{
    const char *colon = strrchr(spec, ':');
    if (!colon) {
        cp_err_set(err, "-http=%s: want HOST:PORT or :PORT", spec);
        return -1;
    }
    const char *h = spec;
    size_t hlen = (size_t)(colon - spec);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') { /* [::1]:8080 */
        h++;
        hlen -= 2;
    } else if (memchr(h, ':', hlen)) {
        cp_err_set(err, "-http=%s: put an IPv6 address in brackets: [ADDR]:PORT", spec);
        return -1;
    }
    if (hlen == 0) { /* pprof binds every interface here; we stay local */
        h = "127.0.0.1";
        hlen = strlen(h);
    }
    if (hlen >= host_cap) {
        cp_err_set(err, "-http=%s: host name too long", spec);
        return -1;
    }
    char *end;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || v > 65535 || !isdigit((unsigned char)colon[1])) {
        cp_err_set(err, "-http=%s: port must be a number from 0 to 65535", spec);
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = 0;
    *port = (unsigned)v;
    return 0;
}

/* One parameter: the command line's value unless the request has it. */
static int take(const char **slot, web_arg_fn get, void *ctx, const char *key, cp_err *err)
{
    const char *v = get(ctx, key);
    if (!v)
        return 0;
    if (strlen(v) > WEB_MAX_PARAM) {
        cp_err_set(err, "parameter %s is longer than %d bytes", key, WEB_MAX_PARAM);
        return -1;
    }
    for (const char *s = v; *s; s++)
        if ((unsigned char)*s < 0x20) {
            cp_err_set(err, "parameter %s has a control character", key);
            return -1;
        }
    *slot = v;
    return 0;
}

static int check_regex(const char *pattern, const char *what, cp_err *err)
{
    if (!pattern || !*pattern)
        return 0;
    regex_t re;
    if (regex_compile(&re, pattern, what, err) != 0)
        return -1;
    regfree(&re);
    return 0;
}

int web_query_parse(web_query *q, web_arg_fn get, void *ctx, const cli *c, const cp_profile *p,
                    cp_err *err)
{
    memset(q, 0, sizeof *q);
    q->si = c->sample_index;
    q->filters = c->filters;
    name_filters *f = &q->filters;
    if (take(&q->si, get, ctx, "si", err) || take(&f->focus, get, ctx, "f", err) ||
        take(&f->ignore, get, ctx, "i", err) || take(&f->hide, get, ctx, "h", err) ||
        take(&f->show, get, ctx, "s", err) || take(&f->show_from, get, ctx, "sf", err))
        return -1;
    if (check_regex(f->focus, "focus", err) || check_regex(f->ignore, "ignore", err) ||
        check_regex(f->hide, "hide", err) || check_regex(f->show, "show", err) ||
        check_regex(f->show_from, "show_from", err))
        return -1;
    if (p && profile_sample_index(p, q->si ? q->si : "", err) < 0)
        return -1;
    return 0;
}

static void add_param(buf *b, const char *key, const char *value)
{
    if (!value || !*value)
        return;
    if (b->len > 0 && b->data[b->len - 1] != '?')
        buf_append_byte(b, '&');
    buf_printf(b, "%s=", key);
    url_encode(b, value);
}

void web_query_string(buf *b, const web_query *q)
{
    add_param(b, "si", q->si);
    add_param(b, "f", q->filters.focus);
    add_param(b, "i", q->filters.ignore);
    add_param(b, "h", q->filters.hide);
    add_param(b, "s", q->filters.show);
    add_param(b, "sf", q->filters.show_from);
}

/* Ours: "/" or under "/ui/", and no way to turn into another host
 * ("//evil", "/\evil") or carry a header ("\r\n"). */
bool web_local_path(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    if (strcmp(path, "/") != 0 && strncmp(path, "/ui/", 4) != 0)
        return false;
    for (const char *s = path; *s; s++)
        if ((unsigned char)*s < 0x21 || *s == '\\' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
void url_encode(buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            buf_append_byte(b, ch);
        } else {
            buf_append_byte(b, '%');
            buf_append_byte(b, (uint8_t)hex[ch >> 4]);
            buf_append_byte(b, (uint8_t)hex[ch & 15]);
        }
    }
}

void regex_quote(buf *b, const char *s)
{
    buf_append_byte(b, '^');
    for (; *s; s++) {
        if (strchr(".[]{}()\\*+?^$|", *s))
            buf_append_byte(b, '\\');
        buf_append_byte(b, (uint8_t)*s);
    }
    buf_append_byte(b, '$');
}

/* ---- who may ask ---------------------------------------------------------- */

/* The host part of a Host header value ("name:port", "[v6]:port", "name")
 * into out; 0, or -1 when it does not fit or is malformed. */
static int host_part(const char *hdr, char *out, size_t cap)
{
    const char *h = hdr, *end;
    if (*h == '[') {
        h++;
        end = strchr(h, ']');
        if (!end || (end[1] && end[1] != ':'))
            return -1;
    } else {
        end = strchr(h, ':');
        if (!end)
            end = h + strlen(h);
    }
    size_t n = (size_t)(end - h);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, h, n);
    out[n] = 0;
    return 0;
}

bool web_host_allowed(const char *host_header, const char *bind_host)
{
    if (!host_header) /* HTTP/1.0 without Host: not a browser */
        return true;
    char h[256];
    if (host_part(host_header, h, sizeof h) != 0)
        return false;
    unsigned char addr[16];
    if (inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1)
        return true; /* an address is not a name an attacker's DNS can rebind */
    return !strcasecmp(h, "localhost") || !strcasecmp(h, bind_host);
}

bool web_origin_allowed(const char *origin, const char *host_header)
{
    if (!origin)
        return true; /* not sent by a cross-origin browser form or fetch */
    if (!host_header || strncasecmp(origin, "http://", 7) != 0)
        return false;
    return !strcasecmp(origin + 7, host_header);
}

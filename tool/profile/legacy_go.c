/*
 * legacy_go.c — Go's debug=1 text profiles that are not heaps (legacy.h),
 * as google/pprof's parseGoCount and parseContention read them:
 *   - count profiles: `NAME profile: total N`, then `COUNT @ 0x.. 0x..`
 *     lines (goroutine, threadcreate; libcprof's threads too), `#` lines
 *     ignored, frames moved back onto their call;
 *   - contention: `--- mutex:` / `--- contention:` (block) / `---
 *     contentionz ` headers, `key=value` attributes (cycles/second,
 *     sampling period, ms since reset), then `CYCLES COUNT @ 0x..` lines:
 *     contentions scaled by the period, delay to nanoseconds by the clock
 *     rate and the period.
 */
#include <stdlib.h>
#include <string.h>

#include "legacy.h"

/* pprof's parseGoCount: PROFILE_FORMAT_NO unless the first non-comment line is
 * "NAME profile: total N"; *out is the caller's to free. */
profile_format_rc legacy_parse_go_count(span in, cp_profile **out, cp_err *err)
{
    span rest = in, line = {in.p, in.p};
    bool any = false;
    size_t lineno = 0; /* of the line in hand, from 1 */
    while ((any = span_next_line(&rest, &line)) && (++lineno, span_is_blank_or_comment(line)))
        ;
    if (!any)
        return PROFILE_FORMAT_NO;
    /* countStartRE: \A(\S+) profile: total \d+\z */
    const char *sp = line.p;
    while (sp < line.e && *sp != ' ' && *sp != '\t' && *sp != '\n' && *sp != '\r' && *sp != '\v' &&
           *sp != '\f')
        sp++;
    span tail = {sp, line.e};
    if (sp == line.p || !span_starts(tail, " profile: total "))
        return PROFILE_FORMAT_NO;
    tail.p += strlen(" profile: total ");
    if (tail.p >= tail.e || *tail.p < '0' || *tail.p > '9')
        return PROFILE_FORMAT_NO;
    while (tail.p < tail.e && *tail.p >= '0' && *tail.p <= '9')
        tail.p++;
    if (tail.p != tail.e)
        return PROFILE_FORMAT_NO;
    char type[128];
    size_t tlen = (size_t)(sp - line.p);
    if (tlen >= sizeof type) {
        cp_err_set(err, "count profile: profile name too long");
        return PROFILE_FORMAT_BAD;
    }
    memcpy(type, line.p, tlen);
    type[tlen] = 0;
    const char *types[] = {type, "count"};
    legacy_builder b;
    legacy_begin(&b, types, 1, type, "count", 1);
    uint64_t *addrs = NULL;
    size_t n_addrs = 0, cap = 0;
    while (span_next_line(&rest, &line)) {
        lineno++;
        if (span_is_blank_or_comment(line))
            continue;
        if (span_starts(line, "---"))
            break;
        /* countRE: \A(\d+) @(( 0x[0-9a-f]+)+)\z */
        span s = line;
        int64_t n;
        bool ok = span_int(&s, false, &n) && span_char(&s, ' ') && span_char(&s, '@');
        span list = s;
        while (ok && s.p < s.e) {
            ok = span_char(&s, ' ') && span_char(&s, '0') && span_char(&s, 'x') && s.p < s.e &&
                 ((*s.p >= '0' && *s.p <= '9') || (*s.p >= 'a' && *s.p <= 'f'));
            while (ok && s.p < s.e &&
                   ((*s.p >= '0' && *s.p <= '9') || (*s.p >= 'a' && *s.p <= 'f')))
                s.p++;
        }
        if (!ok || list.p == list.e || !span_hex_addresses(list, &addrs, &n_addrs, &cap)) {
            cp_err_set(err, "%s profile: malformed line %zu (not \"COUNT @ 0x...\")", type, lineno);
            free(addrs);
            legacy_abort(&b);
            return PROFILE_FORMAT_BAD;
        }
        legacy_sample(&b, addrs, n_addrs, 0, &n);
    }
    free(addrs);
    *out = legacy_finish(&b, legacy_maps_section(rest, line));
    return PROFILE_FORMAT_OK;
}

/* "KEY = VALUE" attribute of a contention profile: 1 used, 0 not an
 * attribute line (the samples begin), -1 unrecognized (not Go's format). */
static int contention_attr(span line, int64_t *cpu_hz, cp_profile *p)
{
    const char *eq = memchr(line.p, '=', (size_t)(line.e - line.p));
    if (!eq)
        return 0;
    span key = span_trim((span){line.p, eq}), val = span_trim((span){eq + 1, line.e});
    size_t kl = (size_t)(key.e - key.p);
    int64_t v = 0;
    span vs = val;
    bool num = span_int(&vs, true, &v) && vs.p == vs.e;
#define KEY(s) (kl == strlen(s) && !memcmp(key.p, s, kl))
    if (KEY("cycles/second")) {
        if (!num)
            return -1;
        *cpu_hz = v;
    } else if (KEY("sampling period")) {
        if (!num)
            return -1;
        p->period = v;
    } else if (KEY("ms since reset")) {
        if (!num || v > INT64_MAX / 1000000 || v < INT64_MIN / 1000000)
            return -1;
        p->duration_nanos = v * 1000000;
    } else if (!KEY("discarded samples")) {
        return -1;
    }
#undef KEY
    return 1;
}

/* pprof's parseContention: PROFILE_FORMAT_NO unless the header is Go's or an
 * attribute is not Go's; *out is the caller's to free. */
profile_format_rc legacy_parse_contention(span in, cp_profile **out, cp_err *err)
{
    span rest = in, line;
    if (!span_next_line(&rest, &line))
        return PROFILE_FORMAT_NO;
    if (!span_starts(line, "--- contentionz ") && !span_starts(line, "--- mutex:") &&
        !span_starts(line, "--- contention:"))
        return PROFILE_FORMAT_NO;
    static const char *const types[] = {"contentions", "count", "delay", "nanoseconds"};
    legacy_builder b;
    legacy_begin(&b, types, 2, "contentions", "count", 1);
    cp_profile *p = b.p;
    int64_t cpu_hz = 0;
    bool have = false;
    while ((have = span_next_line(&rest, &line))) {
        span t = span_trim(line);
        if (span_is_blank_or_comment(t))
            continue;
        if (span_starts(t, "---"))
            break;
        int rc = contention_attr(t, &cpu_hz, p);
        if (rc < 0) {
            legacy_abort(&b);
            return PROFILE_FORMAT_NO;
        }
        if (rc == 0)
            break;
    }
    if (!have)
        line = (span){rest.e, rest.e};
    uint64_t *addrs = NULL;
    size_t n_addrs = 0, cap = 0;
    for (;;) {
        span t = span_trim(line);
        if (span_starts(t, "---"))
            break;
        if (!span_is_blank_or_comment(t)) {
            /* contentionSampleRE: (\d+) *(\d+) @([ x0-9a-f]*) */
            span s = t;
            int64_t v1, v2;
            bool ok = span_int(&s, false, &v1);
            span_skip_blanks(&s);
            ok = ok && span_int(&s, false, &v2) && span_char(&s, ' ') && span_char(&s, '@');
            span list = {s.p, s.p};
            while (list.e < s.e && *list.e && strchr(" x0123456789abcdef", *list.e))
                list.e++;
            if (!ok || !span_hex_addresses(list, &addrs, &n_addrs, &cap)) {
                cp_err_set(err, "contention profile: malformed sample line");
                free(addrs);
                legacy_abort(&b);
                return PROFILE_FORMAT_BAD;
            }
            if (p->period > 0) {
                if (cpu_hz > 0) {
                    double d = (double)v1 * (double)p->period / ((double)cpu_hz / 1e9);
                    if (!(d < 9.2e18)) {
                        cp_err_set(err, "contention profile: delay out of range");
                        free(addrs);
                        legacy_abort(&b);
                        return PROFILE_FORMAT_BAD;
                    }
                    v1 = (int64_t)d;
                }
                if (__builtin_mul_overflow(v2, p->period, &v2)) {
                    cp_err_set(err, "contention profile: count out of range");
                    free(addrs);
                    legacy_abort(&b);
                    return PROFILE_FORMAT_BAD;
                }
            }
            int64_t v[2] = {v2, v1};
            legacy_sample(&b, addrs, n_addrs, 0, v);
        }
        if (!span_next_line(&rest, &line))
            break;
    }
    free(addrs);
    *out = legacy_finish(&b, legacy_maps_section(rest, line));
    return PROFILE_FORMAT_OK;
}

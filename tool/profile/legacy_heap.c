/*
 * legacy_heap.c — heap profiles in text (legacy.h):
 *   - `heap profile: N: M [N: M] @ KIND/RATE` (gperftools/tcmalloc's
 *     HEAPPROFILE dumps, `@ heapprofile`; Go's debug=1 heap and allocs,
 *     `@ heap/2*rate`; heapz_v2), as google/pprof's parseHeap reads them:
 *     Poisson-sampled ("v2") values unsampled with 1/(1-exp(-avg/rate)),
 *     alloc columns first when the header has them, a numeric "bytes" label
 *     with the block size, every frame moved back onto its call;
 *   - jemalloc's `heap_v2/RATE` dumps (prof.dump, prof_final; what jeprof
 *     reads): the `t*:` line after each `@` stack is the stack's total over
 *     threads, unsampled the same way (jeprof's AdjustSamples), frames but
 *     the leaf moved back (jeprof's FixCallerAddresses).
 * Both end in an optional MAPPED_LIBRARIES: section (the process's maps).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "legacy.h"

/* pprof's scaleHeapSample; false when the estimate leaves int64. */
static bool scale_sample(int64_t *count, int64_t *size, int64_t rate)
{
    if (*count == 0 || *size == 0) {
        *count = *size = 0;
        return true;
    }
    if (rate <= 1)
        return true;
    double avg = (double)*size / (double)*count;
    double scale = 1 / (1 - exp(-avg / (double)rate));
    double c = (double)*count * scale, s = (double)*size * scale;
    if (!(fabs(c) < 9.2e18) || !(fabs(s) < 9.2e18))
        return false;
    *count = (int64_t)c;
    *size = (int64_t)s;
    return true;
}

/* "N: M" with optional spaces after the colon (pprof's `(-?\d+): *(-?\d+)`). */
static bool pair(span *s, bool allow_neg, int64_t *a, int64_t *b)
{
    span_skip_blanks(s);
    if (!span_int(s, allow_neg, a) || !span_char(s, ':'))
        return false;
    span_skip_blanks(s);
    return span_int(s, allow_neg, b);
}

/* "[ N: M ]" */
static bool bracket_pair(span *s, int64_t *a, int64_t *b)
{
    span_skip_blanks(s);
    if (!span_char(s, '[') || !pair(s, false, a, b))
        return false;
    span_skip_blanks(s);
    return span_char(s, ']');
}

enum sampling { SAMPLING_NONE, SAMPLING_V2 };

/* pprof's heap sample types: alloc columns first when the file has them,
 * so the default (the last) is in-use space. */
static const char *const with_alloc[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                         "inuse_objects", "count", "inuse_space", "bytes"};
static const char *const plain[] = {"objects", "count", "space", "bytes"};

typedef struct heap_header {
    enum sampling sampling;
    int64_t period;
    bool has_alloc;
} heap_header;

/* pprof's heapHeaderRE + parseHeapHeader on the first line. */
static bool parse_header(span line, heap_header *h)
{
    const char *at = span_find(line, "heap profile:");
    if (!at)
        return false;
    span s = {at + strlen("heap profile:"), line.e};
    int64_t n1, s1, n2, s2;
    if (!pair(&s, false, &n1, &s1) || !bracket_pair(&s, &n2, &s2))
        return false;
    span_skip_blanks(&s);
    if (!span_char(&s, '@'))
        return false;
    span_skip_blanks(&s);
    span kind = {s.p, s.p};
    if (!span_starts(s, "heap"))
        return false;
    kind.e = s.p + 4;
    while (kind.e < s.e && ((*kind.e >= 'a' && *kind.e <= 'z') || *kind.e == '_' ||
                            (*kind.e >= '0' && *kind.e <= '9')))
        kind.e++;
    s.p = kind.e;
    span_char(&s, '/');
    int64_t period = 0;
    if (s.p < s.e && *s.p >= '0' && *s.p <= '9' && !span_int(&s, false, &period))
        return false; /* pprof: errUnrecognized */
    h->has_alloc = (n2 != n1 && n2 != 0) || (s2 != s1 && s2 != 0);
    size_t klen = (size_t)(kind.e - kind.p);
    if ((klen == 8 && !memcmp(kind.p, "heapz_v2", 8)) ||
        (klen == 7 && !memcmp(kind.p, "heap_v2", 7))) {
        h->sampling = SAMPLING_V2, h->period = period;
    } else if (klen == 11 && !memcmp(kind.p, "heapprofile", 11)) {
        h->sampling = SAMPLING_NONE, h->period = 1;
    } else if (klen == 4) {
        h->sampling = SAMPLING_V2, h->period = period / 2;
    } else {
        return false;
    }
    return true;
}

/* addValues of pprof's parseHeapSample: count/size appended to v. */
static bool add_values(int64_t count, int64_t size, const heap_header *h, int64_t *v,
                       int64_t *blocksize, const char *what, cp_err *err)
{
    if (count == 0 && size != 0) {
        cp_err_set(err, "%s count was 0 but %s bytes was %lld", what, what, (long long)size);
        return false;
    }
    if (count != 0) {
        *blocksize = size / count;
        if (h->sampling == SAMPLING_V2 && !scale_sample(&count, &size, h->period)) {
            cp_err_set(err, "%s value out of range", what);
            return false;
        }
    }
    v[0] = count;
    v[1] = size;
    return true;
}

/* One heap sample: the in-use (n1, s1) and, with alloc columns, the
 * allocated (n2, s2) values unsampled per h, then the sample of addrs
 * (frames from adjust_from on moved back) with its "bytes" label. false
 * with err on bad values. */
static bool heap_sample(legacy_builder *b, const heap_header *h, const int64_t v[4],
                        const uint64_t *addrs, size_t n, size_t adjust_from, cp_err *err)
{
    int64_t vals[4], blocksize = 0, *vp = vals;
    if (h->has_alloc) {
        if (!add_values(v[2], v[3], h, vp, &blocksize, "allocation", err))
            return false;
        vp += 2;
    }
    if (!add_values(v[0], v[1], h, vp, &blocksize, "inuse", err))
        return false;
    cp_sample *smp = legacy_sample(b, addrs, n, adjust_from, vals);
    smp->labels = arena_alloc(&b->p->mem, 1, sizeof *smp->labels);
    smp->labels[0] = (cp_label){.key = intern_cstr("bytes"), .num = blocksize, .unit = STR_EMPTY};
    smp->n_labels = 1;
    return true;
}

/* The addresses after '@' (pprof's `@([ x0-9a-f]*)`). */
static span address_run(span s)
{
    span r = {s.p, s.p};
    while (r.e < s.e && strchr(" x0123456789abcdef", *r.e) && *r.e)
        r.e++;
    return r;
}

/* pprof's parseHeap: PROFILE_FORMAT_NO unless the first line is a heap header;
 * *out is the caller's to free. */
profile_format_rc legacy_parse_heap(span in, cp_profile **out, cp_err *err)
{
    span rest = in, line;
    heap_header h = {0};
    if (!span_next_line(&rest, &line))
        return PROFILE_FORMAT_NO;
    if (!parse_header(line, &h)) {
        /* pprof's growthz and fragmentationz headers: not sampled */
        const char *at = span_find(line, "heap profile:");
        span t = at ? (span){at + 13, line.e} : (span){NULL, NULL};
        int64_t a, b, c, d;
        if (!at || !pair(&t, false, &a, &b) || !bracket_pair(&t, &c, &d) ||
            !(span_starts(t, " @ growth") || span_starts(t, " @ fragmentation")))
            return PROFILE_FORMAT_NO;
        h.period = 1;
    }
    legacy_builder b;
    legacy_begin(&b, h.has_alloc ? with_alloc : plain, h.has_alloc ? 4 : 2, "space", "bytes",
                 h.period);
    uint64_t *addrs = NULL;
    size_t n_addrs = 0, cap = 0, lineno = 1;
    while (span_next_line(&rest, &line)) {
        lineno++;
        span t = span_trim(line);
        if (span_is_blank_or_comment(t))
            continue;
        if (is_memory_map_sentinel(t))
            break;
        int64_t v[4];
        span s = t;
        if (!pair(&s, true, &v[0], &v[1]) || !bracket_pair(&s, &v[2], &v[3]) ||
            !span_char(&s, ' ') || !span_char(&s, '@')) {
            cp_err_set(err, "heap profile line %zu: not \"N: M [N: M] @ addresses\"", lineno);
            goto bad;
        }
        if (!span_hex_addresses(address_run(s), &addrs, &n_addrs, &cap)) {
            cp_err_set(err, "heap profile line %zu: address out of range", lineno);
            goto bad;
        }
        if (!heap_sample(&b, &h, v, addrs, n_addrs, 0, err))
            goto bad;
    }
    free(addrs);
    *out = legacy_finish(&b, legacy_maps_section(rest, line));
    return PROFILE_FORMAT_OK;
bad:
    free(addrs);
    legacy_abort(&b);
    return PROFILE_FORMAT_BAD;
}

/* ---- jemalloc --------------------------------------------------------------- */

/* "tN: a: b [c: d]" or "t*: ..." after trimming; *total for t*. */
static bool thread_line(span t, bool *total, int64_t v[4])
{
    if (!span_char(&t, 't'))
        return false;
    *total = span_char(&t, '*');
    int64_t id;
    if (!*total && !span_int(&t, false, &id))
        return false;
    if (!span_char(&t, ':') || !pair(&t, false, &v[0], &v[1]) || !bracket_pair(&t, &v[2], &v[3]))
        return false;
    span_skip_blanks(&t);
    return t.p == t.e;
}

/* Whether a location is in a shared jemalloc library (libjemalloc.so*). */
static bool in_libjemalloc(const cp_location *l)
{
    if (!l->mapping)
        return false;
    const char *slash = strrchr(l->mapping->file, '/');
    return !strncmp(slash ? slash + 1 : l->mapping->file, "libjemalloc", 11);
}

/* jemalloc's backtrace starts inside itself (prof_backtrace, the sampled
 * slow path) and the public entry point is often not on the stack (malloc
 * tail-calls its slow path). A distribution's shared libjemalloc has no
 * symbols for those internals, so drop_frames cannot name them: the
 * leaf-side frames in libjemalloc's own mapping are removed instead (the
 * outermost is kept when a whole stack is jemalloc's). A jemalloc linked
 * into the program keeps its symbols and is pruned by name. */
static void strip_allocator_frames(cp_profile *p)
{
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        size_t k = 0;
        while (k + 1 < s->n_locs && in_libjemalloc(s->locs[k]))
            k++;
        s->locs += k;
        s->n_locs -= k;
    }
}

/* jemalloc's heap_v2 dump (jeprof's ReadThreadedHeapProfile): PROFILE_FORMAT_NO
 * unless the first line starts "heap_v2/"; *out is the caller's to free. */
profile_format_rc legacy_parse_jemalloc(span in, cp_profile **out, cp_err *err)
{
    span rest = in, line;
    if (!span_next_line(&rest, &line))
        return PROFILE_FORMAT_NO;
    span t = span_trim(line);
    if (!span_starts(t, "heap_v2/"))
        return PROFILE_FORMAT_NO;
    t.p += strlen("heap_v2/");
    int64_t rate;
    if (!span_int(&t, false, &rate) || t.p != t.e) {
        cp_err_set(err, "jemalloc heap profile: bad sampling rate in \"heap_v2/\" line");
        return PROFILE_FORMAT_BAD;
    }
    /* The totals line decides the columns, as pprof's header rule does. */
    span peek = rest;
    int64_t tot[4] = {0};
    bool total = false, has_alloc = false;
    while (span_next_line(&peek, &line)) {
        span l = span_trim(line);
        if (l.p == l.e)
            continue;
        if (thread_line(l, &total, tot) && total)
            has_alloc = (tot[2] != tot[0] && tot[2] != 0) || (tot[3] != tot[1] && tot[3] != 0);
        break;
    }
    legacy_builder b;
    legacy_begin(&b, has_alloc ? with_alloc : plain, has_alloc ? 4 : 2, "space", "bytes", rate);
    heap_header h = {.sampling = SAMPLING_V2, .period = rate, .has_alloc = has_alloc};
    uint64_t *addrs = NULL;
    size_t n_addrs = 0, cap = 0, lineno = 1;
    bool in_stack = false, stack_done = false;
    while (span_next_line(&rest, &line)) {
        lineno++;
        span l = span_trim(line);
        if (l.p == l.e)
            continue;
        if (span_starts(l, "MAPPED_LIBRARIES:"))
            break;
        if (*l.p == '@') {
            l.p++;
            if (!span_hex_addresses(l, &addrs, &n_addrs, &cap) || n_addrs == 0) {
                cp_err_set(err, "jemalloc heap profile line %zu: bad stack", lineno);
                goto bad;
            }
            in_stack = true;
            stack_done = false;
            continue;
        }
        int64_t v[4];
        if (!thread_line(l, &total, v)) {
            cp_err_set(err, "jemalloc heap profile line %zu: not \"tN: N: M [N: M]\"", lineno);
            goto bad;
        }
        if (!in_stack || !total || stack_done)
            continue; /* the header's totals, or a per-thread line */
        stack_done = true;
        if (!heap_sample(&b, &h, v, addrs, n_addrs, 1, err))
            goto bad;
    }
    free(addrs);
    cp_profile *p = legacy_finish(&b, rest);
    p->drop_frames = legacy_jemalloc_drop_frames();
    strip_allocator_frames(p);
    *out = p;
    return PROFILE_FORMAT_OK;
bad:
    free(addrs);
    legacy_abort(&b);
    return PROFILE_FORMAT_BAD;
}

/*
 * legacy_collapsed.c — collapsed stacks (legacy.h): the input of Brendan
 * Gregg's flamegraph.pl, written by the stackcollapse-* scripts, by
 * `cprof -collapsed` and by many profilers: one line per stack, frames from
 * the root down separated by ';', a space, a non-negative count:
 *     main;serve;parse 123
 * pprof does not read it. Frames are names already: each distinct name is
 * one function and one location without a mapping, so nothing is left to
 * symbolize. The counts are samples/count.
 * Recognized when the first non-blank line has that shape; after that a
 * line without it is an error naming the line. Control characters (other
 * than tab) are not part of any frame name: they make the file garbage.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "intern.h"
#include "legacy.h"

/* Split a line into stack and count; false when it is not "STACK COUNT". */
static bool split_line(span line, span *stack, int64_t *count)
{
    span t = span_trim(line);
    for (const char *q = t.p; q < t.e; q++)
        if ((unsigned char)*q < 0x20 && *q != '\t')
            return false;
    const char *sp = t.e;
    while (sp > t.p && sp[-1] != ' ' && sp[-1] != '\t')
        sp--;
    if (sp == t.p)
        return false;
    span num = {sp, t.e};
    if (!span_int(&num, false, count) || num.p != num.e)
        return false;
    *stack = span_trim((span){t.p, sp});
    return stack->p < stack->e;
}

typedef struct frame_key {
    const char *name; /* interned */
} frame_key;

/* htab equality: an interned frame name against a location. */
static int frame_eq(const void *key, const void *item)
{
    const cp_location *l = item;
    return l->lines[0].function->name == ((const frame_key *)key)->name;
}

/* Collapsed stacks (see the top of the file): PROFILE_FORMAT_NO when the first
 * non-blank line is not "STACK COUNT"; *out is the caller's to free. */
profile_format_rc legacy_parse_collapsed(span in, cp_profile **out, cp_err *err)
{
    span rest = in, line, stack;
    int64_t count;
    bool first = true;
    size_t lineno = 0;
    static const char *const types[] = {"samples", "count"};
    legacy_builder b;
    htab names;
    cp_location **stk = NULL;
    size_t cap = 0;
    cp_function **funcs = NULL;
    size_t n_funcs = 0, cap_funcs = 0;
    while (span_next_line(&rest, &line)) {
        lineno++;
        if (span_trim(line).p == span_trim(line).e)
            continue;
        if (!split_line(line, &stack, &count)) {
            if (first)
                return PROFILE_FORMAT_NO;
            cp_err_set(err, "collapsed stacks line %zu: not \"frame;frame;... COUNT\"", lineno);
            goto bad;
        }
        if (first) {
            legacy_begin(&b, types, 1, "samples", "count", 1);
            htab_init(&names, &htab_xalloc);
            first = false;
        }
        size_t depth = 0;
        for (const char *q = stack.p; q <= stack.e;) {
            const char *semi = memchr(q, ';', (size_t)(stack.e - q));
            const char *end = semi ? semi : stack.e;
            frame_key key = {intern(q, (size_t)(end - q))};
            uint64_t h = hash_ptr(0, key.name);
            cp_location *l = htab_find(&names, h, frame_eq, &key);
            if (!l) {
                cp_profile *p = b.p;
                cp_function *f = arena_alloc(&p->mem, 1, sizeof *f);
                f->id = n_funcs + 1;
                f->name = f->system_name = key.name;
                f->filename = STR_EMPTY;
                l = arena_alloc(&p->mem, 1, sizeof *l);
                l->id = b.n_locs + 1;
                l->lines = arena_alloc(&p->mem, 1, sizeof *l->lines);
                l->lines[0].function = f;
                l->n_lines = 1;
                htab_insert(&names, h, l);
                if (b.n_locs == b.cap_locs) {
                    b.cap_locs = b.cap_locs ? b.cap_locs * 2 : 64;
                    b.loc_v = xrealloc(b.loc_v, b.cap_locs, sizeof *b.loc_v);
                }
                b.loc_v[b.n_locs++] = l;
                if (n_funcs == cap_funcs) {
                    cap_funcs = cap_funcs ? cap_funcs * 2 : 64;
                    funcs = xrealloc(funcs, cap_funcs, sizeof *funcs);
                }
                funcs[n_funcs++] = f;
            }
            if (depth == cap) {
                cap = cap ? cap * 2 : 64;
                stk = xrealloc(stk, cap, sizeof *stk);
            }
            stk[depth++] = l;
            q = end + 1;
        }
        /* root first in the file, leaf first in the model */
        for (size_t i = 0; i < depth / 2; i++) {
            cp_location *t = stk[i];
            stk[i] = stk[depth - 1 - i];
            stk[depth - 1 - i] = t;
        }
        if (b.n_samples == b.cap_samples) {
            b.cap_samples = b.cap_samples ? b.cap_samples * 2 : 64;
            b.samples = xrealloc(b.samples, b.cap_samples, sizeof *b.samples);
        }
        cp_sample *s = &b.samples[b.n_samples++];
        memset(s, 0, sizeof *s);
        s->values = arena_dup(&b.p->mem, &count, 1, sizeof count);
        s->locs = arena_dup(&b.p->mem, stk, depth, sizeof *stk);
        s->n_locs = depth;
    }
    free(stk);
    if (first)
        return PROFILE_FORMAT_NO;
    htab_free(&names);
    cp_profile *p = b.p;
    p->locations = arena_dup(&p->mem, b.loc_v, b.n_locs, sizeof *b.loc_v);
    p->n_locations = b.n_locs;
    p->functions = arena_dup(&p->mem, funcs, n_funcs, sizeof *funcs);
    p->n_functions = n_funcs;
    p->samples = arena_dup(&p->mem, b.samples, b.n_samples, sizeof *b.samples);
    p->n_samples = b.n_samples;
    free(funcs);
    cp_profile_reindex(p);
    b.p = NULL;
    legacy_abort(&b);
    *out = p;
    return PROFILE_FORMAT_OK;
bad:
    free(stk);
    free(funcs);
    htab_free(&names);
    legacy_abort(&b);
    return PROFILE_FORMAT_BAD;
}

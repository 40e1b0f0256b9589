/*
 * filters.c — see filters.h. Transcribes google/pprof's profile/filter.go
 * and prune.go.
 *
 * A regex is evaluated once per function (name, then file name) and once
 * per mapping (file), not once per frame: profiles repeat the same
 * functions across thousands of locations. Location states live in arrays
 * indexed by cp_location.index. Hiding and showing rewrite a location's
 * line array in place (a prefix, suffix or subset of it), which is safe
 * because the arena owns the lines and nothing else points into them.
 */
#include "filters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPEAT 1000 /* RE2's limit on {n}, here on nested products too */

/* Past the bracket expression starting at p ('['): its closing ']' + 1,
 * [:class:] and a leading ']' included; the end of the string if unclosed. */
static const char *skip_bracket(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p && *p != ']') {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *close = strstr(p + 2, (char[]){p[1], ']', 0});
            p = close ? close + 1 : p + 1;
        } else {
            p++;
        }
    }
    return *p ? p + 1 : p;
}

/* The count of an interval {m}, {m,}, {m,n} at p (its largest bounded
 * value), with *end past it; 0 when p is not an interval. */
static unsigned long interval_count(const char *p, const char **end)
{
    if (*p != '{')
        return 0;
    char *e;
    unsigned long m = strtoul(p + 1, &e, 10), n = m;
    if (e == p + 1)
        return 0;
    if (*e == ',') {
        const char *d = e + 1;
        if (*d >= '0' && *d <= '9')
            n = strtoul(d, &e, 10);
        else
            e = (char *)d;
    }
    if (*e != '}')
        return 0;
    *end = e + 1;
    return n > m ? n : m ? m : 1;
}

/* What RE2 (go tool pprof's syntax) refuses and makes glibc's matcher or
 * compiler blow up: backreferences (\1..\9: exponential matching) and
 * counted repetitions whose product through nested groups passes
 * MAX_REPEAT (glibc copies the group per count). NULL when pattern is
 * fine, else a static reason. Iterative: any nesting depth. */
static const char *re2_refusal(const char *pattern)
{
    size_t len = strlen(pattern), top = 0;
    /* Per open group: its own count (known at its ')') and the product of
     * the counts around it; a group's count multiplies its contents, so
     * the check runs when the group closes, over the largest product of
     * repetitions inside it. */
    typedef struct open_group {
        unsigned long inner; /* largest product of repetitions inside */
    } open_group;
    open_group *st = xcalloc(len + 2, sizeof *st);
    const char *why = NULL;
    for (const char *p = pattern; *p && !why;) {
        unsigned long count = 0, inside = 1;
        const char *after = p + 1;
        if (*p == '\\') {
            if (p[1] >= '1' && p[1] <= '9')
                why = "backreferences (\\1 .. \\9) are not supported";
            after = p[1] ? p + 2 : p + 1;
        } else if (*p == '[') {
            after = skip_bracket(p);
        } else if (*p == '(') {
            st[++top].inner = 1;
            p++;
            continue;
        } else if (*p == ')' && top > 0) {
            inside = st[top--].inner;
        }
        count = interval_count(after, &after);
        if (count) {
            unsigned long total = inside > MAX_REPEAT ? inside : inside * count;
            if (count > MAX_REPEAT || total > MAX_REPEAT)
                why = "repetition count too large (nested {n} multiply; at most 1000)";
            inside = total;
        }
        if (inside > st[top].inner)
            st[top].inner = inside;
        p = after;
    }
    free(st);
    return why;
}

int regex_compile(regex_t *re, const char *pattern, const char *what, cp_err *err)
{
    /* What RE2 would refuse, and glibc could spend minutes or gigabytes on,
     * is refused before regcomp sees it. */
    const char *why = re2_refusal(pattern);
    if (why) {
        cp_err_set(err, "parsing %s regexp %s: %s (RE2 syntax, as in go tool pprof)", what, pattern,
                   why);
        return -1;
    }
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[200];
        regerror(rc, re, msg, sizeof msg);
        cp_err_set(err, "parsing %s regexp %s: %s", what, pattern, msg);
        return -1;
    }
    return 0;
}

int regex_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* Per-function and per-mapping match results for one expression. */
typedef struct matcher {
    regex_t re;
    bool active;
    bool *fn;  /* name or file name matches, by function index */
    bool *map; /* file matches, by mapping index */
} matcher;

static int matcher_init(matcher *m, const cp_profile *p, const char *pattern, const char *what,
                        cp_err *err)
{
    memset(m, 0, sizeof *m);
    if (!pattern || !*pattern)
        return 0;
    if (regex_compile(&m->re, pattern, what, err) != 0)
        return -1;
    m->active = true;
    m->fn = xcalloc(p->n_functions, sizeof *m->fn);
    m->map = xcalloc(p->n_mappings, sizeof *m->map);
    for (size_t i = 0; i < p->n_functions; i++)
        m->fn[i] = regex_match(&m->re, p->functions[i]->name) ||
                   regex_match(&m->re, p->functions[i]->filename);
    for (size_t i = 0; i < p->n_mappings; i++)
        m->map[i] = regex_match(&m->re, p->mappings[i]->file);
    return 0;
}

static void matcher_free(matcher *m)
{
    if (!m->active)
        return;
    regfree(&m->re);
    free(m->fn);
    free(m->map);
}

static bool line_matches(const matcher *m, const cp_line *ln)
{
    return m->fn[ln->function->index];
}
static bool mapping_matches(const matcher *m, const cp_location *l)
{
    return l->mapping && m->map[l->mapping->index];
}

/* Location.matchesName */
static bool location_matches(const matcher *m, const cp_location *l)
{
    for (size_t i = 0; i < l->n_lines; i++)
        if (line_matches(m, &l->lines[i]))
            return true;
    return mapping_matches(m, l);
}

/* Keep the lines whose match equals want (unmatchedLines / matchedLines);
 * a matching mapping decides for the whole location. */
static void keep_lines(const matcher *m, cp_location *l, bool want)
{
    if (mapping_matches(m, l)) {
        if (!want)
            l->n_lines = 0;
        return;
    }
    size_t kept = 0;
    for (size_t i = 0; i < l->n_lines; i++)
        if (line_matches(m, &l->lines[i]) == want)
            l->lines[kept++] = l->lines[i];
    l->n_lines = kept;
}

static void warn_no_match(bool matched, const matcher *m, const char *option)
{
    if (m->active && !matched)
        fprintf(stderr, "%s expression matched no samples\n", option);
}

typedef struct name_state {
    signed char *focus; /* +1 focused, -1 ignored, 0 neither */
    bool *hidden;
} name_state;

/* focusedAndNotIgnored */
static bool focused_not_ignored(const cp_sample *s, const signed char *focus)
{
    bool f = false;
    for (size_t i = 0; i < s->n_locs; i++) {
        signed char v = focus[s->locs[i]->index];
        if (v < 0)
            return false;
        f |= v > 0;
    }
    return f;
}

static void filter_samples(cp_profile *p, const name_state *st, bool any_hidden)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample s = p->samples[i];
        if (!focused_not_ignored(&s, st->focus))
            continue;
        if (any_hidden) {
            size_t n = 0;
            cp_location **locs = arena_alloc(&p->mem, s.n_locs, sizeof *locs);
            for (size_t j = 0; j < s.n_locs; j++)
                if (!st->hidden[s.locs[j]->index])
                    locs[n++] = s.locs[j];
            if (n == 0)
                continue;
            s.locs = locs;
            s.n_locs = n;
        }
        p->samples[kept++] = s;
    }
    p->n_samples = kept;
}

/* Profile.FilterSamplesByName */
static void filter_by_name(cp_profile *p, matcher *focus, matcher *ignore, matcher *hide,
                           matcher *show)
{
    bool fm = false, im = false, hm = false, hnm = false, any_hidden = false;
    name_state st = {xcalloc(p->n_locations, 1), xcalloc(p->n_locations, sizeof(bool))};
    for (size_t i = 0; i < p->n_locations; i++) {
        cp_location *l = p->locations[i];
        if (ignore->active && location_matches(ignore, l)) {
            im = true;
            st.focus[i] = -1;
        } else if (!focus->active || location_matches(focus, l)) {
            fm = true;
            st.focus[i] = 1;
        }
        if (hide->active && location_matches(hide, l)) {
            hm = true;
            keep_lines(hide, l, false);
            if (l->n_lines == 0)
                st.hidden[i] = any_hidden = true;
        }
        if (show->active) {
            keep_lines(show, l, true);
            if (l->n_lines == 0)
                st.hidden[i] = any_hidden = true;
            else
                hnm = true;
        }
    }
    filter_samples(p, &st, any_hidden);
    warn_no_match(fm, focus, "Focus");
    warn_no_match(im, ignore, "Ignore");
    warn_no_match(hm, hide, "Hide");
    warn_no_match(hnm, show, "Show");
    free(st.focus);
    free(st.hidden);
}

/* Profile.ShowFrom: drop frames above the highest matching one. */
static void show_from(cp_profile *p, matcher *m)
{
    bool matched = false;
    bool *hit = xcalloc(p->n_locations, sizeof *hit);
    for (size_t i = 0; i < p->n_locations; i++) {
        cp_location *l = p->locations[i];
        if (mapping_matches(m, l)) {
            hit[i] = matched = true;
            continue;
        }
        for (size_t j = l->n_lines; j-- > 0;)
            if (line_matches(m, &l->lines[j])) {
                l->n_lines = j + 1;
                hit[i] = matched = true;
                break;
            }
    }
    size_t kept = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample s = p->samples[i];
        for (size_t j = s.n_locs; j-- > 0;)
            if (hit[s.locs[j]->index]) {
                s.n_locs = j + 1;
                p->samples[kept++] = s;
                break;
            }
    }
    p->n_samples = kept;
    warn_no_match(matched, m, "ShowFrom");
    free(hit);
}

/* prune.go simplifyFunc: drop a leading '.', cut at the first '(' that is
 * not part of "(anonymous namespace)" or "operator()". */
static const char *simplify_func(const char *name, char *out, size_t cap)
{
    if (*name == '.')
        name++;
    size_t n = strlen(name), cut = n;
    static const char *const reserved[] = {"(anonymous namespace)", "operator()"};
    for (size_t i = 0; i < n && cut == n;) {
        size_t skip = 0;
        for (size_t r = 0; r < 2 && !skip; r++)
            if (!strncmp(name + i, reserved[r], strlen(reserved[r])))
                skip = strlen(reserved[r]);
        if (skip)
            i += skip;
        else if (name[i] == '(')
            cut = i;
        else
            i++;
    }
    if (cut >= cap)
        cut = cap - 1;
    memcpy(out, name, cut);
    out[cut] = 0;
    return out;
}

static bool simplified_matches(const regex_t *re, const cp_function *f)
{
    char tmp[4096];
    return *f->name && regex_match(re, simplify_func(f->name, tmp, sizeof tmp));
}

/* Profile.PruneFrom: drop the frames beneath the lowest matching one. */
static void prune_from(cp_profile *p, const regex_t *re)
{
    bool *beneath = xcalloc(p->n_locations, sizeof *beneath);
    for (size_t i = 0; i < p->n_locations; i++) {
        cp_location *l = p->locations[i];
        for (size_t j = 0; j < l->n_lines; j++)
            if (simplified_matches(re, l->lines[j].function)) {
                beneath[i] = true;
                l->lines += j;
                l->n_lines -= j;
                break;
            }
    }
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        for (size_t j = 0; j < s->n_locs; j++)
            if (beneath[s->locs[j]->index]) {
                s->locs += j;
                s->n_locs -= j;
                break;
            }
    }
    free(beneath);
}

int apply_filters(cp_profile *p, const name_filters *f, const num_label_units *units, cp_err *err)
{
    matcher focus, ignore, hide, show, from;
    int rc = -1;
    memset(&ignore, 0, sizeof ignore);
    memset(&hide, 0, sizeof hide);
    memset(&show, 0, sizeof show);
    memset(&from, 0, sizeof from);
    if (matcher_init(&focus, p, f->focus, "focus", err) != 0)
        return -1;
    if (matcher_init(&ignore, p, f->ignore, "ignore", err) != 0 ||
        matcher_init(&hide, p, f->hide, "hide", err) != 0 ||
        matcher_init(&show, p, f->show, "show", err) != 0 ||
        matcher_init(&from, p, f->show_from, "show_from", err) != 0)
        goto out;
    regex_t prune;
    bool pruning = f->prune_from && *f->prune_from;
    if (pruning && regex_compile(&prune, f->prune_from, "prune_from", err) != 0)
        goto out;
    filter_by_name(p, &focus, &ignore, &hide, &show);
    if (from.active)
        show_from(p, &from);
    if (apply_tag_filters(p, f, units, err) != 0) {
        if (pruning)
            regfree(&prune);
        goto out;
    }
    if (pruning) {
        prune_from(p, &prune);
        regfree(&prune);
    }
    rc = 0;
out:
    matcher_free(&focus);
    matcher_free(&ignore);
    matcher_free(&hide);
    matcher_free(&show);
    matcher_free(&from);
    return rc;
}

/* Profile.Prune: remove frames from the root down to the first one matching
 * drop (and not keep); leaf-side frames stay. */
static void prune(cp_profile *p, const regex_t *drop, const regex_t *keep)
{
    bool *whole = xcalloc(p->n_locations, sizeof *whole);
    bool *beneath = xcalloc(p->n_locations, sizeof *beneath);
    char tmp[4096];
    for (size_t i = 0; i < p->n_locations; i++) {
        cp_location *l = p->locations[i];
        size_t j = l->n_lines;
        while (j-- > 0) {
            const cp_function *fn = l->lines[j].function;
            if (!*fn->name)
                continue;
            const char *name = simplify_func(fn->name, tmp, sizeof tmp);
            if (regex_match(drop, name) && !(keep && regex_match(keep, name)))
                break;
        }
        if (j == (size_t)-1)
            continue;
        beneath[i] = true;
        if (j == l->n_lines - 1) {
            whole[i] = true;
        } else {
            l->lines += j + 1;
            l->n_lines -= j + 1;
        }
    }
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        bool found_user = false;
        for (size_t j = s->n_locs; j-- > 0;) {
            size_t id = s->locs[j]->index;
            if (!whole[id] && !beneath[id]) {
                found_user = true;
                continue;
            }
            if (!found_user)
                continue;
            if (whole[id]) {
                s->locs += j + 1;
                s->n_locs -= j + 1;
            } else {
                s->locs += j;
                s->n_locs -= j;
            }
            break;
        }
    }
    free(whole);
    free(beneath);
}

int profile_remove_uninteresting(cp_profile *p, cp_err *err)
{
    if (!*p->drop_frames)
        return 0;
    regex_t drop, keep;
    char *pat = arena_printf(&p->mem, "^(%s)$", p->drop_frames);
    if (regex_compile(&drop, pat, "drop_frames", err) != 0)
        return -1;
    bool has_keep = *p->keep_frames;
    if (has_keep && regex_compile(&keep, arena_printf(&p->mem, "^(%s)$", p->keep_frames),
                                  "keep_frames", err) != 0) {
        regfree(&drop);
        return -1;
    }
    prune(p, &drop, has_keep ? &keep : NULL);
    regfree(&drop);
    if (has_keep)
        regfree(&keep);
    return 0;
}

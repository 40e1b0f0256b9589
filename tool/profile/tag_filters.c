/*
 * tag_filters.c — -tagfocus/-tagignore (keep or drop samples by label) and
 * -tagshow/-taghide (keep or drop label keys), with google/pprof's rules
 * (driver_focus.go compileTagFilter, profile.FilterSamplesByTag and
 * FilterTagsByName):
 *  - "KEY=VALUE" restricts the test to one key; without a key a string
 *    filter is matched against "key:value" strings;
 *  - a value that is exactly a number with an optional unit ("32kb"), an
 *    open range ("4mb:", ":64kb") or a closed one ("12kb:64mb") tests
 *    numeric labels, after converting both sides to the filter's unit;
 *  - otherwise the value is a comma-separated list of regular expressions:
 *    without a key every one must match some label, with a key any one
 *    matching any of the key's values is enough.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "intern.h"
#include "measure.h"

enum range_kind { RANGE_NONE, RANGE_EQ, RANGE_GE, RANGE_LE, RANGE_BETWEEN };

typedef struct tag_matcher {
    bool active;
    const char *key; /* interned, or NULL: any key */
    enum range_kind range;
    double lo, hi;
    const char *unit;
    regex_t *rx;
    size_t n_rx;
} tag_matcher;

/* One match of ([+-]?[[:digit:]]+)([[:alpha:]]+)? in s from *pos. */
typedef struct num_match {
    size_t start, end;
    char digits[32], unit[32];
} num_match;

static bool next_number(const char *s, size_t *pos, num_match *m)
{
    for (size_t i = *pos; s[i]; i++) {
        bool sign = (s[i] == '+' || s[i] == '-') && isdigit((unsigned char)s[i + 1]);
        if (!sign && !isdigit((unsigned char)s[i]))
            continue;
        size_t j = i + sign;
        while (isdigit((unsigned char)s[j]))
            j++;
        size_t k = j;
        while (isalpha((unsigned char)s[k]))
            k++;
        if (j - i >= sizeof m->digits || k - j >= sizeof m->unit)
            return false;
        memcpy(m->digits, s + i, j - i);
        m->digits[j - i] = 0;
        memcpy(m->unit, s + j, k - j);
        m->unit[k - j] = 0;
        m->start = i;
        m->end = k;
        *pos = k;
        return true;
    }
    return false;
}

static bool parse_int64(const char *s, int64_t *v)
{
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    *v = x;
    return !errno && !*end;
}

/* parseTagFilterRange: true when filter is a number or a range. */
static bool parse_range(const char *filter, tag_matcher *m)
{
    num_match a, b;
    size_t pos = 0, len = strlen(filter);
    int64_t v;
    if (!next_number(filter, &pos, &a) || !parse_int64(a.digits, &v))
        return false;
    m->lo = measure_scale(v, a.unit, a.unit, &m->unit);
    if (!next_number(filter, &pos, &b)) {
        if (a.start == 0 && a.end == len)
            m->range = RANGE_EQ;
        else if (a.start == 0 && a.end + 1 == len && filter[a.end] == ':')
            m->range = RANGE_GE;
        else if (a.start == 1 && a.end == len && filter[0] == ':')
            m->range = RANGE_LE;
        return m->range != RANGE_NONE;
    }
    if (a.start != 0 || b.start != a.end + 1 || filter[a.end] != ':' || b.end != len ||
        !parse_int64(b.digits, &v))
        return false;
    const char *unit2;
    m->hi = measure_scale(v, b.unit, m->unit, &unit2);
    if (strcmp(unit2, m->unit) != 0)
        return false;
    m->range = RANGE_BETWEEN;
    return true;
}

static bool in_range(const tag_matcher *m, int64_t v, const char *unit)
{
    const char *su;
    double sv = measure_scale(v, unit, m->unit, &su);
    if (strcmp(su, m->unit) != 0)
        return false;
    switch (m->range) {
    case RANGE_EQ:
        return sv == m->lo;
    case RANGE_GE:
        return sv >= m->lo;
    case RANGE_LE:
        return sv <= m->lo;
    case RANGE_BETWEEN:
        return sv >= m->lo && sv <= m->hi;
    default:
        return false;
    }
}

static int compile_tag_filter(tag_matcher *m, const char *name, const char *value, cp_err *err)
{
    memset(m, 0, sizeof *m);
    if (!value || !*value)
        return 0;
    m->active = true;
    const char *eq = strchr(value, '=');
    if (eq) {
        m->key = intern(value, (size_t)(eq - value));
        value = eq + 1;
    }
    if (parse_range(value, m)) {
        fprintf(stderr, "%s:Interpreted '%s' as range, not regexp\n", name, value);
        return 0;
    }
    m->range = RANGE_NONE;
    size_t n = 1;
    for (const char *c = value; *c; c++)
        n += *c == ',';
    m->rx = xcalloc(n, sizeof *m->rx);
    char *copy = xstrdup(value), *save = NULL;
    for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        if (regex_compile(&m->rx[m->n_rx], part, name, err) != 0) {
            free(copy);
            return -1;
        }
        m->n_rx++;
    }
    free(copy);
    return 0;
}

static void tag_matcher_free(tag_matcher *m)
{
    for (size_t i = 0; i < m->n_rx; i++)
        regfree(&m->rx[i]);
    free(m->rx);
}

static bool matches_numeric(const tag_matcher *m, const cp_sample *s, const num_label_units *u)
{
    for (size_t j = 0; j < s->n_labels; j++) {
        const cp_label *l = &s->labels[j];
        if (!l->str && (!m->key || l->key == m->key) &&
            in_range(m, l->num, num_label_unit(u, l->key)))
            return true;
    }
    return false;
}

static bool matches_strings(const tag_matcher *m, const cp_sample *s)
{
    char buf[1024];
    if (m->key) { /* any expression on any of the key's values */
        for (size_t r = 0; r < m->n_rx; r++)
            for (size_t j = 0; j < s->n_labels; j++)
                if (s->labels[j].str && s->labels[j].key == m->key &&
                    regex_match(&m->rx[r], s->labels[j].str))
                    return true;
        return false;
    }
    for (size_t r = 0; r < m->n_rx; r++) { /* every expression on some "key:value" */
        bool found = false;
        for (size_t j = 0; j < s->n_labels && !found; j++) {
            if (!s->labels[j].str)
                continue;
            snprintf(buf, sizeof buf, "%s:%s", s->labels[j].key, s->labels[j].str);
            found = regex_match(&m->rx[r], buf);
        }
        if (!found)
            return false;
    }
    return true;
}

static bool tag_matches(const tag_matcher *m, const cp_sample *s, const num_label_units *u)
{
    return m->range != RANGE_NONE ? matches_numeric(m, s, u) : matches_strings(m, s);
}

/* Profile.FilterSamplesByTag */
static void filter_by_tag(cp_profile *p, const tag_matcher *focus, const tag_matcher *ignore,
                          const num_label_units *u)
{
    bool fm = false, im = false;
    size_t kept = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        bool focused = !focus->active || tag_matches(focus, s, u);
        bool ignored = ignore->active && tag_matches(ignore, s, u);
        fm |= focused;
        im |= ignored;
        if (focused && !ignored)
            p->samples[kept++] = *s;
    }
    p->n_samples = kept;
    if (focus->active && !fm)
        fprintf(stderr, "TagFocus expression matched no samples\n");
    if (ignore->active && !im)
        fprintf(stderr, "TagIgnore expression matched no samples\n");
}

/* Profile.FilterTagsByName */
static void filter_tag_names(cp_profile *p, const regex_t *show, const regex_t *hide)
{
    bool sm = false, hm = false;
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        size_t kept = 0;
        for (size_t j = 0; j < s->n_labels; j++) {
            bool match_show = !show || regex_match(show, s->labels[j].key);
            bool match_hide = hide && regex_match(hide, s->labels[j].key);
            sm |= match_show;
            hm |= match_hide;
            if (match_show && !match_hide)
                s->labels[kept++] = s->labels[j];
        }
        s->n_labels = kept;
    }
    if (show && !sm)
        fprintf(stderr, "TagShow expression matched no samples\n");
    if (hide && !hm)
        fprintf(stderr, "TagHide expression matched no samples\n");
}

int apply_tag_filters(cp_profile *p, const name_filters *f, const num_label_units *units,
                      cp_err *err)
{
    tag_matcher focus, ignore;
    regex_t show, hide;
    bool has_show = f->tagshow && *f->tagshow, has_hide = f->taghide && *f->taghide;
    int rc = -1;
    memset(&ignore, 0, sizeof ignore);
    if (compile_tag_filter(&focus, "tagfocus", f->tagfocus, err) != 0 ||
        compile_tag_filter(&ignore, "tagignore", f->tagignore, err) != 0)
        goto out;
    if (has_show && regex_compile(&show, f->tagshow, "tagshow", err) != 0)
        goto out;
    if (has_hide && regex_compile(&hide, f->taghide, "taghide", err) != 0) {
        if (has_show)
            regfree(&show);
        goto out;
    }
    if (focus.active || ignore.active)
        filter_by_tag(p, &focus, &ignore, units);
    if (has_show || has_hide)
        filter_tag_names(p, has_show ? &show : NULL, has_hide ? &hide : NULL);
    if (has_show)
        regfree(&show);
    if (has_hide)
        regfree(&hide);
    rc = 0;
out:
    tag_matcher_free(&focus);
    tag_matcher_free(&ignore);
    return rc;
}

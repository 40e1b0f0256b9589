/*
 * report_raw.c — `raw`: the profile as google/pprof's Profile.String()
 * prints it (samples with their location ids, then locations, then
 * mappings), for looking at exactly what a profile holds.
 *
 * Two Go formatting rules are reproduced by hand: time.Time.String() for
 * the Time line, and "%.4v" of a time.Duration for the Duration line, which
 * cuts Duration.String() ("16.684123s") to four characters ("16.6").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

/* time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
static void go_time(int64_t nanos, char *out, size_t cap)
{
    time_t secs = (time_t)(nanos / 1000000000);
    long frac = (long)(nanos % 1000000000);
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    struct tm tm;
    localtime_r(&secs, &tm);
    char date[64], zone[64], digits[16] = "";
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z %Z", &tm);
    if (frac) {
        snprintf(digits, sizeof digits, ".%09ld", frac);
        for (size_t n = strlen(digits); digits[n - 1] == '0'; n--)
            digits[n - 1] = 0;
    }
    if (snprintf(out, cap, "%s%s %s", date, digits, zone) >= (int)cap)
        out[cap - 1] = 0; /* cut short: still a terminated string */
}

/* u / 10^prec with the fraction's trailing zeros (and a bare '.') dropped. */
static size_t frac_str(char *out, size_t cap, uint64_t u, int prec)
{
    uint64_t p = 1;
    for (int i = 0; i < prec; i++)
        p *= 10;
    int n = snprintf(out, cap, "%" PRIu64, u / p);
    if (prec > 0 && u % p) {
        char f[24];
        if (snprintf(f, sizeof f, "%0*" PRIu64, prec, u % p) >= (int)sizeof f)
            return (size_t)n; /* prec beyond a uint64_t's digits: whole part only */
        for (size_t k = strlen(f); k > 0 && f[k - 1] == '0'; k--)
            f[k - 1] = 0;
        n += snprintf(out + n, cap - (size_t)n, ".%s", f);
    }
    return (size_t)n;
}

/* time.Duration.String() */
static void go_duration(int64_t d, char *out, size_t cap)
{
    uint64_t u = d < 0 ? -(uint64_t)d : (uint64_t)d;
    size_t n = (size_t)snprintf(out, cap, "%s", d < 0 ? "-" : "");
    if (u == 0) {
        snprintf(out, cap, "0s");
    } else if (u < 1000) {
        snprintf(out + n, cap - n, "%" PRIu64 "ns", u);
    } else if (u < 1000000) {
        n += frac_str(out + n, cap - n, u, 3);
        snprintf(out + n, cap - n, "\xc2\xb5s");
    } else if (u < 1000000000) {
        n += frac_str(out + n, cap - n, u, 6);
        snprintf(out + n, cap - n, "ms");
    } else {
        uint64_t secs = u / 1000000000, mins = secs / 60, hours = mins / 60;
        if (hours)
            n += (size_t)snprintf(out + n, cap - n, "%" PRIu64 "h", hours);
        if (mins)
            n += (size_t)snprintf(out + n, cap - n, "%" PRIu64 "m", mins % 60);
        n += frac_str(out + n, cap - n, (secs % 60) * 1000000000 + u % 1000000000, 9);
        snprintf(out + n, cap - n, "s");
    }
}

/* "%.4v": the first four characters (UTF-8 aware). */
static void first_runes(char *s, int runes)
{
    for (size_t i = 0; s[i]; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && runes-- == 0) {
            s[i] = 0;
            return;
        }
}

/* "key:[v1 v2]" per key, sorted, space-separated (labelsToString and
 * numLabelsToString). */
static void print_labels(FILE *out, const cp_sample *s, int numeric)
{
    strlist items = {0};
    buf b;
    buf_init(&b);
    size_t pos = 0, first, end;
    while (sample_label_run(s, numeric, &pos, &first, &end)) {
        bool units = false;
        for (size_t j = first; j < end; j++)
            units |= *s->labels[j].unit != 0;
        buf_reset(&b);
        buf_printf(&b, "%s:[", s->labels[first].key);
        for (size_t j = first; j < end; j++) {
            const cp_label *v = &s->labels[j];
            if (j > first)
                buf_append_byte(&b, ' ');
            if (!numeric)
                buf_append_str(&b, v->str);
            else if (units)
                buf_printf(&b, "%" PRId64 " %s", v->num, v->unit);
            else
                buf_printf(&b, "%" PRId64, v->num);
        }
        buf_append_byte(&b, ']');
        strlist_push(&items, (const char *)b.data);
    }
    buf_free(&b);
    strlist_sort(&items);
    if (items.n) {
        fprintf(out, "                ");
        for (size_t i = 0; i < items.n; i++)
            fprintf(out, "%s%s", i ? " " : "", items.v[i]);
        fputc('\n', out);
    }
    strlist_free(&items);
}

static void print_location(FILE *out, const cp_location *l)
{
    char head[96];
    int n = snprintf(head, sizeof head, "%6" PRIu64 ": 0x%" PRIx64 " ", l->id, l->address);
    if (l->mapping)
        n += snprintf(head + n, sizeof head - (size_t)n, "M=%" PRIu64 " ", l->mapping->id);
    if (l->is_folded)
        snprintf(head + n, sizeof head - (size_t)n, "[F] ");
    if (l->n_lines == 0)
        fprintf(out, "%s\n", head);
    for (size_t i = 0; i < l->n_lines; i++) {
        const cp_function *f = l->lines[i].function;
        fprintf(out, "%s%s %s:%" PRId64 " s=%" PRId64, i ? "             " : head, f->name,
                f->filename, l->lines[i].line, f->start_line);
        if (f->name != f->system_name)
            fprintf(out, "(%s)", f->system_name);
        fputc('\n', out);
    }
}

int report_raw(report *r, FILE *out, cp_err *err)
{
    (void)err;
    const cp_profile *p = r->p;
    char text[128];
    for (size_t i = 0; i < p->n_comments; i++)
        fprintf(out, "Comment: %s\n", p->comments[i]);
    fprintf(out, "PeriodType: %s %s\n", p->period_type.type, p->period_type.unit);
    fprintf(out, "Period: %" PRId64 "\n", p->period);
    if (p->time_nanos) {
        go_time(p->time_nanos, text, sizeof text);
        fprintf(out, "Time: %s\n", text);
    }
    if (p->duration_nanos) {
        go_duration(p->duration_nanos, text, sizeof text);
        first_runes(text, 4);
        fprintf(out, "Duration: %s\n", text);
    }
    fprintf(out, "Samples:\n");
    for (size_t i = 0; i < p->n_sample_types; i++)
        fprintf(out, "%s%s/%s%s", i ? " " : "", p->sample_types[i].type, p->sample_types[i].unit,
                p->sample_types[i].type == p->default_sample_type ? "[dflt]" : "");
    fputc('\n', out);
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        for (size_t v = 0; v < p->n_sample_types; v++)
            fprintf(out, " %10" PRId64, s->values[v]);
        fprintf(out, ": ");
        for (size_t j = 0; j < s->n_locs; j++)
            fprintf(out, "%" PRIu64 " ", s->locs[j]->id);
        fputc('\n', out);
        print_labels(out, s, 0);
        print_labels(out, s, 1);
    }
    fprintf(out, "Locations\n");
    for (size_t i = 0; i < p->n_locations; i++)
        print_location(out, p->locations[i]);
    fprintf(out, "Mappings\n");
    for (size_t i = 0; i < p->n_mappings; i++) {
        const cp_mapping *m = p->mappings[i];
        fprintf(out, "%" PRIu64 ": 0x%" PRIx64 "/0x%" PRIx64 "/0x%" PRIx64 " %s %s %s%s%s%s\n",
                m->id, m->start, m->limit, m->offset, m->file, m->build_id,
                m->has_functions ? "[FN]" : "", m->has_filenames ? "[FL]" : "",
                m->has_line_numbers ? "[LN]" : "", m->has_inline_frames ? "[IN]" : "");
    }
    return 0;
}

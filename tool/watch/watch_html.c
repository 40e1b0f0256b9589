/*
 * watch_html.c — `cprof watch --html FILE`: the verdict as one
 * self-contained page (inline CSS and SVG, no script, nothing fetched).
 * Each suspect gets a line chart of its series (value against seconds since
 * the first snapshot) with the Theil-Sen trend drawn over it; every name
 * from a profile is HTML-escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "watch.h"

#define CHART_W 640
#define CHART_H 200
#define PAD_L 70
#define PAD_B 24
#define PAD_T 10
#define PAD_R 10

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        const char *entity = html_entity(*s);
        if (entity)
            fputs(entity, f);
        else
            fputc(*s, f);
    }
}

static void chart(FILE *f, const watch_series *s, const watch_target *w)
{
    double tmax = w->n ? w->t[w->n - 1] : 1, vmax = 0;
    for (size_t i = 0; i < w->n; i++)
        vmax = s->v[i] > vmax ? s->v[i] : vmax;
    if (tmax <= 0)
        tmax = 1;
    if (vmax <= 0)
        vmax = 1;
    double pw = CHART_W - PAD_L - PAD_R, ph = CHART_H - PAD_T - PAD_B;
#define X(t) (PAD_L + (t) / tmax * pw)
#define Y(v) (PAD_T + ph - (v) / vmax * ph)
    fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            CHART_W, CHART_H, CHART_W, CHART_H);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PAD_L,
            PAD_T, PAD_L, CHART_H - PAD_B);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PAD_L,
            CHART_H - PAD_B, CHART_W - PAD_R, CHART_H - PAD_B);
    char top[64];
    watch_format_value(top, sizeof top, w->kind, vmax);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", PAD_L - 4, PAD_T + 10,
            top);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", PAD_L - 4,
            CHART_H - PAD_B);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0fs</text>\n", CHART_W - PAD_R,
            CHART_H - 6, tmax);
    fprintf(f, "<polyline class=\"series\" fill=\"none\" stroke=\"#c33\" stroke-width=\"2\" "
               "points=\"");
    for (size_t i = 0; i < w->n; i++)
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", X(w->t[i]), Y(s->v[i]));
    fprintf(f, "\"/>\n");
    /* The trend through the median point with the Theil-Sen slope. */
    double mid_t = tmax / 2, mid_v = (s->tr.first + s->tr.last) / 2;
    double y0 = mid_v - s->tr.slope * mid_t, y1 = mid_v + s->tr.slope * (tmax - mid_t);
    fprintf(f, "<line class=\"trend\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
               "stroke=\"#36c\" stroke-dasharray=\"4 3\"/>\n",
            X(0.0), Y(y0 < 0 ? 0 : y0), X(tmax), Y(y1 > vmax ? vmax : y1));
    fprintf(f, "</svg>\n");
#undef X
#undef Y
}

static void frames(FILE *f, const char *title, const strlist *l)
{
    if (!l->n)
        return;
    fprintf(f, "<p>%s</p>\n<pre>", title);
    for (size_t i = 0; i < l->n; i++) {
        put_escaped(f, l->v[i]);
        fputc('\n', f);
    }
    fprintf(f, "</pre>\n");
}

static void suspect(FILE *f, size_t rank, const watch_series *s, const watch_target *w)
{
    char rate[64], first[64], last[64];
    watch_format_rate(rate, sizeof rate, w->kind, s->tr.slope);
    watch_format_value(first, sizeof first, w->kind, s->tr.first);
    watch_format_value(last, sizeof last, w->kind, s->tr.last);
    fprintf(f, "<section class=\"suspect\">\n<h2>Leak %zu: %s ", rank, watch_kind_name(w->kind));
    put_escaped(f, rate);
    if (s->tr.never_freed)
        fprintf(f, "</h2>\n<p>%s &rarr; %s, never freed, %zu sampled blocks kept</p>\n", first,
                last, s->tr.steps);
    else
        fprintf(f, "</h2>\n<p>%s &rarr; %s, trend z=%.1f</p>\n", first, last, s->tr.z);
    chart(f, s, w);
    frames(f, w->kind == WATCH_THREADS ? "Where the threads wait:" : "Where the memory is allocated:",
           &s->frames);
    frames(f, "Created by:", &s->creator);
    if (w->kind == WATCH_HEAP && s->old_bytes >= 0 && w->min_age > 0) {
        char old[64];
        watch_format_value(old, sizeof old, w->kind, s->old_bytes);
        fprintf(f, "<p>Second opinion: %s in use allocated more than %ds ago.</p>\n", old,
                w->min_age);
    }
    fprintf(f, "</section>\n");
}

int watch_write_html(const char *path, watch_target *ws, size_t n, const watch_opts *o,
                     cp_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        cp_err_set(err, "--html %s: cannot create: %m", path);
        return -1;
    }
    (void)o;
    size_t m;
    watch_target **own;
    watch_series **sus = watch_suspects(ws, n, &m, &own);
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
               "<title>cprof watch</title>\n<style>\n"
               "body{font-family:sans-serif;margin:2em;max-width:60em}\n"
               "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}\n"
               "svg text{font-size:11px;fill:#444}\n.suspect{margin-bottom:2em}\n"
               "</style></head><body>\n<h1>cprof watch</h1>\n<p>Watched:");
    for (size_t i = 0; i < n; i++) {
        fputc(' ', f);
        put_escaped(f, ws[i].url ? ws[i].url : watch_kind_name(ws[i].kind));
    }
    fprintf(f, "</p>\n<p class=\"verdict\">%s</p>\n",
            m ? "Verdict: leak found." : "Verdict: no leak.");
    for (size_t i = 0; i < m; i++)
        suspect(f, i + 1, sus[i], own[i]);
    fprintf(f, "</body></html>\n");
    free(sus);
    free(own);
    if (fclose(f) != 0) {
        cp_err_set(err, "--html %s: write failed: %m", path);
        return -1;
    }
    fprintf(stderr, "Wrote %s\n", path);
    return 0;
}

/*
 * prom_text.c — the Prometheus text exposition format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats): pure string
 * building into a buf, so the unit tests check it byte for byte.
 *
 * Escaping follows the format: in HELP text backslash and newline become
 * \\ and \n; in label values backslash, double quote and newline become
 * \\, \" and \n. Metric and label names are the caller's constants and are
 * written as they are. Values: Go's client prints float64 with
 * strconv.FormatFloat(v, 'g', -1, 64); here whole numbers below 2^53 print
 * as integers (what a counter of bytes looks like) and the rest as the
 * shortest %g text that reads back to the same double.
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append s with the characters of `special` escaped by a backslash and a
 * newline as \n. */
static void append_escaped(buf *out, const char *s, const char *special)
{
    for (; *s; s++) {
        if (*s == '\n') {
            buf_append_str(out, "\\n");
        } else {
            if (strchr(special, *s))
                buf_append_byte(out, '\\');
            buf_append_byte(out, (uint8_t)*s);
        }
    }
}

/* Writes HELP and TYPE lines into out; nothing returned, out->oom on
 * failure. */
void prom_family(buf *out, const char *name, prom_type type, const char *help)
{
    buf_printf(out, "# HELP %s ", name);
    append_escaped(out, help, "\\");
    buf_printf(out, "\n# TYPE %s %s\n", name, type == PROM_COUNTER ? "counter" : "gauge");
}

/* Appends the value as the format spells it: the shortest %g text that
 * reads back to the same double, as Go's FormatFloat(v, 'g', -1, 64). */
static void append_value(buf *out, double v)
{
    if (isnan(v))
        buf_append_str(out, "NaN");
    else if (isinf(v))
        buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        buf_printf(out, "%.0f", v);
    else {
        char text[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(text, sizeof text, "%.*g", prec, v);
            if (strtod(text, NULL) == v)
                break;
        }
        buf_append_str(out, text);
    }
}

/* Writes one sample line into out; out->oom on failure. */
void prom_sample(buf *out, const char *name, const prom_label *labels, size_t n_labels,
                 double value)
{
    buf_append_str(out, name);
    if (n_labels > 0) {
        buf_append_byte(out, '{');
        for (size_t i = 0; i < n_labels; i++) {
            buf_printf(out, "%s%s=\"", i ? "," : "", labels[i].name);
            append_escaped(out, labels[i].value ? labels[i].value : "", "\\\"");
            buf_append_byte(out, '"');
        }
        buf_append_byte(out, '}');
    }
    buf_append_byte(out, ' ');
    append_value(out, value);
    buf_append_byte(out, '\n');
}

/* prom_family then one unlabelled prom_sample. */
void prom_single(buf *out, const char *name, prom_type type, const char *help, double value)
{
    prom_family(out, name, type, help);
    prom_sample(out, name, NULL, 0, value);
}

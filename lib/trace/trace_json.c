/*
 * trace_json.c — the Chrome Trace Event JSON writer: the object form
 * ({"traceEvents": [...], "displayTimeUnit": ..., "otherData": {...}}),
 * which Perfetto UI, chrome://tracing and speedscope all read.
 *
 * Pure (no clock, no symbols): the timeline hands it finished events.
 * Timestamps and durations are microseconds (the format's unit) written as
 * decimals with three places, so nanosecond order survives. Strings are
 * escaped as RFC 8259 asks; a byte that is not part of valid UTF-8 (a C
 * program's thread or span name may hold anything) is written as \u00XX, so
 * the document is always valid JSON and valid UTF-8.
 */
#include "trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong, or a surrogate */
    if (n == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* Appends s quoted and escaped (see the file's notes); NULL as "". */
void trace_json_string(buf *b, const char *s)
{
    buf_append_byte(b, '"');
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned c = *p;
        size_t n = utf8_len(p);
        if (c == '"' || c == '\\') {
            buf_append_byte(b, '\\');
            buf_append_byte(b, (uint8_t)c);
        } else if (c == '\n') {
            buf_append_str(b, "\\n");
        } else if (c == '\t') {
            buf_append_str(b, "\\t");
        } else if (c < 0x20 || c == 0x7F || n == 0) {
            buf_printf(b, "\\u%04x", c);
            n = 1;
        } else {
            buf_append(b, p, n);
            p += n;
            continue;
        }
        p += n ? n : 1;
    }
    buf_append_byte(b, '"');
}

/* ns as microseconds with three decimals ("-" for negatives). */
static void append_us(buf *b, int64_t ns)
{
    uint64_t a = ns < 0 ? (uint64_t)-ns : (uint64_t)ns;
    buf_printf(b, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", a / 1000, a % 1000);
}

/* Opens the document; other is otherData's members ("" for none). */
void trace_json_begin(trace_json *j, buf *out, const char *other)
{
    j->out = out;
    j->n_events = 0;
    buf_printf(out, "{\"displayTimeUnit\":\"ms\",\"otherData\":{%s},\"traceEvents\":[\n",
               other ? other : "");
}

/* Appends one event object (comma-separated, one a line). */
void trace_json_event_write(trace_json *j, const trace_json_event *e)
{
    buf *b = j->out;
    if (j->n_events++)
        buf_append_str(b, ",\n");
    buf_printf(b, "{\"ph\":\"%c\",\"name\":", e->ph);
    trace_json_string(b, e->name);
    if (e->cat) {
        buf_append_str(b, ",\"cat\":");
        trace_json_string(b, e->cat);
    }
    buf_printf(b, ",\"pid\":%d,\"tid\":%d,\"ts\":", e->pid, e->tid);
    append_us(b, e->ph == 'M' ? 0 : e->ts_ns);
    if (e->ph == 'X') {
        buf_append_str(b, ",\"dur\":");
        append_us(b, e->dur_ns < 0 ? 0 : e->dur_ns);
    }
    if (e->ph == 'i')
        buf_printf(b, ",\"s\":\"%c\"", e->scope ? e->scope : 't');
    if (e->args) {
        buf_append_str(b, ",\"args\":");
        buf_append_str(b, e->args);
    }
    buf_append_byte(b, '}');
}

/* Closes the events array and the document. */
void trace_json_end(trace_json *j)
{
    buf_append_str(j->out, "\n]}\n");
}

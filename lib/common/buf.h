/*
 * buf.h — a growable byte buffer, the one output type of every encoder.
 *
 * Invariant: after any failed growth `oom` is set and later appends are
 * no-ops, so callers check once at the end instead of after every append.
 * data is always NUL-terminated when len < cap (handy for text replies).
 * Only for profiler threads: never call from a malloc hook or signal handler.
 */
#ifndef CPROF_BUF_H
#define CPROF_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int oom;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reset(buf *b);
int buf_reserve(buf *b, size_t extra);

/* Room for one more element in a growable array *v of n used and *cap
 * allocated elements of elem_size bytes (doubling, 64 at first); *v is
 * realloc'd, the caller frees it. 0 on success, -1 (nothing changed) when
 * out of memory. */
int array_grow(void **v, size_t *cap, size_t n, size_t elem_size);
void buf_append(buf *b, const void *data, size_t len);
void buf_append_str(buf *b, const char *s);
void buf_append_byte(buf *b, uint8_t byte);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a whole file (read to EOF: /proc files report size 0). Returns 0,
 * or -1 when it cannot be opened or read (what was read stays appended). */
int buf_append_file(buf *b, const char *path);
/* The HTML/XML entity that stands for c (& < > " '), or NULL when c stands
 * for itself: one table for every page and SVG cprof writes (the index page,
 * the web UI, flame graphs, the watch report). */
const char *html_entity(char c);
/* n bytes in words into text: "2 GiB", "512 MiB", or "1000 bytes" (exact
 * multiples only, for limits in messages). */
void size_words(size_t n, char *text, size_t cap);
/* Append at most max_bytes of s (stopping at its NUL), HTML-escaped. */
void buf_append_html(buf *b, const char *s, size_t max_bytes);
/* Detach the data (caller frees it); the buffer is left empty. */
uint8_t *buf_steal(buf *b, size_t *len);

#endif

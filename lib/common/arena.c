/*
 * arena.c — chunked bump allocator (see arena.h).
 *
 * Chunks grow geometrically (64 KiB up to 8 MiB); a request larger than a
 * chunk gets a chunk of its own, so big arrays never waste a whole chunk.
 * Chunks come from calloc and memory is never handed out twice, so every
 * allocation is already zero: no memset per allocation (fresh pages from
 * the kernel are zero, and calloc knows it; clearing them again cost a
 * tenth of a large report's time).
 * Every size computation is overflow-checked: counts come from untrusted
 * profile data.
 * Huge pages: a process that opts in (arena_set_huge_pages: the cprof tool;
 * never the library's host) has its large chunks and hash-table slot
 * arrays marked MADV_HUGEPAGE before they are touched. A large profile's
 * decoding is bound by page faults and TLB misses on those (random lookups
 * into tens of megabytes); one fault per 2 MiB instead of 512 cut the
 * tool's CPU time by a fifth.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct arena_chunk {
    arena_chunk *next;
    max_align_t data[];
};

#define ARENA_MIN_CHUNK ((size_t)64 << 10)
#define ARENA_MAX_CHUNK ((size_t)8 << 20)
#define ARENA_ALIGN (sizeof(max_align_t))

static void (*oom_handler)(void);
static bool huge_pages;

/* Opt this process in (or out) of the huge-page hint (see the top). */
void arena_set_huge_pages(bool on)
{
    huge_pages = on;
}

/* Mark the 2 MiB-aligned part of [p, p + n) for transparent huge pages
 * when the process opted in; a hint: failure (no THP, old kernel) changes
 * nothing. */
void memory_hint_huge(void *p, size_t n)
{
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (!huge_pages || n < 2 * huge)
        return;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + n) & ~(huge - 1);
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

/* Install handler for die_oom (NULL restores the default). */
void arena_set_oom_handler(void (*handler)(void))
{
    oom_handler = handler;
}

/* Never returns: the installed handler (which must not return either), or
 * one stderr line and exit(1). */
void die_oom(void)
{
    if (oom_handler)
        oom_handler();
    fputs("cprof: out of memory\n", stderr);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom();
    return p;
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        die_oom();
    return p;
}

void *xrealloc(void *p, size_t n, size_t sz)
{
    if (sz && n > SIZE_MAX / sz)
        die_oom();
    size_t bytes = n * sz;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        die_oom();
    return q;
}

char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die_oom();
    return d;
}

/* htab_xalloc's two halves: xcalloc (fatal on failure) and free. */
static void *htab_xcalloc(size_t n, size_t sz, void *ctx)
{
    (void)ctx;
    void *p = xcalloc(n, sz);
    memory_hint_huge(p, n * sz);
    return p;
}

static void htab_xfree(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

const htab_alloc htab_xalloc = {htab_xcalloc, htab_xfree, NULL};

void arena_init(arena *a)
{
    memset(a, 0, sizeof *a);
}

void arena_free(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    arena_init(a);
}

static void arena_grow(arena *a, size_t need)
{
    size_t cap = a->cap ? a->cap * 2 : ARENA_MIN_CHUNK;
    if (cap > ARENA_MAX_CHUNK)
        cap = ARENA_MAX_CHUNK;
    if (cap < need)
        cap = need;
    if (cap > SIZE_MAX - sizeof(arena_chunk))
        die_oom();
    arena_chunk *c = xcalloc(1, sizeof *c + cap);
    memory_hint_huge(c, sizeof *c + cap);
    c->next = a->head;
    a->head = c;
    a->cap = cap;
    a->used = 0;
}

void *arena_alloc(arena *a, size_t n, size_t sz)
{
    if (sz && n > (SIZE_MAX - ARENA_ALIGN) / sz)
        die_oom();
    size_t bytes = (n * sz + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (bytes == 0)
        bytes = ARENA_ALIGN;
    if (!a->head || a->cap - a->used < bytes)
        arena_grow(a, bytes);
    void *p = (char *)a->head->data + a->used;
    a->used += bytes; /* zero: see the top of the file */
    return p;
}

void *arena_dup(arena *a, const void *src, size_t n, size_t sz)
{
    if (n == 0)
        return NULL;
    void *p = arena_alloc(a, n, sz);
    memcpy(p, src, n * sz);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t len)
{
    char *d = arena_alloc(a, len + 1, 1);
    memcpy(d, s, len);
    return d;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *s = arena_alloc(a, (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

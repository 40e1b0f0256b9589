/*
 * arena.h — bump allocation for everything a profile or a graph owns.
 *
 * A profile, its merged copies and each report graph live in one arena and
 * die together, so no structure needs its own free function and filters can
 * replace arrays without tracking who still points at the old ones.
 * Allocation failure goes to one handler that never returns. The tool's is
 * the default (print one line and exit: a CLI that runs out of memory
 * cannot do anything useful with a half-built model). The library, which
 * must never exit its host, installs one that unwinds the request that ran
 * out (lib/http/http_merge.c): arena_set_oom_handler.
 */
#ifndef CPROF_ARENA_H
#define CPROF_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "hash_table.h"

typedef struct arena_chunk arena_chunk;
typedef struct arena {
    arena_chunk *head;
    size_t used, cap; /* within head */
} arena;

void arena_init(arena *a);
void arena_free(arena *a);
/* Zeroed memory for n objects of size sz, aligned for any type. */
void *arena_alloc(arena *a, size_t n, size_t sz);
/* Copy of n objects of size sz (n may be 0: returns NULL). */
void *arena_dup(arena *a, const void *src, size_t n, size_t sz);
char *arena_strndup(arena *a, const char *s, size_t len);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Out-of-memory report shared by every allocator here: calls the handler
 * (which must not return; longjmp is fine), else prints one line and exits. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n, size_t sz);
char *xstrdup(const char *s);
__attribute__((noreturn)) void die_oom(void);
/* Replace the out-of-memory handler (NULL: the default, exit). Process-wide;
 * set once before any allocation from another thread. */
void arena_set_oom_handler(void (*handler)(void));
/* Large chunks and slot arrays (and what memory_hint_huge is given) use
 * transparent huge pages when on (default off: the library's host decides
 * its own memory policy). Process-wide; set once at start. */
void arena_set_huge_pages(bool on);
/* Ask for huge pages over [p, p + n), fresh untouched memory, when on and
 * n is large; a hint only. */
void memory_hint_huge(void *p, size_t n);
/* Hash tables over this kit take their slots from xcalloc: htab_init(&t,
 * &htab_xalloc), and htab_insert never fails. */
extern const htab_alloc htab_xalloc;

#endif

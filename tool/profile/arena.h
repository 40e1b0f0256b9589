/*
 * arena.h — bump allocation for everything a profile or a graph owns.
 *
 * A profile, its merged copies and each report graph live in one arena and
 * die together, so no structure needs its own free function and filters can
 * replace arrays without tracking who still points at the old ones.
 * Allocation failure is fatal (the tool prints one line and exits): a CLI
 * that runs out of memory cannot do anything useful with a half-built model.
 */
#ifndef CPROF_TOOL_ARENA_H
#define CPROF_TOOL_ARENA_H

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

/* Fatal out-of-memory report shared by every allocator in the tool. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n, size_t sz);
char *xstrdup(const char *s);
__attribute__((noreturn)) void die_oom(void);
/* The tool's hash tables take their slots from xcalloc: htab_init(&t,
 * &htab_xalloc), and htab_insert never fails. */
extern const htab_alloc htab_xalloc;

#endif

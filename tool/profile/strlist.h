/*
 * strlist.h — a growable list of owned strings: the tool's small kit for
 * header lines, frames, sources and filters. It sits with the profile
 * model's other plumbing (arena.h) at the bottom of the tool, so every
 * layer above (report, watch, web, the driver) can use it without
 * depending on one another.
 */
#ifndef CPROF_TOOL_STRLIST_H
#define CPROF_TOOL_STRLIST_H

#include <stddef.h>

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

/* Append a copy of s (the list owns it). A zeroed strlist is empty. */
void strlist_push(strlist *l, const char *s);
/* Append the formatted string (the list owns it). */
void strlist_pushf(strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sort in place by strcmp. */
void strlist_sort(strlist *l);
/* Free every string and the array; l is empty (zeroed) again. */
void strlist_free(strlist *l);

#endif

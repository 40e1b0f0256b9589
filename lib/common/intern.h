/*
 * intern.h — the tool's string interner.
 *
 * Every string in a decoded profile is interned, so two strings are equal
 * exactly when their pointers are equal. One interner per process, not
 * thread-safe: the tool uses it from one thread; the library only from the
 * request doing a ?pid=all merge, one at a time (lib/http/http_merge.c),
 * which empties it afterwards (intern_reset). That makes node
 * identities and merge keys cheap to hash (hash_ptr) and compare.
 */
#ifndef CPROF_INTERN_H
#define CPROF_INTERN_H

#include <stddef.h>

/* Interned copy of s[0..len) (NUL-terminated; embedded NULs end the C view
 * of the string but the interned identity uses all len bytes). Valid for
 * the whole run (the tool) or until intern_reset (the library). */
const char *intern(const char *s, size_t len);
/* intern of a C string; NULL reads as "" (STR_EMPTY). */
const char *intern_cstr(const char *s);
/* The interned empty string: every absent or empty string is this pointer. */
extern const char *const STR_EMPTY;

/* Free every interned string: no pointer intern returned may be used after.
 * For the library, which keeps no profile between requests. */
void intern_reset(void);
/* In a forked child (async-signal-safe: stores only): forget the table
 * without freeing it, since the fork may have caught it mid-update. */
void intern_abandon(void);

#endif

/*
 * intern.h — the tool's string interner.
 *
 * Every string in a decoded profile is interned, so within the tool two
 * strings are equal exactly when their pointers are equal. That makes node
 * identities and merge keys cheap to hash (hash_ptr) and compare.
 */
#ifndef CPROF_TOOL_INTERN_H
#define CPROF_TOOL_INTERN_H

#include <stddef.h>

/* Interned copy of s[0..len) (NUL-terminated; embedded NULs end the C view
 * of the string but the interned identity uses all len bytes). Valid for
 * the whole run; never freed. */
const char *intern(const char *s, size_t len);
/* intern of a C string; NULL reads as "" (STR_EMPTY). */
const char *intern_cstr(const char *s);
/* The interned empty string: every absent or empty string is this pointer. */
extern const char *const STR_EMPTY;

#endif

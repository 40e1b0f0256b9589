/*
 * htab.h — a small open-addressing hash table, and the string interner.
 *
 * Why our own: the tool keys tables by structs (graph node identities,
 * (src, dest) edge pairs, merge keys), which hsearch_r (string keys only, no
 * growth) cannot do, and tsearch would make every lookup O(log n) with a
 * malloc per node. The table stores item pointers with their hash; callers
 * supply the equality test at lookup, so one table type serves every key.
 *
 * Interning: every string in a decoded profile is interned, so within the
 * tool two strings are equal exactly when their pointers are equal. That
 * makes node identities and merge keys cheap to hash and compare.
 */
#ifndef CPROF_TOOL_HTAB_H
#define CPROF_TOOL_HTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct htab {
    uint64_t *hashes; /* 0 marks an empty slot; stored hashes are never 0 */
    void **items;
    size_t cap, len; /* cap is a power of two (or 0) */
} htab;

typedef int (*htab_eq_fn)(const void *key, const void *item);

void htab_init(htab *t);
void htab_free(htab *t);
/* The item equal to key under eq, or NULL. */
void *htab_find(const htab *t, uint64_t hash, htab_eq_fn eq, const void *key);
/* Adds item; the caller has checked it is not present. */
void htab_insert(htab *t, uint64_t hash, void *item);

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}
static inline uint64_t hash_ptr(uint64_t h, const void *p)
{
    return hash_mix(h, (uintptr_t)p);
}

/* Interned copy of s[0..len) (NUL-terminated; embedded NULs end the C view
 * of the string but the interned identity uses all len bytes). */
const char *intern(const char *s, size_t len);
const char *intern_cstr(const char *s);
/* The interned empty string: every absent or empty string is this pointer. */
extern const char *const STR_EMPTY;

#endif

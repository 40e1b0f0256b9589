/*
 * htab.c — open addressing with linear probing (see htab.h).
 *
 * Load factor stays below 1/2, so probes are short and an empty slot always
 * exists; the table only grows (the tool never deletes keys: filters build
 * new structures instead). The interner keeps its strings in a process-wide
 * arena that is never freed: interned pointers must stay valid for the
 * whole run, across every profile and graph.
 */
#include "htab.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"

void htab_init(htab *t)
{
    memset(t, 0, sizeof *t);
}

void htab_free(htab *t)
{
    free(t->hashes);
    free(t->items);
    htab_init(t);
}

static uint64_t nonzero(uint64_t h)
{
    return h ? h : 1;
}

void *htab_find(const htab *t, uint64_t hash, htab_eq_fn eq, const void *key)
{
    if (!t->cap)
        return NULL;
    hash = nonzero(hash);
    size_t mask = t->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        if (t->hashes[i] == 0)
            return NULL;
        if (t->hashes[i] == hash && eq(key, t->items[i]))
            return t->items[i];
    }
}

static void place(uint64_t *hashes, void **items, size_t cap, uint64_t hash, void *item)
{
    size_t mask = cap - 1;
    size_t i = hash & mask;
    while (hashes[i] != 0)
        i = (i + 1) & mask;
    hashes[i] = hash;
    items[i] = item;
}

static void grow(htab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16;
    uint64_t *hashes = xcalloc(cap, sizeof *hashes);
    void **items = xcalloc(cap, sizeof *items);
    for (size_t i = 0; i < t->cap; i++)
        if (t->hashes[i])
            place(hashes, items, cap, t->hashes[i], t->items[i]);
    free(t->hashes);
    free(t->items);
    t->hashes = hashes;
    t->items = items;
    t->cap = cap;
}

void htab_insert(htab *t, uint64_t hash, void *item)
{
    if ((t->len + 1) * 2 > t->cap)
        grow(t);
    place(t->hashes, t->items, t->cap, nonzero(hash), item);
    t->len++;
}

/* FNV-1a, then a final mix so the low bits (the slot index) are good. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return hash_mix(h, n);
}

/* ---- interning ---------------------------------------------------------- */

typedef struct interned {
    size_t len;
    char s[];
} interned;

static htab intern_table;
static arena intern_arena;
const char *const STR_EMPTY = "";

typedef struct {
    const char *s;
    size_t len;
} str_key;

static int interned_eq(const void *key, const void *item)
{
    const str_key *k = key;
    const interned *in = item;
    return in->len == k->len && memcmp(in->s, k->s, k->len) == 0;
}

const char *intern(const char *s, size_t len)
{
    if (len == 0)
        return STR_EMPTY;
    str_key k = {s, len};
    uint64_t h = hash_bytes(s, len, 0);
    interned *in = htab_find(&intern_table, h, interned_eq, &k);
    if (in)
        return in->s;
    in = arena_alloc(&intern_arena, 1, sizeof *in + len + 1);
    in->len = len;
    memcpy(in->s, s, len);
    in->s[len] = 0;
    htab_insert(&intern_table, h, in);
    return in->s;
}

const char *intern_cstr(const char *s)
{
    return s ? intern(s, strlen(s)) : STR_EMPTY;
}

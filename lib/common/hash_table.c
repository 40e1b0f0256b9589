/*
 * hash_table.c — open addressing with linear probing (see hash_table.h).
 *
 * The load factor stays at or below 1/2, so probes are short and an empty
 * slot always exists (every probe loop ends). The table only grows: no user
 * deletes keys (they rebuild instead), so there are no tombstones.
 */
#include "hash_table.h"

#include <stdlib.h>
#include <string.h>

#define HTAB_MIN_CAP 16

/* The default allocator: calloc/free (ctx unused). */
static void *libc_zalloc(size_t n, size_t sz, void *ctx)
{
    (void)ctx;
    return calloc(n, sz);
}

static void libc_release(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

static const htab_alloc libc_alloc = {libc_zalloc, libc_release, NULL};

/* The table's allocator, the default when it was given none. */
static const htab_alloc *alloc_of(const htab *t)
{
    return t->alloc ? t->alloc : &libc_alloc;
}

void htab_init(htab *t, const htab_alloc *alloc)
{
    memset(t, 0, sizeof *t);
    t->alloc = alloc;
}

void htab_free(htab *t)
{
    const htab_alloc *a = alloc_of(t);
    if (t->slots)
        a->release(t->slots, a->ctx);
    htab_init(t, t->alloc);
}

void **htab_find_slot(const htab *t, uint64_t hash, htab_eq_fn eq, const void *key)
{
    if (!t->cap)
        return NULL;
    hash = htab_stored_hash(hash);
    size_t mask = t->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        htab_slot *s = &t->slots[i];
        if (s->hash == 0)
            return NULL;
        if (s->hash == hash && eq(key, s->item))
            return &s->item;
    }
}

void *htab_find(const htab *t, uint64_t hash, htab_eq_fn eq, const void *key)
{
    void **slot = htab_find_slot(t, hash, eq, key);
    return slot ? *slot : NULL;
}

/* Put (hash, item) in the first empty slot of its probe sequence. */
static void place(htab_slot *slots, size_t cap, uint64_t hash, void *item)
{
    size_t mask = cap - 1;
    size_t i = hash & mask;
    while (slots[i].hash != 0)
        i = (i + 1) & mask;
    slots[i].hash = hash;
    slots[i].item = item;
}

/* Grow the slot array to cap slots (a power of two, larger than now) and
 * re-place every item; 0, or -1 with the table unchanged. */
static int grow_to(htab *t, size_t cap)
{
    const htab_alloc *a = alloc_of(t);
    if (cap > SIZE_MAX / sizeof(htab_slot))
        return -1;
    htab_slot *slots = a->zalloc(cap, sizeof *slots, a->ctx);
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].hash)
            place(slots, cap, t->slots[i].hash, t->slots[i].item);
    if (t->slots)
        a->release(t->slots, a->ctx);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* Double the slot array (first: HTAB_MIN_CAP); 0, or -1 with the table
 * unchanged. */
static int grow(htab *t)
{
    size_t cap = t->cap ? t->cap * 2 : HTAB_MIN_CAP;
    if (cap < t->cap)
        return -1;
    return grow_to(t, cap);
}

int htab_reserve(htab *t, size_t n)
{
    size_t cap = t->cap ? t->cap : HTAB_MIN_CAP;
    if (n > SIZE_MAX / 4)
        return -1;
    while (n * 2 > cap)
        cap *= 2;
    return cap == t->cap ? 0 : grow_to(t, cap);
}

int htab_insert(htab *t, uint64_t hash, void *item)
{
    if ((t->len + 1) * 2 > t->cap && grow(t) != 0)
        return -1;
    place(t->slots, t->cap, htab_stored_hash(hash), item);
    t->len++;
    return 0;
}

void **htab_next(const htab *t, size_t *cursor)
{
    for (size_t i = *cursor; i < t->cap; i++) {
        if (t->slots[i].hash) {
            *cursor = i + 1;
            return &t->slots[i].item;
        }
    }
    *cursor = t->cap;
    return NULL;
}

/*
 * hash_table.h — the one general-purpose hash table of the library and the
 * tool: open addressing with linear probing over (hash, item) slots.
 *
 * Items are opaque to the table: a pointer to the caller's record, or an
 * index into the caller's array (htab_index_item). The caller computes the
 * hash (hash.h) and supplies the equality test at lookup, so one table type
 * serves every key: strings, addresses, stacks, structs. A slot is empty
 * when its stored hash is 0 (hashes are stored with 0 mapped to 1), so any
 * item value, NULL or index 0 included, can be stored.
 *
 * Memory: the slot array comes from an allocator the caller picks at
 * htab_init (htab_alloc; NULL means calloc/free), so the tool can make
 * out-of-memory fatal while the library gets -1 back and degrades. A zeroed
 * htab is a valid empty table with the calloc/free allocator.
 *
 * Not thread-safe and not for signal handlers or malloc hooks: inserting
 * may allocate. The lock-free collector tables (heap/heap_live.c,
 * heap/heap_sampler.c) stay specialised for that reason.
 */
#ifndef CPROF_HASH_TABLE_H
#define CPROF_HASH_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Where slot arrays come from. zalloc returns zeroed memory for n objects
 * of size sz, or NULL; release frees what zalloc returned. */
typedef struct htab_alloc {
    void *(*zalloc)(size_t n, size_t sz, void *ctx);
    void (*release)(void *p, void *ctx);
    void *ctx;
} htab_alloc;

typedef struct htab_slot {
    uint64_t hash; /* 0 = empty */
    void *item;
} htab_slot;

typedef struct htab {
    htab_slot *slots;
    size_t cap, len;         /* cap is a power of two, or 0 before the first insert */
    const htab_alloc *alloc; /* NULL = calloc/free */
} htab;

/* key is what the caller passed to htab_find; item a stored item. Returns
 * nonzero when they are equal. */
typedef int (*htab_eq_fn)(const void *key, const void *item);

/* An empty table whose slots come from alloc (NULL: calloc/free; alloc must
 * outlive the table). Allocates nothing yet. */
void htab_init(htab *t, const htab_alloc *alloc);
/* Release the slot array (not the items: they are the caller's); the table
 * is left empty and usable. */
void htab_free(htab *t);
/* The stored item equal to key under eq among those stored with this hash,
 * or NULL when there is none (so a NULL item is indistinguishable from
 * absence: store non-NULL items, or use htab_find_slot). */
void *htab_find(const htab *t, uint64_t hash, htab_eq_fn eq, const void *key);
/* Like htab_find, but the address of the matching item inside the table
 * (valid until the next insert), or NULL when absent. */
void **htab_find_slot(const htab *t, uint64_t hash, htab_eq_fn eq, const void *key);
/* Add item under hash; the caller has checked no equal item is present.
 * Returns 0, or -1 when the slot array could not grow (the table is then
 * unchanged). Never fails while len + 1 <= cap / 2. */
int htab_insert(htab *t, uint64_t hash, void *item);

/* The hash as stored in a slot: 0 marks an empty slot, so a real 0 is 1. */
static inline uint64_t htab_stored_hash(uint64_t hash)
{
    return hash ? hash : 1;
}

/* Hints for batched lookups (a lookup in a large table misses the cache):
 * htab_prefetch brings in the slot where hash's probe starts; later, once
 * that has arrived, htab_prefetch_item brings in the item stored there
 * when it is a pointer stored under the same hash (two lines of it).
 * Neither reads anything but the slot; both are only hints. */
static inline void htab_prefetch(const htab *t, uint64_t hash)
{
    if (t->cap)
        __builtin_prefetch(&t->slots[htab_stored_hash(hash) & (t->cap - 1)]);
}
static inline void htab_prefetch_item(const htab *t, uint64_t hash)
{
    if (!t->cap)
        return;
    hash = htab_stored_hash(hash);
    const htab_slot *s = &t->slots[hash & (t->cap - 1)];
    if (s->hash == hash) {
        __builtin_prefetch(s->item);
        __builtin_prefetch((const char *)s->item + 64);
    }
}

/* Grow the slot array now so that n items in all fit without growing
 * again (one allocation instead of a doubling per power of two, each
 * placing every item anew). Returns 0, or -1 when it could not grow (the
 * table is then unchanged). */
int htab_reserve(htab *t, size_t n);

/* Iteration in slot order (not insertion order):
 *     size_t cursor = 0;
 *     for (void **it; (it = htab_next(t, &cursor));) use(*it);
 * Returns the address of the next item (the caller may update it in place)
 * or NULL at the end. The table must not be inserted into meanwhile. */
void **htab_next(const htab *t, size_t *cursor);

/* Items that are indexes into the caller's array rather than pointers. */
static inline void *htab_index_item(size_t index)
{
    return (void *)(uintptr_t)index;
}
static inline size_t htab_item_index(const void *item)
{
    return (size_t)(uintptr_t)item;
}

#endif

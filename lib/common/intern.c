/*
 * intern.c — the string interner (see intern.h).
 *
 * The interned strings live in a process-wide arena that the tool never
 * frees: interned pointers must stay valid for the whole run, across every
 * profile and graph. The library frees it after each merge (intern_reset). The index is the common
 * kit's hash table (hash_table.h).
 */
#include "intern.h"

#include <string.h>

#include "arena.h"
#include "hash.h"
#include "hash_table.h"

typedef struct interned {
    size_t len;
    char s[];
} interned;

static htab intern_table = {.alloc = &htab_xalloc};
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

/* Free the table's slots and the strings' arena; the interner is empty. */
void intern_reset(void)
{
    htab_free(&intern_table);
    intern_table = (htab){.alloc = &htab_xalloc};
    arena_free(&intern_arena);
}

/* Drop the references to the table and arena (their memory leaks, once per
 * fork during a merge at most). */
void intern_abandon(void)
{
    intern_table = (htab){.alloc = &htab_xalloc};
    intern_arena = (arena){0};
}

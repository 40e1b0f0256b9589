/*
 * hash.h — the one definition of the hash functions of the library and the
 * tool: FNV-1a (64-bit, and the 32-bit form the flame graph colours come
 * from) and a 64-bit finaliser for integer and pointer keys.
 *
 * Everything here is static inline, allocation-free and async-signal-safe,
 * so the stack tables of the collectors can use it too. FNV-1a alone has
 * weak low bits for short keys; tables that index with the low bits
 * (hash_table.h) take hash_bytes or hash_str, which add the final mix.
 */
#ifndef CPROF_HASH_H
#define CPROF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV64_OFFSET 0xcbf29ce484222325ull /* 14695981039346656037 */
#define HASH_FNV64_PRIME 0x100000001b3ull       /* 1099511628211 */
#define HASH_FNV32_OFFSET 2166136261u
#define HASH_FNV32_PRIME 16777619u

/* FNV-1a over n bytes, starting from the offset basis xor seed. Unmixed:
 * see the top comment. */
static inline uint64_t hash_fnv1a(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = HASH_FNV64_OFFSET ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= HASH_FNV64_PRIME;
    }
    return h;
}

/* 32-bit FNV-1a of a NUL-terminated string (stable across runs and
 * machines: the flame graph keys its colours by it). */
static inline uint32_t hash_fnv1a32_str(const char *s)
{
    uint32_t h = HASH_FNV32_OFFSET;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * HASH_FNV32_PRIME;
    return h;
}

/* Fold v into h and mix (boost's hash_combine, then splitmix64's
 * finaliser): every input bit reaches the low bits tables index with. */
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}

/* Fold a pointer's value (its identity, not what it points to) into h. */
static inline uint64_t hash_ptr(uint64_t h, const void *p)
{
    return hash_mix(h, (uintptr_t)p);
}

/* A table-ready hash of n bytes: FNV-1a, then mixed with the length. */
static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    return hash_mix(hash_fnv1a(p, n, seed), n);
}

/* A table-ready hash of a NUL-terminated string (same as hash_bytes over
 * its bytes without the NUL, seed 0). */
static inline uint64_t hash_str(const char *s)
{
    uint64_t h = HASH_FNV64_OFFSET;
    size_t n = 0;
    for (; s[n]; n++) {
        h ^= (unsigned char)s[n];
        h *= HASH_FNV64_PRIME;
    }
    return hash_mix(h, n);
}

#endif

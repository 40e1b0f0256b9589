/*
 * churn.h — one step of the churn benchmark's malloc/free churn, shared by
 * bench/churn (the heap sampler's overhead target) and bench/push_idle_ab
 * (the push agent's, measured inside one process).
 *
 * A thread keeps a ring of CHURN_RING live blocks and per step replaces a
 * random one: free, then malloc of a new size (80 % 16-255 bytes, 18 %
 * 256 B-4 KiB, 2 % 4-64 KiB), touching the new block like real code would.
 */
#ifndef CPROF_BENCH_CHURN_H
#define CPROF_BENCH_CHURN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHURN_RING 4096

typedef struct churn_state {
    void **ring;   /* CHURN_RING blocks (NULL until first filled) */
    uint64_t seed; /* xorshift state, never 0 */
} churn_state;

/* A thread's state for churn number `index` (distinct seeds per index).
 * 0, or -1 when the ring cannot be allocated. Free with churn_end. */
static inline int churn_begin(churn_state *c, unsigned index)
{
    c->seed = 0x9E3779B97F4A7C15ull * ((uint64_t)index + 1);
    c->ring = calloc(CHURN_RING, sizeof *c->ring);
    return c->ring ? 0 : -1;
}

static inline size_t churn_pick_size(uint64_t r)
{
    unsigned bucket = r % 100;
    if (bucket < 80)
        return 16 + (r >> 8) % 240; /* 80 %: 16-255 bytes */
    if (bucket < 98)
        return 256 + (r >> 8) % 3840; /* 18 %: 256 B - 4 KiB */
    return 4096 + (r >> 8) % 61440;   /*  2 %: 4-64 KiB */
}

/* `steps` steps of churn; i0 numbers the first (it only varies the bytes
 * written). */
static inline void churn_steps(churn_state *c, long i0, long steps)
{
    for (long i = i0; i < i0 + steps; i++) {
        uint64_t r = c->seed;
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        c->seed = r;
        size_t slot = (r >> 40) % CHURN_RING;
        free(c->ring[slot]);
        size_t size = churn_pick_size(r);
        char *p = malloc(size);
        if (p)
            memset(p, (int)i, size < 64 ? size : 64);
        c->ring[slot] = p;
    }
}

/* Free every block and the ring. */
static inline void churn_end(churn_state *c)
{
    for (int i = 0; i < CHURN_RING; i++)
        free(c->ring[i]);
    free(c->ring);
    c->ring = NULL;
}

#endif

/*
 * legacy_cpu.c — gperftools' binary CPU profile (libprofiler's CPUPROFILE
 * output; legacy.h), as google/pprof's parseCPU reads it.
 *
 * The file is a sequence of machine words (32 or 64 bits, either byte
 * order: the header says which): header 0, 3, 0, sampling period in
 * microseconds, 0; then records COUNT, DEPTH, PC... (leaf first); the
 * record 0, 1, 0 ends the samples; the rest is the process's
 * /proc/self/maps text. Values are samples/count and cpu/nanoseconds.
 * pprof's heuristics are kept: a second frame shared by nearly all samples
 * is the signal handler's and is removed (twice at most), and a leaf
 * duplicated as the next frame + 1 is dropped. A record claiming more
 * frames than the bytes left is an error before anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "legacy.h"

typedef struct words {
    const uint8_t *p, *e;
    unsigned size; /* 4 or 8 */
    bool big;
    bool short_read; /* pprof's parse returned nil: nothing more */
} words;

/* The next word, or 0 with short_read set at the end. */
static uint64_t word(words *w)
{
    if ((size_t)(w->e - w->p) < w->size) {
        w->short_read = true;
        w->p = w->e;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < w->size; i++) {
        unsigned k = w->big ? i : w->size - 1 - i;
        v = v << 8 | w->p[k];
    }
    w->p += w->size;
    return v;
}

/* A lookup key of the second-frame count table: items are indexes into
 * addrs. */
typedef struct addr_key {
    const uint64_t *addrs;
    uint64_t a;
} addr_key;

/* htab equality: an address_key against an index into its addrs. */
static int addr_eq(const void *key, const void *item)
{
    const addr_key *k = key;
    return k->addrs[htab_item_index(item)] == k->a;
}

/* pprof's cpuProfile heuristic: up to two passes removing a second frame
 * that at least all but len/32 samples share. */
static void drop_handler_frames(cp_sample *s, size_t n)
{
    for (int iter = 0; iter < 2; iter++) {
        size_t margin = n / 32, distinct = 0;
        htab counts; /* address -> index into addr/count */
        htab_init(&counts, &htab_xalloc);
        uint64_t *addr = xcalloc(n + 1, sizeof *addr);
        size_t *count = xcalloc(n + 1, sizeof *count);
        for (size_t i = 0; i < n; i++) {
            if (s[i].n_locs <= 1)
                continue;
            addr_key key = {addr, s[i].locs[1]->address};
            uint64_t h = hash_mix(0, key.a);
            void **slot = htab_find_slot(&counts, h, addr_eq, &key);
            size_t k;
            if (slot) {
                k = htab_item_index(*slot);
            } else {
                k = distinct++;
                addr[k] = key.a;
                htab_insert(&counts, h, htab_index_item(k));
            }
            count[k]++;
        }
        /* Go iterates a map (random order); two addresses can both qualify
         * only when margin >= n / 2, i.e. with fewer than 64 samples' worth
         * of ties: the first in sample order is taken. */
        for (size_t k = 0; k < distinct; k++) {
            if (count[k] + margin < n)
                continue;
            for (size_t i = 0; i < n; i++)
                if (s[i].n_locs > 1 && s[i].locs[1]->address == addr[k]) {
                    memmove(&s[i].locs[1], &s[i].locs[2], (s[i].n_locs - 2) * sizeof *s[i].locs);
                    s[i].n_locs--;
                }
            break;
        }
        htab_free(&counts);
        free(addr);
        free(count);
    }
}

/* gperftools' binary CPU profile: PROFILE_FORMAT_NO unless a header (any word
 * size or byte order) matches; *out is the caller's to free. */
profile_format_rc legacy_parse_cpu(span in, cp_profile **out, cp_err *err)
{
    static const struct {
        unsigned size;
        bool big;
    } forms[] = {{4, false}, {4, true}, {8, false}, {8, true}};
    words w;
    uint64_t period = 0;
    bool found = false;
    for (size_t f = 0; f < 4 && !found; f++) {
        w = (words){(const uint8_t *)in.p, (const uint8_t *)in.e, forms[f].size, forms[f].big,
                    false};
        uint64_t h[5];
        for (int i = 0; i < 5; i++)
            h[i] = word(&w);
        if (w.short_read || h[0] != 0 || h[1] != 3 || h[4] != 0 || h[3] == 0)
            continue;
        if (h[2] == 1) {
            cp_err_set(err, "Java CPU profiles are not supported");
            return PROFILE_FORMAT_BAD;
        }
        if (h[2] != 0)
            continue;
        period = h[3];
        found = true;
    }
    if (!found)
        return PROFILE_FORMAT_NO;
    if (period > INT64_MAX / 1000) {
        cp_err_set(err, "CPU profile: sampling period out of range");
        return PROFILE_FORMAT_BAD;
    }
    static const char *const types[] = {"samples", "count", "cpu", "nanoseconds"};
    legacy_builder b;
    legacy_begin(&b, types, 2, "cpu", "nanoseconds", (int64_t)period * 1000);
    uint64_t *addrs = NULL;
    size_t cap = 0;
    while (w.p < w.e) {
        uint64_t count = word(&w), depth = word(&w);
        if (w.short_read || depth > (uint64_t)(w.e - w.p) / 4) {
            cp_err_set(err, "CPU profile: truncated or corrupt sample record");
            goto bad;
        }
        if (depth > cap) {
            cap = depth;
            addrs = xrealloc(addrs, cap, sizeof *addrs);
        }
        for (uint64_t i = 0; i < depth; i++)
            addrs[i] = word(&w);
        if (count == 0 && depth == 1 && addrs[0] == 0)
            break; /* end of the samples */
        int64_t v[2];
        if (count > INT64_MAX || __builtin_mul_overflow((int64_t)count, b.p->period, &v[1])) {
            cp_err_set(err, "CPU profile: sample count out of range");
            goto bad;
        }
        v[0] = (int64_t)count;
        legacy_sample(&b, addrs, depth, 1, v);
    }
    free(addrs);
    drop_handler_frames(b.samples, b.n_samples);
    /* cleanupDuplicateLocations: a leaf also unwound as the next frame */
    for (size_t i = 0; i < b.n_samples; i++) {
        cp_sample *s = &b.samples[i];
        if (s->n_locs > 1 && s->locs[0]->address == s->locs[1]->address + 1) {
            memmove(&s->locs[1], &s->locs[2], (s->n_locs - 2) * sizeof *s->locs);
            s->n_locs--;
        }
    }
    *out = legacy_finish(&b, (span){(const char *)w.p, in.e});
    return PROFILE_FORMAT_OK;
bad:
    free(addrs);
    legacy_abort(&b);
    return PROFILE_FORMAT_BAD;
}

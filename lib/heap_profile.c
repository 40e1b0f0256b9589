/*
 * heap_profile.c — the "heap" and "allocs" profiles: sampled buckets turned
 * into the profile model (for profile.proto) or into Go's legacy text.
 *
 * Unsampling (reference §2, as Go's protomem.go): a bucket of `count`
 * sampled blocks of `size` bytes each stands for count/(1-exp(-size/rate))
 * blocks, since each block was sampled with probability 1-exp(-size/rate).
 * Buckets are per (stack, size), so the average size is exact and one scale
 * serves both the alloc and the in-use pair. The legacy text keeps raw
 * counts and announces the rate as heap/<2*rate>, which google/pprof's
 * legacy parser unsamples the same way.
 */
#include "heap.h"
#include "pprof_encode.h"
#include "profile.h"
#include "text_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long heap_profile_count(void) { return heap_bucket_count(); }

static double unsample_scale(uint64_t size, int64_t rate)
{
    if (rate <= 1 || size == 0)
        return 1.0;
    return 1.0 / (1.0 - exp(-(double)size / (double)rate));
}

static profile *heap_profile_build(const heap_record *recs, size_t n, int64_t rate,
                                   const char *default_type)
{
    profile *p = profile_new();
    if (!p)
        return NULL;
    profile_add_sample_type(p, "alloc_objects", "count");
    profile_add_sample_type(p, "alloc_space", "bytes");
    profile_add_sample_type(p, "inuse_objects", "count");
    profile_add_sample_type(p, "inuse_space", "bytes");
    p->period_type = (profile_value_type){"space", "bytes"};
    p->period = rate > 0 ? rate : 1;
    p->default_sample_type = default_type;
    for (size_t i = 0; i < n; i++) {
        const heap_record *r = &recs[i];
        double scale = unsample_scale(r->size, rate);
        uint64_t inuse = r->alloc_objects - r->free_objects;
        int64_t values[4] = {
            llround((double)r->alloc_objects * scale),
            llround((double)r->alloc_objects * (double)r->size * scale),
            llround((double)inuse * scale),
            llround((double)inuse * (double)r->size * scale),
        };
        profile_label bytes = {.key = "bytes", .num = (int64_t)r->size};
        profile_add_sample(p, r->pcs, r->n_pcs, values, &bytes, 1);
    }
    return p;
}

static uint64_t record_inuse_bytes(const heap_record *r)
{
    return (r->alloc_objects - r->free_objects) * r->size;
}

static int by_inuse_bytes_desc(const void *a, const void *b)
{
    uint64_t x = record_inuse_bytes(a), y = record_inuse_bytes(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Go's writeHeapInternal debug=1 layout, with gperftools' MAPPED_LIBRARIES
 * section in place of runtime.MemStats so pprof can place the addresses. */
static void heap_text_write(heap_record *recs, size_t n, int64_t rate, buf *out)
{
    qsort(recs, n, sizeof *recs, by_inuse_bytes_desc);
    uint64_t in_objs = 0, in_bytes = 0, al_objs = 0, al_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        in_objs += recs[i].alloc_objects - recs[i].free_objects;
        in_bytes += record_inuse_bytes(&recs[i]);
        al_objs += recs[i].alloc_objects;
        al_bytes += recs[i].alloc_objects * recs[i].size;
    }
    buf_printf(out, "heap profile: %llu: %llu [%llu: %llu] @ heap/%lld\n",
               (unsigned long long)in_objs, (unsigned long long)in_bytes,
               (unsigned long long)al_objs, (unsigned long long)al_bytes,
               (long long)(2 * (rate > 0 ? rate : 1)));
    for (size_t i = 0; i < n; i++) {
        const heap_record *r = &recs[i];
        uint64_t inuse = r->alloc_objects - r->free_objects;
        buf_printf(out, "%llu: %llu [%llu: %llu] @", (unsigned long long)inuse,
                   (unsigned long long)(inuse * r->size), (unsigned long long)r->alloc_objects,
                   (unsigned long long)(r->alloc_objects * r->size));
        text_write_pcs(out, r->pcs, r->n_pcs);
        buf_append_byte(out, '\n');
        text_write_frames(out, r->pcs, r->n_pcs, 0);
        buf_append_byte(out, '\n');
    }
    text_write_mapped_libraries(out);
}

int heap_profile_write(const profile_request *req, buf *out, char *err, size_t err_len)
{
    size_t n;
    heap_record *recs = heap_records_snapshot(&n);
    int64_t rate = heap_sampler_rate();
    int status = 0;
    if (req->debug > 0) {
        heap_text_write(recs, n, rate, out);
    } else {
        int allocs = strcmp(req->name, "allocs") == 0;
        profile *p = heap_profile_build(recs, n, rate, allocs ? "alloc_space" : NULL);
        if (!p || p->oom || pprof_encode(p, 1, out) != 0)
            status = 500;
        profile_free(p);
    }
    free(recs);
    if (out->oom)
        status = 500;
    if (status)
        snprintf(err, err_len, "could not build the %s profile: out of memory", req->name);
    return status;
}

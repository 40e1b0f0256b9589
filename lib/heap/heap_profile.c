/*
 * heap_profile.c — the "heap" and "allocs" profiles: sampled buckets turned
 * into the profile model (for profile.proto) or into Go's legacy text.
 *
 * Unsampling (reference §2, as Go's protomem.go): a bucket of `count`
 * sampled blocks averaging `size` bytes stands for count/(1-exp(-size/rate))
 * blocks, since each block was sampled with probability 1-exp(-size/rate).
 * Buckets are per (stack, size class) with sizes within 12.5 % of each
 * other, so the average is a faithful stand-in; the scale of the allocated
 * pair's average serves the in-use pair too (same blocks, same sizes). Each
 * sample's "bytes" label is the bucket's first block size, not that average,
 * so it never changes between scrapes (heap_record.label_size). The legacy text keeps raw
 * counts and announces the rate as heap/<2*rate>, which google/pprof's
 * legacy parser unsamples the same way.
 *
 * Two views Go has no endpoint for: heap?min_age=S counts as in use only
 * blocks allocated at least S seconds ago (the bcc memleak signal: a leak's
 * blocks get old, churn's do not), and "peak" is the in-use heap copied at
 * its high-water mark (heap_peak.c), with the estimate and time as a
 * comment.
 */
#include "heap.h"
#include "labels/labels.h"
#include "pprof/pprof_encode.h"
#include "pprof/profile.h"
#include "pprof/text_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long heap_profile_count(void)
{
    return heap_bucket_count();
}

static double unsample_scale(const heap_record *r, int64_t rate)
{
    if (rate <= 1 || r->alloc_objects == 0 || r->alloc_bytes == 0)
        return 1.0;
    double avg = (double)r->alloc_bytes / (double)r->alloc_objects;
    return 1.0 / (1.0 - exp(-avg / (double)rate));
}

static uint64_t record_inuse_objects(const heap_record *r)
{
    return r->inuse_objects;
}

static uint64_t record_inuse_bytes(const heap_record *r)
{
    return r->inuse_bytes;
}

static profile *model_from_records(const heap_record *recs, size_t n, int64_t rate,
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
        double scale = unsample_scale(r, rate);
        int64_t values[4] = {
            llround((double)r->alloc_objects * scale),
            llround((double)r->alloc_bytes * scale),
            llround((double)record_inuse_objects(r) * scale),
            llround((double)record_inuse_bytes(r) * scale),
        };
        profile_label l[1 + LABELS_MAX_KEYS];
        l[0] = (profile_label){.key = "bytes", .num = (int64_t)r->label_size};
        size_t n_labels = 1 + labels_to_profile(r->labels, l + 1);
        profile_add_sample(p, r->pcs, r->n_pcs, values, l, n_labels);
    }
    return p;
}

/* Sums one bucket snapshot, unsampled as the heap profile does. 0, or -1
 * when the snapshot could not be allocated; frees what it took. */
int heap_totals_read(heap_totals *t)
{
    memset(t, 0, sizeof *t);
    size_t n;
    heap_record *recs = heap_records_snapshot(&n);
    if (!recs && heap_bucket_count() > 0)
        return -1;
    int64_t rate = heap_sampler_rate();
    double v[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const heap_record *r = &recs[i];
        double scale = unsample_scale(r, rate);
        v[0] += (double)r->alloc_objects * scale;
        v[1] += (double)r->alloc_bytes * scale;
        v[2] += (double)record_inuse_objects(r) * scale;
        v[3] += (double)record_inuse_bytes(r) * scale;
    }
    free(recs);
    t->alloc_objects = (uint64_t)llround(v[0]);
    t->alloc_bytes = (uint64_t)llround(v[1]);
    t->inuse_objects = (uint64_t)llround(v[2]);
    t->inuse_bytes = (uint64_t)llround(v[3]);
    t->rate = rate;
    return 0;
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
    if (n > 0)
        qsort(recs, n, sizeof *recs, by_inuse_bytes_desc);
    uint64_t in_objs = 0, in_bytes = 0, al_objs = 0, al_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        in_objs += record_inuse_objects(&recs[i]);
        in_bytes += record_inuse_bytes(&recs[i]);
        al_objs += recs[i].alloc_objects;
        al_bytes += recs[i].alloc_bytes;
    }
    buf_printf(out, "heap profile: %llu: %llu [%llu: %llu] @ heap/%lld\n",
               (unsigned long long)in_objs, (unsigned long long)in_bytes,
               (unsigned long long)al_objs, (unsigned long long)al_bytes,
               (long long)(2 * (rate > 0 ? rate : 1)));
    for (size_t i = 0; i < n; i++) {
        const heap_record *r = &recs[i];
        buf_printf(out, "%llu: %llu [%llu: %llu] @", (unsigned long long)record_inuse_objects(r),
                   (unsigned long long)record_inuse_bytes(r), (unsigned long long)r->alloc_objects,
                   (unsigned long long)r->alloc_bytes);
        text_write_pcs(out, r->pcs, r->n_pcs);
        buf_append_byte(out, '\n');
        text_write_frames(out, r->pcs, r->n_pcs, 0);
        buf_append_byte(out, '\n');
    }
    text_write_mapped_libraries(out);
}

static void add_peak_comment(profile *p, const heap_peak_info *info)
{
    char line[160];
    snprintf(line, sizeof line,
             "peak: about %lld bytes in use (sampled estimate) at unix time %lld.%03lld; "
             "now about %lld",
             (long long)info->bytes, (long long)(info->time_nanos / 1000000000),
             (long long)(info->time_nanos % 1000000000 / 1000000), (long long)info->current);
    profile_add_comment(p, line);
}

static heap_record *request_records(const profile_request *req, size_t *n, heap_peak_info *info)
{
    if (req->variant == HEAP_VIEW_PEAK)
        return heap_peak_snapshot(n, info);
    return heap_records_snapshot_aged(n, req->min_age_ns);
}

static void out_of_memory(const profile_request *req, char *err, size_t err_len)
{
    snprintf(err, err_len, "could not build the %s profile: out of memory", req->name);
}

/* heap, allocs and peak as the model: also one side of a delta. */
profile_status heap_profile_build(const profile_request *req, profile **out, char *err,
                                  size_t err_len)
{
    size_t n;
    heap_peak_info info = {0};
    heap_record *recs = request_records(req, &n, &info);
    int allocs = req->variant == HEAP_VIEW_ALLOCS;
    profile *p = model_from_records(recs, n, heap_sampler_rate(), allocs ? "alloc_space" : NULL);
    free(recs);
    if (p && req->variant == HEAP_VIEW_PEAK) {
        add_peak_comment(p, &info);
        if (info.time_nanos)
            p->time_nanos = info.time_nanos;
    }
    if (!p || p->oom) {
        profile_free(p);
        out_of_memory(req, err, err_len);
        return PROFILE_FAILED;
    }
    *out = p;
    return PROFILE_OK;
}

/* heap, allocs and peak: which records, then the requested format. */
profile_status heap_profile_write(const profile_request *req, buf *out, char *err, size_t err_len)
{
    if (req->debug > 0) {
        size_t n;
        heap_peak_info info = {0};
        heap_record *recs = request_records(req, &n, &info);
        heap_text_write(recs, n, heap_sampler_rate(), out);
        free(recs);
    } else {
        profile *p = NULL;
        profile_status status = heap_profile_build(req, &p, err, err_len);
        if (status != 0)
            return status;
        if (pprof_encode(p, 1, out) != 0)
            out->oom = 1;
        profile_free(p);
    }
    if (out->oom) {
        out_of_memory(req, err, err_len);
        return PROFILE_FAILED;
    }
    return PROFILE_OK;
}

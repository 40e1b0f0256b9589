/*
 * threads_create.c — the "threadcreate" profile (Go's): the stacks that
 * created threads, with how many threads each created since the process
 * started, those that have exited included. The counts come from the
 * pthread_create hook (threads_hooks.c: threads_creations_snapshot); this
 * file only turns them into the model (profile.proto, and one side of a
 * threadcreate?seconds=N delta) or Go's count-profile text:
 *
 *     threadcreate profile: total 12
 *     10 @ 0x55..4c 0x55..20 ...
 *     #	0x55..4b	spawn_workers+0x4b	server.c:57
 *
 * (records by count, largest first, as runtime/pprof's printCountProfile;
 * the "@" list holds return addresses) and the executable memory map.
 * Sample and period type threadcreate/count, period 1, as Go writes them.
 */
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/profile.h"
#include "pprof/text_format.h"

/* Largest count first; equal counts by stack, so the text is stable. */
static int by_count_desc(const void *a, const void *b)
{
    const stack_counts_record *x = a, *y = b;
    if (x->values[0] != y->values[0])
        return x->values[0] < y->values[0] ? 1 : -1;
    size_t n = x->n_pcs < y->n_pcs ? x->n_pcs : y->n_pcs;
    int c = memcmp(x->pcs, y->pcs, n * sizeof *x->pcs);
    return c ? c : (x->n_pcs > y->n_pcs) - (x->n_pcs < y->n_pcs);
}

profile_status threadcreate_profile_build(const profile_request *req, profile **out, char *err,
                                          size_t err_len)
{
    size_t n;
    int oom;
    stack_counts_record *recs = threads_creations_snapshot(&n, &oom);
    profile *p = oom ? NULL : profile_new();
    if (p) {
        profile_add_sample_type(p, "threadcreate", "count");
        p->period_type = (profile_value_type){"threadcreate", "count"};
        p->period = 1;
        for (size_t i = 0; i < n; i++)
            profile_add_sample(p, recs[i].pcs, recs[i].n_pcs, recs[i].values, NULL, 0);
    }
    free(recs);
    if (!p || p->oom) {
        profile_free(p);
        return profile_out_of_memory(req, err, err_len);
    }
    *out = p;
    return PROFILE_OK;
}

profile_status threadcreate_profile_write(const profile_request *req, buf *out, char *err,
                                          size_t err_len)
{
    if (req->debug == 0)
        return profile_write_built(threadcreate_profile_build, req, out, err, err_len);
    size_t n;
    int oom;
    stack_counts_record *recs = threads_creations_snapshot(&n, &oom);
    if (oom)
        return profile_out_of_memory(req, err, err_len);
    if (n > 1)
        qsort(recs, n, sizeof *recs, by_count_desc);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += recs[i].values[0];
    buf_printf(out, "threadcreate profile: total %lld\n", (long long)total);
    for (size_t i = 0; i < n; i++)
        text_write_count_record(out, (uint64_t)recs[i].values[0], recs[i].pcs, recs[i].n_pcs, 0,
                                NULL);
    text_write_code_maps(out);
    free(recs);
    return out->oom ? profile_out_of_memory(req, err, err_len) : PROFILE_OK;
}

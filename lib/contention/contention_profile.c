/*
 * contention_profile.c — the "mutex" and "block" profiles (same layout):
 * the waits contention_hooks.c recorded, by the waiter's stack.
 *
 * profile.proto as Go's printCountCycleProfile writes it: sample types
 * contentions/count and delay/nanoseconds, period type contentions/count,
 * period 1, values scaled as Go's scaleMutexProfile scales them (count and
 * delay times the sampling rate: 1 in `rate` events was recorded). The
 * rate is also written as a comment.
 *
 * debug=1 as Go's writeProfileInternal, which google/pprof's legacy
 * contention parser reads:
 *     --- mutex:
 *     cycles/second=1000000000
 *     sampling period=10
 *     <delay> <count> @ 0x.. 0x..
 *     #	0x..	function+0x..	file:line
 * records by delay, largest first, raw (unscaled) values; our clock is in
 * nanoseconds, so cycles/second is 1e9 and the parser's cycles are ns.
 * The parser scales by the sampling period itself. The block profile
 * ("--- contention:", no sampling period line, as Go's) has its weights
 * in the table already: its values are written as they are. The executable memory
 * map follows, so a saved text can be symbolized.
 */
#include "contention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/profile.h"
#include "pprof/text_format.h"
#include "labels/labels.h"
#include "unwind/stack_counts.h"

/* What one recorded mutex event stands for: the sampling rate. The block
 * table is unbiased already (its short waits carry their weight), so its
 * factor is 1. */
static int64_t rate_of(int kind)
{
    int64_t rate = kind == CONTENTION_MUTEX ? contention_mutex_rate() : 1;
    return rate > 0 ? rate : 1;
}

/* A record's number of events (block counts are in thousandths). */
static int64_t events_of(int kind, const stack_counts_record *r)
{
    if (kind == CONTENTION_MUTEX)
        return r->values[0];
    return (r->values[0] + CONTENTION_BLOCK_COUNT_UNIT / 2) / CONTENTION_BLOCK_COUNT_UNIT;
}

static const char *text_header(int kind)
{
    return kind == CONTENTION_MUTEX ? "mutex" : "contention";
}

profile_status contention_profile_build(const profile_request *req, profile **out, char *err,
                                        size_t err_len)
{
    size_t n;
    int oom;
    stack_counts_record *recs = contention_snapshot(req->variant, &n, &oom);
    profile *p = oom ? NULL : profile_new();
    int64_t rate = rate_of(req->variant);
    if (p) {
        profile_add_sample_type(p, "contentions", "count");
        profile_add_sample_type(p, "delay", "nanoseconds");
        p->period_type = (profile_value_type){"contentions", "count"};
        p->period = 1;
        char line[64];
        snprintf(line, sizeof line, "sampling period=%lld", (long long)rate);
        profile_add_comment(p, line);
        for (size_t i = 0; i < n; i++) {
            int64_t values[2] = {events_of(req->variant, &recs[i]) * rate,
                                 recs[i].values[1] * rate};
            profile_label l[LABELS_MAX_KEYS];
            size_t n_labels = labels_to_profile(recs[i].labels, l);
            profile_add_sample(p, recs[i].pcs, recs[i].n_pcs, values, l, n_labels);
        }
    }
    free(recs);
    if (!p || p->oom) {
        profile_free(p);
        return profile_out_of_memory(req, err, err_len);
    }
    *out = p;
    return PROFILE_OK;
}

static int by_delay_desc(const void *a, const void *b)
{
    const stack_counts_record *x = a, *y = b;
    return (x->values[1] < y->values[1]) - (x->values[1] > y->values[1]);
}

profile_status contention_profile_write(const profile_request *req, buf *out, char *err,
                                        size_t err_len)
{
    if (req->debug == 0)
        return profile_write_built(contention_profile_build, req, out, err, err_len);
    size_t n;
    int oom;
    stack_counts_record *recs = contention_snapshot(req->variant, &n, &oom);
    if (oom)
        return profile_out_of_memory(req, err, err_len);
    if (n > 1)
        qsort(recs, n, sizeof *recs, by_delay_desc);
    buf_printf(out, "--- %s:\ncycles/second=1000000000\n", text_header(req->variant));
    if (req->variant == CONTENTION_MUTEX)
        buf_printf(out, "sampling period=%lld\n", (long long)rate_of(req->variant));
    for (size_t i = 0; i < n; i++) {
        buf_printf(out, "%lld %lld @", (long long)recs[i].values[1],
                   (long long)events_of(req->variant, &recs[i]));
        text_write_pcs(out, recs[i].pcs, recs[i].n_pcs);
        buf_append_byte(out, '\n');
        text_write_frames(out, recs[i].pcs, recs[i].n_pcs, 0);
    }
    text_write_code_maps(out);
    free(recs);
    return out->oom ? profile_out_of_memory(req, err, err_len) : PROFILE_OK;
}

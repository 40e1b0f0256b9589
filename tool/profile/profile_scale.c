/*
 * profile_scale.c — measurement.ScaleProfiles: the units of profiles about
 * to be merged made compatible (the merge itself is the shared kit's,
 * lib/common/profile_merge.c).
 */
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "model.h"

static int trim_s_eq(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na && a[na - 1] == 's')
        na--;
    if (nb && b[nb - 1] == 's')
        nb--;
    return na == nb && !memcmp(a, b, na);
}

static int compatible_value_types(const cp_value_type *a, const cp_value_type *b)
{
    if (!trim_s_eq(a->type, b->type))
        return 0;
    return a->unit == b->unit || measure_same_family(a->unit, b->unit);
}

/* measurement.CommonValueType over vt[0..n): the finest unit; NULL when
 * n <= 1 (nothing to reconcile). */
static const cp_value_type *common_type(const cp_value_type **vt, size_t n, const char *what,
                                        cp_err *err, int *failed)
{
    if (n <= 1)
        return NULL;
    const cp_value_type *min = vt[0];
    for (size_t i = 1; i < n; i++) {
        if (!compatible_value_types(min, vt[i])) {
            cp_err_set(err, "%s: incompatible types: %s/%s %s/%s", what, min->type, min->unit,
                       vt[i]->type, vt[i]->unit);
            *failed = 1;
            return NULL;
        }
        if (measure_scale(1, vt[i]->unit, min->unit, NULL) < 1)
            min = vt[i];
    }
    return min;
}

int profile_scale_units(cp_profile **ps, size_t n, cp_err *err)
{
    if (n == 0)
        return 0;
    int failed = 0;
    const cp_value_type **vt = xcalloc(n, sizeof *vt);
    for (size_t i = 0; i < n; i++)
        vt[i] = &ps[i]->period_type;
    const cp_value_type *c = common_type(vt, n, "period type", err, &failed);
    cp_value_type period = c ? *c : (cp_value_type){NULL, NULL};
    size_t nst = ps[0]->n_sample_types;
    for (size_t i = 1; i < n && !failed; i++)
        if (ps[i]->n_sample_types != nst) {
            cp_err_set(err, "inconsistent samples type count: %zu != %zu", nst,
                       ps[i]->n_sample_types);
            failed = 1;
        }
    cp_value_type *common = xcalloc(nst, sizeof *common);
    for (size_t t = 0; t < nst && !failed; t++) {
        for (size_t i = 0; i < n; i++)
            vt[i] = &ps[i]->sample_types[t];
        c = common_type(vt, n, "sample types", err, &failed);
        common[t] = c ? *c : (cp_value_type){NULL, NULL};
    }
    for (size_t i = 0; i < n && !failed; i++) {
        cp_profile *p = ps[i];
        if (period.unit) {
            p->period = (int64_t)measure_scale(p->period, p->period_type.unit, period.unit, NULL);
            p->period_type.unit = period.unit;
        }
        double *ratios = arena_alloc(&p->mem, nst, sizeof *ratios);
        for (size_t t = 0; t < nst; t++) {
            ratios[t] = 1;
            if (common[t].unit) {
                ratios[t] = measure_scale(1, p->sample_types[t].unit, common[t].unit, NULL);
                p->sample_types[t].unit = common[t].unit;
            }
        }
        profile_scale(p, ratios);
    }
    free(vt);
    free(common);
    return failed ? -1 : 0;
}

/*
 * measure.c — see measure.h. The unit tables and the autoscale rule (the
 * largest unit whose factor the value reaches) are google/pprof's; unit
 * names are matched after lower-casing and dropping one trailing "s" from
 * names longer than two characters ("bytes" -> "byte", but "ms" stays).
 */
#include "measure.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct unit {
    const char *name;
    const char *aliases[4];
    double factor;
} unit;

typedef struct unit_type {
    const unit *units;
    int n;
    unit def; /* default when the target is unknown or nothing fits */
} unit_type;

static const unit memory_units[] = {
    {"B", {"b", "byte"}, 1},
    {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
    {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
    {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
    {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
    {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0},
};
static const unit time_units[] = {
    {"ns", {"ns", "nanosecond"}, 1},    {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
    {"ms", {"ms", "millisecond"}, 1e6}, {"s", {"s", "sec", "second"}, 1e9},
    {"hrs", {"hour", "hr"}, 3600e9},
};
static const unit gcu_units[] = {
    {"n*GCU", {"nanogcu"}, 1e-9}, {"u*GCU", {"microgcu"}, 1e-6}, {"m*GCU", {"milligcu"}, 1e-3},
    {"GCU", {"gcu"}, 1},          {"k*GCU", {"kilogcu"}, 1e3},   {"M*GCU", {"megagcu"}, 1e6},
    {"G*GCU", {"gigagcu"}, 1e9},  {"T*GCU", {"teragcu"}, 1e12},  {"P*GCU", {"petagcu"}, 1e15},
};

static const unit_type unit_types[] = {
    {memory_units, 6, {"B", {"b", "byte"}, 1}},
    {time_units, 5, {"s", {0}, 1e9}},
    {gcu_units, 9, {"GCU", {0}, 1}},
};
#define N_UNIT_TYPES 3

static const unit *find_alias(const unit_type *ut, const char *alias)
{
    for (int i = 0; i < ut->n; i++)
        for (int j = 0; j < 4 && ut->units[i].aliases[j]; j++)
            if (!strcmp(alias, ut->units[i].aliases[j]))
                return &ut->units[i];
    return NULL;
}

/* unitType.sniffUnit: lower-case (ASCII; the only non-ASCII alias is
 * already lower case), drop one trailing 's' when longer than 2 bytes. */
static const unit *sniff(const unit_type *ut, const char *name)
{
    char low[64];
    size_t n = strlen(name);
    if (n >= sizeof low)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = 0;
    return find_alias(ut, low);
}

static int auto_scale(const unit_type *ut, double value, double *out, const char **u)
{
    double f = 0;
    const char *name = NULL;
    for (int i = 0; i < ut->n; i++)
        if (ut->units[i].factor >= f && value / ut->units[i].factor >= 1.0) {
            f = ut->units[i].factor;
            name = ut->units[i].name;
        }
    if (f == 0)
        return 0;
    *out = value / f;
    *u = name;
    return 1;
}

static int convert(const unit_type *ut, int64_t value, const char *from, const char *to,
                   double *out, const char **u)
{
    const unit *fu = sniff(ut, from);
    if (!fu)
        return 0;
    double v = (double)value * fu->factor;
    if (!strcmp(to, "minimum") || !strcmp(to, "auto")) {
        if (auto_scale(ut, v, out, u))
            return 1;
        *out = v / ut->def.factor;
        *u = ut->def.name;
        return 1;
    }
    const unit *tu = sniff(ut, to);
    if (!tu) {
        *out = v / ut->def.factor;
        *u = ut->def.name;
        return 1;
    }
    *out = v / tu->factor;
    *u = tu->name;
    return 1;
}

double measure_scale(int64_t value, const char *from, const char *to, const char **unit_out)
{
    const char *u = "";
    double v;
    if (value < 0 && value != INT64_MIN) { /* Go: -value > 0 */
        v = -measure_scale(-value, from, to, &u);
    } else {
        int done = 0;
        for (int i = 0; i < N_UNIT_TYPES && !done; i++)
            done = convert(&unit_types[i], value, from, to, &v, &u);
        if (!done) {
            v = (double)value;
            int boring = !strcmp(to, "count") || !strcmp(to, "sample") || !strcmp(to, "unit") ||
                         !strcmp(to, "minimum") || !strcmp(to, "auto");
            u = boring ? "" : to;
        }
    }
    if (unit_out)
        *unit_out = u;
    return v;
}

char *measure_scaled_label(char *out, int64_t value, const char *from, const char *to)
{
    const char *u;
    double v = measure_scale(value, from, to, &u);
    char num[48];
    snprintf(num, sizeof num, "%.2f", v);
    size_t n = strlen(num);
    if (n >= 3 && !strcmp(num + n - 3, ".00"))
        num[n - 3] = 0;
    if (!strcmp(num, "0") || !strcmp(num, "-0")) {
        strcpy(out, "0");
        return out;
    }
    snprintf(out, 64, "%s%s", num, u);
    return out;
}

char *measure_label(char *out, int64_t value, const char *unit)
{
    return measure_scaled_label(out, value, unit, "auto");
}

char *measure_percentage(char *out, int64_t value, int64_t total)
{
    double ratio = 0;
    if (total != 0)
        ratio = fabs((double)value / (double)total) * 100;
    if (ratio >= 99.95 && ratio <= 100.05)
        strcpy(out, "  100%");
    else if (ratio >= 1.0)
        snprintf(out, 32, "%5.2f%%", ratio);
    else
        snprintf(out, 32, "%5.2g%%", ratio);
    return out;
}

int measure_same_family(const char *a, const char *b)
{
    for (int i = 0; i < N_UNIT_TYPES; i++)
        if (sniff(&unit_types[i], a) && sniff(&unit_types[i], b))
            return 1;
    return 0;
}

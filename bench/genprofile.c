/*
 * genprofile.c — writes a large synthetic CPU profile (raw profile.proto)
 * for bench/analyzer.sh: cprof and go tool pprof read the same file.
 *
 *   genprofile SAMPLES FUNCTIONS SEED > profile.pb
 *
 * Shape of a real service's profile, only bigger: FUNCTIONS functions (one
 * location each, in one mapping), SAMPLES samples whose stacks (18-48
 * frames) walk a fixed pseudo-random call graph from one of 16 roots, so
 * stacks share prefixes like real ones but are nearly all distinct (merging
 * does not shrink the work); values are "samples/count" and "cpu/
 * nanoseconds". Deterministic for a seed (xorshift), no dependencies: the
 * protobuf encoding is written by hand (varints, length-delimited fields),
 * each message built in a scratch buffer and emitted with its length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    uint8_t *p;
    size_t len, cap;
} out;

static void put(out *o, const void *data, size_t n)
{
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2 + 4096;
        o->p = realloc(o->p, o->cap);
        if (!o->p) {
            perror("genprofile");
            exit(1);
        }
    }
    memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void varint(out *o, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    put(o, b, n);
}

static void field_varint(out *o, int num, uint64_t v)
{
    varint(o, (uint64_t)num << 3);
    varint(o, v);
}

static void field_bytes(out *o, int num, const void *data, size_t n)
{
    varint(o, (uint64_t)num << 3 | 2);
    varint(o, n);
    put(o, data, n);
}

/* The message built in msg becomes field num of dst; msg is reset. */
static void field_msg(out *dst, int num, out *msg)
{
    field_bytes(dst, num, msg->p, msg->len);
    msg->len = 0;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

enum { S_EMPTY, S_SAMPLES, S_COUNT, S_CPU, S_NANOS, S_FILE, S_BINARY, S_FIRST_FUNC };

static void value_type(out *o, int num, uint64_t type, uint64_t unit, out *tmp)
{
    field_varint(tmp, 1, type);
    field_varint(tmp, 2, unit);
    field_msg(o, num, tmp);
}

static void write_header(out *o, out *tmp, uint64_t n_funcs)
{
    value_type(o, 1, S_SAMPLES, S_COUNT, tmp);
    value_type(o, 1, S_CPU, S_NANOS, tmp);
    /* mapping 1 */
    field_varint(tmp, 1, 1);
    field_varint(tmp, 2, 0x400000);
    field_varint(tmp, 3, 0x400000 + 16 * n_funcs + 4096);
    field_varint(tmp, 5, S_BINARY);
    field_varint(tmp, 7, 1);
    field_varint(tmp, 8, 1);
    field_varint(tmp, 9, 1);
    field_msg(o, 3, tmp);
    out line = {0};
    for (uint64_t f = 1; f <= n_funcs; f++) {
        field_varint(tmp, 1, f);
        field_varint(tmp, 2, S_FIRST_FUNC + f - 1);
        field_varint(tmp, 3, S_FIRST_FUNC + f - 1);
        field_varint(tmp, 4, S_FILE);
        field_varint(tmp, 5, 10 * f);
        field_msg(o, 5, tmp);
        field_varint(tmp, 1, f);
        field_varint(tmp, 2, 1);
        field_varint(tmp, 3, 0x400000 + 16 * f);
        field_varint(&line, 1, f);
        field_varint(&line, 2, 10 * f + 3);
        field_msg(tmp, 4, &line);
        field_msg(o, 4, tmp);
    }
    free(line.p);
}

static void write_strings(out *o, uint64_t n_funcs)
{
    static const char *const fixed[] = {
        "", "samples", "count", "cpu", "nanoseconds", "service.go", "/usr/bin/service"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        field_bytes(o, 6, fixed[i], strlen(fixed[i]));
    char name[96];
    for (uint64_t f = 1; f <= n_funcs; f++) {
        int n = snprintf(name, sizeof name, "service/pkg%03llu.(*Handler%llu).step%llu",
                         (unsigned long long)(f % 97), (unsigned long long)(f % 13),
                         (unsigned long long)f);
        field_bytes(o, 6, name, (size_t)n);
    }
}

/* One sample: a walk down the call graph (callee ids are a function of the
 * caller and a small random choice), written leaf first. */
static void write_sample(out *o, out *tmp, out *locs, uint64_t n_funcs)
{
    uint64_t stack[64];
    size_t depth = 18 + rnd() % 31;
    stack[0] = 1 + rnd() % 16;
    for (size_t i = 1; i < depth; i++)
        stack[i] = 1 + (stack[i - 1] * 2654435761u + rnd() % 6 * 40503u + i) % n_funcs;
    for (size_t i = depth; i-- > 0;)
        varint(locs, stack[i]);
    field_msg(tmp, 1, locs);
    uint64_t count = 1 + rnd() % 4;
    varint(locs, count);
    varint(locs, count * 10000000);
    field_msg(tmp, 2, locs);
    field_msg(o, 2, tmp);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: genprofile SAMPLES FUNCTIONS SEED > profile.pb\n");
        return 2;
    }
    uint64_t n_samples = strtoull(argv[1], NULL, 10), n_funcs = strtoull(argv[2], NULL, 10);
    rng_state ^= strtoull(argv[3], NULL, 10) * 0x9e3779b97f4a7c15ull;
    if (n_funcs < 16)
        n_funcs = 16;
    out o = {0}, tmp = {0}, locs = {0};
    write_header(&o, &tmp, n_funcs);
    for (uint64_t i = 0; i < n_samples; i++) {
        write_sample(&o, &tmp, &locs, n_funcs);
        if (o.len > (64u << 20)) {
            fwrite(o.p, 1, o.len, stdout);
            o.len = 0;
        }
    }
    write_strings(&o, n_funcs);
    field_varint(&o, 9, 1700000000000000000ull);
    field_varint(&o, 10, 30000000000ull);
    value_type(&o, 11, S_CPU, S_NANOS, &tmp);
    field_varint(&o, 12, 10000000);
    if (fwrite(o.p, 1, o.len, stdout) != o.len || fflush(stdout) != 0) {
        perror("genprofile: write");
        return 1;
    }
    free(o.p);
    free(tmp.p);
    free(locs.p);
    return 0;
}

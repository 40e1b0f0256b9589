/*
 * genprofile.c — writes a large synthetic CPU profile (raw profile.proto)
 * for bench/analyzer.sh: cprof and go tool pprof read the same file.
 *
 *   genprofile SAMPLES FUNCTIONS SEED [service] > profile.pb
 *
 * Default shape ("unmerged"): FUNCTIONS functions (one
 * location each, in one mapping), SAMPLES samples whose stacks (18-48
 * frames) walk a fixed pseudo-random call graph from one of 16 roots, so
 * stacks share prefixes like real ones but are nearly all distinct (merging
 * does not shrink the work); values are "samples/count" and "cpu/
 * nanoseconds".
 *
 * "service" shape: stacks that merge like a real service's. A fixed call
 * tree of 4,000 code paths (main, the server loop, one of 40 handlers, then
 * 5-20 frames through the ~260 hot library functions, each step chosen
 * among 3 callees, so paths share long prefixes), picked with a skewed
 * (Zipf-like) weight, then 1-3 leaf frames: usually one of 8 hot leaves
 * of that path, one time in ten a function of the long tail: most samples
 * repeat a stack already seen, the rest vary at the leaf, and a few
 * hundred functions hold most of the time.
 *
 * Deterministic for a seed (xorshift), no dependencies: the
 * protobuf encoding is written by hand (varints, length-delimited fields),
 * each message built in a scratch buffer and emitted with its length.
 */
#include <stdbool.h>
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

enum { N_PATHS = 4000, N_HANDLERS = 40, N_HOT = 260, FIRST_HOT = 3 + N_HANDLERS };

/* A skewed pick in [0, n): u^3 puts most of the weight on small indexes. */
static uint64_t skewed(uint64_t n)
{
    double u = (double)(rnd() >> 11) / (double)(1ull << 53);
    uint64_t i = (uint64_t)((double)n * u * u * u);
    return i < n ? i : n - 1;
}

/* The service's code paths (root first), built once: path[i][0] is the
 * length. Paths share prefixes: a step's callee depends on the caller and
 * a choice among 3, and the handlers are few. */
static uint16_t paths[N_PATHS][24];

static void build_paths(void)
{
    for (size_t t = 0; t < N_PATHS; t++) {
        uint16_t *p = paths[t];
        size_t len = 3 + 5 + rnd() % 16;
        p[1] = 1; /* main */
        p[2] = 2; /* the server loop */
        p[3] = (uint16_t)(3 + skewed(N_HANDLERS));
        for (size_t i = 4; i <= len; i++)
            p[i] = (uint16_t)(FIRST_HOT + (p[i - 1] * 2654435761u + rnd() % 3 * 40503u) % N_HOT);
        p[0] = (uint16_t)len;
    }
}

/* One sample of the service shape: a path picked with skew, then its leaf
 * frames (1-3): the leaf nine times in ten one of the path's 8 usual
 * leaves (hot functions, skewed), else a function of the long tail, under
 * 0-2 helpers of the tail; written leaf first. */
static void write_service_sample(out *o, out *tmp, out *locs, uint64_t n_funcs)
{
    uint64_t t = skewed(N_PATHS), tail = n_funcs - (FIRST_HOT + N_HOT);
    const uint16_t *p = paths[t];
    uint64_t first;
    if (rnd() % 10 != 0)
        first = FIRST_HOT + (t * 31 + skewed(8) * 97) % N_HOT;
    else
        first = FIRST_HOT + N_HOT + skewed(tail);
    size_t n_leaves = 1 + (size_t)((t + first) % 3);
    varint(locs, first);
    for (size_t i = 1; i < n_leaves; i++)
        varint(locs, FIRST_HOT + N_HOT + (first * 7 + i * 13) % tail);
    for (size_t i = p[0]; i >= 1; i--)
        varint(locs, p[i]);
    field_msg(tmp, 1, locs);
    varint(locs, 1);
    varint(locs, 10000000);
    field_msg(tmp, 2, locs);
    field_msg(o, 2, tmp);
}

int main(int argc, char **argv)
{
    bool service = argc == 5 && !strcmp(argv[4], "service");
    if (argc != 4 && !service) {
        fprintf(stderr, "usage: genprofile SAMPLES FUNCTIONS SEED [service] > profile.pb\n");
        return 2;
    }
    uint64_t n_samples = strtoull(argv[1], NULL, 10), n_funcs = strtoull(argv[2], NULL, 10);
    rng_state ^= strtoull(argv[3], NULL, 10) * 0x9e3779b97f4a7c15ull;
    if (n_funcs < 16)
        n_funcs = 16;
    if (service && n_funcs < FIRST_HOT + N_HOT + 100)
        n_funcs = FIRST_HOT + N_HOT + 100;
    if (service)
        build_paths();
    out o = {0}, tmp = {0}, locs = {0};
    write_header(&o, &tmp, n_funcs);
    for (uint64_t i = 0; i < n_samples; i++) {
        if (service)
            write_service_sample(&o, &tmp, &locs, n_funcs);
        else
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

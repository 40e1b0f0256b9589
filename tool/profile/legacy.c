/*
 * legacy.c — the detection of the non-proto formats and what their parsers
 * share (legacy.h): line spans, numbers, the builder that turns address
 * stacks into locations, and the memory-map section that turns into
 * mappings (google/pprof's ParseMemoryMapFromScanner, massageMappings,
 * remapMappingIDs, in that order).
 *
 * Design notes:
 *   - Detection is each parser's own header check, tried in pprof's order
 *     (parseLegacy: CPU, heap, Go count, contention), then jemalloc's
 *     heap_v2 and collapsed stacks, which pprof does not read. A parser
 *     that recognized its header owns the verdict: a malformed body is an
 *     error, not a reason to try the next format.
 *   - Locations are keyed by address in a hash table, created on first use
 *     in sample order, so ids follow pprof's remapLocationIDs.
 *   - Memory is bounded by the input: each location, sample and frame
 *     consumes at least one byte of it (the CPU parser checks counts
 *     against the bytes left before allocating).
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hex.h"
#include "intern.h"
#include "legacy.h"

/* ---- spans -------------------------------------------------------------- */

/* The next line of *rest in *line (see legacy.h); false at the end. */
bool span_next_line(span *rest, span *line)
{
    if (rest->p >= rest->e)
        return false;
    const char *nl = memchr(rest->p, '\n', (size_t)(rest->e - rest->p));
    const char *end = nl ? nl : rest->e;
    line->p = rest->p;
    line->e = end;
    if (line->e > line->p && line->e[-1] == '\r')
        line->e--;
    rest->p = nl ? nl + 1 : rest->e;
    return true;
}

/* Go's unicode.IsSpace over ASCII: what strings.TrimSpace removes. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* s without leading and trailing white space (a view, nothing copied). */
span span_trim(span s)
{
    while (s.p < s.e && is_space(*s.p))
        s.p++;
    while (s.e > s.p && is_space(s.e[-1]))
        s.e--;
    return s;
}

/* pprof's isSpaceOrComment: blank, or '#' after the blanks. */
bool span_is_blank_or_comment(span s)
{
    s = span_trim(s);
    return s.p == s.e || *s.p == '#';
}

/* Whether s begins with prefix. */
bool span_starts(span s, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(s.e - s.p) >= n && memcmp(s.p, prefix, n) == 0;
}

/* The first needle in s, or NULL. */
const char *span_find(span s, const char *needle)
{
    return memmem(s.p, (size_t)(s.e - s.p), needle, strlen(needle));
}

/* Advance past spaces and tabs. */
void span_skip_blanks(span *s)
{
    while (s->p < s->e && (*s->p == ' ' || *s->p == '\t'))
        s->p++;
}

/* Consume c at s->p; false (s unchanged) when it is not there. */
bool span_char(span *s, char c)
{
    if (s->p >= s->e || *s->p != c)
        return false;
    s->p++;
    return true;
}

/* A decimal integer at s->p (see legacy.h): true and advanced, or false
 * and s unchanged when there is none or it overflows (strconv's range). */
bool span_int(span *s, bool allow_neg, int64_t *v)
{
    const char *q = s->p;
    bool neg = allow_neg && q < s->e && *q == '-';
    if (neg)
        q++;
    if (q >= s->e || *q < '0' || *q > '9')
        return false;
    uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; q < s->e && *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (x > (lim - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = neg ? (int64_t)(0 - x) : (int64_t)x;
    s->p = q;
    return true;
}

/* The value of a hex digit, -1 for anything else. */
static int hex_digit(char c)
{
    return hex_value((unsigned char)c);
}

/* Every "0x[0-9a-f]+" of s into the caller's growable array (see
 * legacy.h); false when one has more than 64 bits. */
bool span_hex_addresses(span s, uint64_t **addrs, size_t *n, size_t *cap)
{
    *n = 0;
    for (const char *q = s.p; q + 2 < s.e; q++) {
        /* "0x[0-9a-f]+": lower-case digits only, as the regexp says */
        if (q[0] != '0' || q[1] != 'x' || hex_digit(q[2]) < 0 || (q[2] >= 'A' && q[2] <= 'F'))
            continue;
        uint64_t a = 0;
        const char *d = q + 2;
        for (; d < s.e && hex_digit(*d) >= 0 && !(*d >= 'A' && *d <= 'F'); d++) {
            if (a >> 60)
                return false;
            a = a << 4 | (uint64_t)hex_digit(*d);
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *addrs = xrealloc(*addrs, *cap, sizeof **addrs);
        }
        (*addrs)[(*n)++] = a;
        q = d - 1;
    }
    return true;
}

/* Whether the line opens the memory map section. */
bool is_memory_map_sentinel(span line)
{
    return span_find(line, "--- Memory map: ---") || span_find(line, "MAPPED_LIBRARIES:");
}

/* The memory map's lines: what follows the sentinel (line, then the
 * lines of rest); empty when the input has none. */
span legacy_maps_section(span rest, span line)
{
    while (!is_memory_map_sentinel(line) && span_next_line(&rest, &line))
        ;
    return rest;
}

/* ---- the builder ---------------------------------------------------------- */

/* Start a profile of these sample and period types (see legacy.h); the
 * builder owns it until legacy_finish or legacy_abort. */
void legacy_begin(legacy_builder *b, const char *const *types, size_t n_types,
                  const char *period_type, const char *period_unit, int64_t period)
{
    memset(b, 0, sizeof *b);
    htab_init(&b->locs, &htab_xalloc);
    cp_profile *p = b->p = cp_profile_new();
    p->sample_types = arena_alloc(&p->mem, n_types, sizeof *p->sample_types);
    p->n_sample_types = n_types;
    for (size_t i = 0; i < n_types; i++) {
        p->sample_types[i].type = intern_cstr(types[2 * i]);
        p->sample_types[i].unit = intern_cstr(types[2 * i + 1]);
    }
    p->period_type.type = intern_cstr(period_type);
    p->period_type.unit = intern_cstr(period_unit);
    p->period = period;
}

/* htab equality: an address key against a location. */
static int loc_eq(const void *key, const void *item)
{
    return *(const uint64_t *)key == ((const cp_location *)item)->address;
}

/* The location at addr, created on first use. */
static cp_location *location_at(legacy_builder *b, uint64_t addr)
{
    uint64_t h = hash_mix(0, addr);
    cp_location *l = htab_find(&b->locs, h, loc_eq, &addr);
    if (l)
        return l;
    l = arena_alloc(&b->p->mem, 1, sizeof *l);
    l->address = addr;
    l->id = b->n_locs + 1;
    htab_insert(&b->locs, h, l);
    if (b->n_locs == b->cap_locs) {
        b->cap_locs = b->cap_locs ? b->cap_locs * 2 : 64;
        b->loc_v = xrealloc(b->loc_v, b->cap_locs, sizeof *b->loc_v);
    }
    b->loc_v[b->n_locs++] = l;
    return l;
}

/* Append one sample (see legacy.h); the sample, valid until the next call. */
cp_sample *legacy_sample(legacy_builder *b, const uint64_t *addrs, size_t n, size_t adjust_from,
                         const int64_t *values)
{
    cp_profile *p = b->p;
    if (b->n_samples == b->cap_samples) {
        b->cap_samples = b->cap_samples ? b->cap_samples * 2 : 64;
        b->samples = xrealloc(b->samples, b->cap_samples, sizeof *b->samples);
    }
    cp_sample *s = &b->samples[b->n_samples++];
    memset(s, 0, sizeof *s);
    s->values = arena_dup(&p->mem, values, p->n_sample_types, sizeof *values);
    s->locs = arena_alloc(&p->mem, n, sizeof *s->locs);
    s->n_locs = n;
    for (size_t i = 0; i < n; i++)
        s->locs[i] = location_at(b, i >= adjust_from ? addrs[i] - 1 : addrs[i]);
    return s;
}

/* Free everything the builder holds, its profile included. */
void legacy_abort(legacy_builder *b)
{
    htab_free(&b->locs);
    free(b->loc_v);
    free(b->samples);
    cp_profile_free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- memory maps ------------------------------------------------------------ */

/* A hex number (optional 0x) at s->p, advancing; false when none or > 64 bits. */
static bool span_hex(span *s, uint64_t *v)
{
    if (s->e - s->p > 2 && s->p[0] == '0' && s->p[1] == 'x' && hex_digit(s->p[2]) >= 0)
        s->p += 2;
    if (s->p >= s->e || hex_digit(*s->p) < 0)
        return false;
    uint64_t x = 0;
    for (; s->p < s->e && hex_digit(*s->p) >= 0; s->p++) {
        if (x >> 60)
            return false;
        x = x << 4 | (uint64_t)hex_digit(*s->p);
    }
    *v = x;
    return true;
}

/* The next white-space separated token of *s (empty at the end). */
static span next_token(span *s)
{
    span_skip_blanks(s);
    span t = {s->p, s->p};
    while (t.e < s->e && !is_space(*t.e))
        t.e++;
    s->p = t.e;
    return t;
}

/* Whether t is non-empty and made only of characters of set. */
static bool all_of(span t, const char *set)
{
    if (t.p == t.e)
        return false;
    for (const char *q = t.p; q < t.e; q++)
        if (!strchr(set, *q))
            return false;
    return true;
}

/* Whether t is a run of hex digits. */
static bool is_hex_token(span t)
{
    return all_of(t, "0123456789abcdefABCDEF");
}

/* One line of a memory map (pprof's parseMappingEntry: procMapsRE, then
 * briefMapsRE): true with *m filled for an executable (or permission-less)
 * entry; false for anything else, which pprof ignores. */
static bool parse_mapping_line(span l, cp_mapping *m)
{
    memset(m, 0, sizeof *m);
    span s = l;
    span_skip_blanks(&s);
    uint64_t start, limit, offset = 0;
    if (!span_hex(&s, &start))
        return false;
    if (s.p < s.e && (*s.p == '-' || *s.p == ' ' || *s.p == '\t'))
        s.p++;
    span_skip_blanks(&s);
    if (!span_hex(&s, &limit))
        return false;
    span_char(&s, ':');
    span rest = s, perm = next_token(&rest);
    bool has_perm = all_of(perm, "-rwxp");
    if (has_perm)
        s = rest;
    const char *file = NULL, *build_id = NULL;
    size_t file_len = 0, build_len = 0;
    /* /proc form: offset dev inode [path] */
    span t = s, off = next_token(&t), dev = next_token(&t), inode = next_token(&t);
    const char *colon = dev.p < dev.e ? memchr(dev.p, ':', (size_t)(dev.e - dev.p)) : NULL;
    if (is_hex_token(off) && colon && colon > dev.p && colon + 1 < dev.e &&
        is_hex_token((span){dev.p, colon}) && is_hex_token((span){colon + 1, dev.e}) &&
        all_of(inode, "0123456789")) {
        span o = off;
        if (!span_hex(&o, &offset))
            return false;
        span path = next_token(&t);
        file = path.p, file_len = (size_t)(path.e - path.p);
    } else {
        /* brief form: [file] [(@offset)] [buildid] */
        t = s;
        span f = next_token(&t);
        if (f.p < f.e) {
            file = f.p, file_len = (size_t)(f.e - f.p);
            span a = next_token(&t);
            if (a.e - a.p > 3 && a.p[0] == '(' && a.p[1] == '@' && a.e[-1] == ')') {
                span o = {a.p + 2, a.e - 1};
                if (!span_hex(&o, &offset) || o.p != o.e)
                    return false;
                a = next_token(&t);
            }
            if (is_hex_token(a))
                build_id = a.p, build_len = (size_t)(a.e - a.p);
        }
    }
    if (has_perm && !memchr(perm.p, 'x', (size_t)(perm.e - perm.p)))
        return false; /* not executable */
    m->start = start;
    m->limit = limit;
    m->offset = offset;
    m->file = file ? intern(file, file_len) : STR_EMPTY;
    m->build_id = build_id ? intern(build_id, build_len) : STR_EMPTY;
    return true;
}

/* pprof's adjacent(): two entries of one mapping split in two. */
static bool adjacent(const cp_mapping *a, const cp_mapping *b)
{
    if (*a->file && *b->file && a->file != b->file)
        return false;
    if (*a->build_id && *b->build_id && a->build_id != b->build_id)
        return false;
    if (a->limit != b->start)
        return false;
    if (a->offset && b->offset && a->offset + (a->limit - a->start) != b->offset)
        return false;
    return true;
}

/* pprof's libRx: `([.]so$|[.]so[._][0-9]+)`. */
static bool is_library(const char *f)
{
    for (const char *q = strstr(f, ".so"); q; q = strstr(q + 1, ".so")) {
        if (q[3] == 0 || ((q[3] == '.' || q[3] == '_') && q[4] >= '0' && q[4] <= '9'))
            return true;
    }
    return false;
}

/* pprof's massageMappings' main-binary guess on the file name. */
static bool main_candidate(const char *file)
{
    char tmp[4096];
    size_t n = 0;
    for (const char *q = file; *q && n + 1 < sizeof tmp;) {
        if (!strncmp(q, "(deleted)", 9)) {
            q += 9;
            continue;
        }
        tmp[n++] = *q++;
    }
    tmp[n] = 0;
    char *s = tmp;
    while (is_space(*s))
        s++;
    size_t len = strlen(s);
    while (len && is_space(s[len - 1]))
        s[--len] = 0;
    return len && !is_library(s) && s[0] != '[';
}

/* The mappings of the maps section, merged, main first (massageMappings);
 * in the profile's arena, count in *n. */
static cp_mapping **parse_maps(cp_profile *p, span maps, size_t *n_out)
{
    cp_mapping **v = NULL;
    size_t n = 0, cap = 0;
    span line;
    while (span_next_line(&maps, &line)) {
        cp_mapping m;
        if (!parse_mapping_line(line, &m))
            continue;
        if (n && adjacent(v[n - 1], &m)) {
            cp_mapping *last = v[n - 1];
            last->limit = m.limit;
            if (*m.file)
                last->file = m.file;
            if (*m.build_id)
                last->build_id = m.build_id;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = xrealloc(v, cap, sizeof *v);
        }
        v[n++] = arena_dup(&p->mem, &m, 1, sizeof m);
    }
    for (size_t i = 0; i < n; i++) {
        if (main_candidate(v[i]->file)) {
            cp_mapping *t = v[0];
            v[0] = v[i];
            v[i] = t;
            break;
        }
    }
    cp_mapping **out = arena_dup(&p->mem, v, n, sizeof *v);
    free(v);
    *n_out = n;
    return out;
}

/* pprof's remapMappingIDs: each location's mapping, a fake one when none
 * covers it; mapping ids renumbered. */
static void assign_mappings(cp_profile *p, cp_mapping **maps, size_t n, cp_location **locs,
                            size_t n_locs)
{
    if (n > 1 && !strncmp(maps[0]->file, "/anon_hugepage", 14) && maps[0]->limit == maps[1]->start)
        maps++, n--;
    if (n > 0 && maps[0]->start - maps[0]->offset == 0x400000) {
        maps[0]->start = 0x400000;
        maps[0]->offset = 0;
    }
    cp_mapping **all = arena_alloc(&p->mem, n + 1, sizeof *all);
    if (n)
        memcpy(all, maps, n * sizeof *maps);
    cp_mapping *fake = NULL;
    for (size_t i = 0; i < n_locs; i++) {
        cp_location *l = locs[i];
        uint64_t a = l->address;
        if (l->mapping || a == 0)
            continue;
        for (size_t j = 0; j < n && !l->mapping; j++)
            if (maps[j]->start <= a && a < maps[j]->limit)
                l->mapping = maps[j];
        for (size_t j = 0; j < n && !l->mapping; j++) {
            cp_mapping *m = maps[j];
            if (m->offset && m->start - m->offset <= a && a < m->start) {
                m->start -= m->offset;
                m->offset = 0;
                l->mapping = m;
            }
        }
        if (l->mapping)
            continue;
        if (!fake) {
            fake = arena_alloc(&p->mem, 1, sizeof *fake);
            fake->limit = ~(uint64_t)0;
            fake->file = fake->build_id = STR_EMPTY;
            all[n] = fake;
        }
        l->mapping = fake;
    }
    p->mappings = all;
    p->n_mappings = n + (fake != NULL);
    for (size_t i = 0; i < p->n_mappings; i++)
        all[i]->id = i + 1;
}

/* The profile, finished with the memory map (see legacy.h); the caller
 * frees it with profile_free. The builder is left empty. */
cp_profile *legacy_finish(legacy_builder *b, span maps)
{
    cp_profile *p = b->p;
    size_t n_maps = 0;
    cp_mapping **m = parse_maps(p, maps, &n_maps);
    /* remapLocationIDs: only locations some sample still uses (the CPU
     * parser removes frames), numbered in sample order */
    htab seen;
    htab_init(&seen, &htab_xalloc);
    cp_location **used = arena_alloc(&p->mem, b->n_locs, sizeof *used);
    size_t n_used = 0;
    for (size_t i = 0; i < b->n_samples; i++)
        for (size_t j = 0; j < b->samples[i].n_locs; j++) {
            cp_location *l = b->samples[i].locs[j];
            uint64_t h = hash_ptr(0, l);
            if (htab_find(&seen, h, loc_eq, &l->address))
                continue;
            htab_insert(&seen, h, l);
            l->id = n_used + 1;
            used[n_used++] = l;
        }
    htab_free(&seen);
    assign_mappings(p, m, n_maps, used, n_used);
    p->locations = used;
    p->n_locations = n_used;
    p->samples = arena_dup(&p->mem, b->samples, b->n_samples, sizeof *b->samples);
    p->n_samples = b->n_samples;
    legacy_frame_info(p);
    cp_profile_reindex(p);
    b->p = NULL;
    legacy_abort(b);
    return p;
}

/* ---- frame info ------------------------------------------------------------ */

/* pprof's allocRxStr. */
#define ALLOC_RX                                                                                   \
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"    \
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|tc_pvalloc|"  \
    "tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|tc_new_nothrow|"             \
    "tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|malloc_zone_valloc|"                \
    "malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|runtime\\..*|BaseArena::.*|"        \
    "(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|DoSampledAllocation|"             \
    "MallocedMemBlock::MallocedMemBlock|_M_allocate|__builtin_(vec_)?delete|"                      \
    "__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|__libc_malloc|"                       \
    "__malloc_alloc_template::allocate|allocate|cpp_alloc|operator new(\\[\\])?|"                  \
    "simple_alloc::allocate"
static const char alloc_rx[] = ALLOC_RX;
/* ... with the allocators of jemalloc's own API. */
static const char jemalloc_rx[] = ALLOC_RX "|mallocx|rallocx|xallocx|je_.*";
static const char alloc_skip_rx[] = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";
static const char cpu_rx[] = "ProfileData::Add|ProfileData::prof_handler|"
                             "CpuProfiler::prof_handler|__pthread_sighandler|__restore";
static const char lock_rx[] =
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|(base::Mutex::)?Unlock.*|"
    "(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|(base::MutexLock::)?~MutexLock.*|"
    "(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|"
    "(MutexLock::)?~MutexLock.*|(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|"
    "(SpinLockHolder::)?~SpinLockHolder.*";

/* Whether the sample types are exactly these names. */
static bool types_are(const cp_profile *p, const char *const *names, size_t n)
{
    if (p->n_sample_types != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(p->sample_types[i].type, names[i]))
            return false;
    return true;
}

/* pprof's addLegacyFrameInfo: drop_frames (and keep_frames) chosen by the
 * sample types: heap allocators, lock internals, or the CPU profiler's. */
void legacy_frame_info(cp_profile *p)
{
    static const char *const heap[][4] = {
        {"allocations", "size"},
        {"objects", "space"},
        {"inuse_objects", "inuse_space"},
        {"alloc_objects", "alloc_space"},
        {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"},
    };
    static const char *const contention[] = {"contentions", "delay"};
    bool is_heap = false;
    for (size_t i = 0; i < sizeof heap / sizeof heap[0]; i++)
        is_heap |= types_are(p, heap[i], i == 4 ? 4 : 2);
    if (is_heap) {
        p->drop_frames = intern_cstr(alloc_rx);
        p->keep_frames = intern_cstr(alloc_skip_rx);
    } else if (types_are(p, contention, 2)) {
        p->drop_frames = intern_cstr(lock_rx);
    } else {
        p->drop_frames = intern_cstr(cpu_rx);
    }
}

/* The interned heap list plus jemalloc's API (see legacy.h). */
const char *legacy_jemalloc_drop_frames(void)
{
    return intern_cstr(jemalloc_rx);
}

/* ---- detection -------------------------------------------------------------- */

/* Each reader in turn until one recognizes the input (see legacy.h). */
profile_format_rc legacy_parse(const uint8_t *data, size_t len, cp_profile **out, cp_err *err)
{
    static profile_format_rc (*const parsers[])(span, cp_profile **, cp_err *) = {
        legacy_parse_cpu,        legacy_parse_heap,     legacy_parse_go_count,
        legacy_parse_contention, legacy_parse_jemalloc, legacy_parse_collapsed,
    };
    span in = {(const char *)data, (const char *)data + len};
    *out = NULL;
    for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
        profile_format_rc rc = parsers[i](in, out, err);
        if (rc != PROFILE_FORMAT_NO)
            return rc;
    }
    return PROFILE_FORMAT_NO;
}

/* See model.h: profile.proto first, then legacy_parse's formats. */
cp_profile *profile_parse(const uint8_t *data, size_t len, cp_err *err)
{
    return profile_parse_any(data, len, false, legacy_parse, err);
}

/* See model.h: profile_parse, repeated stacks folded as they are read. */
cp_profile *profile_parse_compact(const uint8_t *data, size_t len, cp_err *err)
{
    return profile_parse_any(data, len, true, legacy_parse, err);
}

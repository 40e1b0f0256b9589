/*
 * pprof_encode.c — profile model -> perftools.profiles.Profile (profile.proto).
 *
 * One pass over the samples assigns location ids (one per unique looked-up
 * address), symbolizes each new location once (symbolize.c caches across
 * requests too) and dedups functions by (name, filename). Mappings, locations
 * and functions are written after the samples, then the profile scalars, and
 * the string table last, once every string has been interned.
 *
 * Addresses: a stack holds return addresses; like Go's runtime/pprof
 * (proto.go, via runtime.CallersFrames) each location's address is the
 * address looked up, pc-1, which lands on the call instruction. That is what
 * google/pprof expects when it re-symbolizes or disassembles, and what its
 * legacy text parser derives from the "@ 0x..." lines (it subtracts 1 too).
 * An exact leaf PC (leaf_pc_exact: CPU samples) is used as is.
 *
 * Invariants: string index 0 is ""; location, function and mapping ids are
 * 1-based and dense; every string handed to the table outlives the encoder
 * (owned by the profile, static, or interned by symbolize.c), so the table
 * stores pointers without copying. has_functions is set on every mapping
 * that has locations: each of them was symbolized here, in process, and no
 * symbolizer knows more (without it pprof POSTs to .../symbol, which may sit
 * behind an application's auth or be unreachable). The other has_* flags
 * are set only when they hold for every location in the mapping.
 */
#include "pprof_encode.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/proto_wire.h"
#include "symbolize.h"

/* profile.proto field numbers (reference §2). */
enum {
    PROFILE_SAMPLE_TYPE = 1,
    PROFILE_SAMPLE = 2,
    PROFILE_MAPPING = 3,
    PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5,
    PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9,
    PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11,
    PROFILE_PERIOD = 12,
    PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUE_TYPE_TYPE = 1,
    VALUE_TYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1,
    SAMPLE_VALUE = 2,
    SAMPLE_LABEL = 3,
    LABEL_KEY = 1,
    LABEL_STR = 2,
    LABEL_NUM = 3,
    LABEL_NUM_UNIT = 4,
    MAPPING_ID = 1,
    MAPPING_MEMORY_START = 2,
    MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILE_OFFSET = 4,
    MAPPING_FILENAME = 5,
    MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7,
    MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9,
    MAPPING_HAS_INLINE_FRAMES = 10,
    LOCATION_ID = 1,
    LOCATION_MAPPING_ID = 2,
    LOCATION_ADDRESS = 3,
    LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1,
    LINE_LINE = 2,
    FUNCTION_ID = 1,
    FUNCTION_NAME = 2,
    FUNCTION_SYSTEM_NAME = 3,
    FUNCTION_FILENAME = 4,
};

/* ---- uint64 -> uint32 map (open addressing, value 0 = empty slot) ------ */

typedef struct u64_map {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, count;
} u64_map;

/* Every key bit reaches the low bits (murmur3's finalizer): function keys
 * differ only in their high half, which a multiply-and-shift would leave
 * out of the slot and pile into a few chains. */
static size_t u64_slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static uint32_t u64_map_get(const u64_map *m, uint64_t key)
{
    if (!m->cap)
        return 0;
    for (size_t i = u64_slot(key, m->cap); m->vals[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == key)
            return m->vals[i];
    return 0;
}

static int u64_map_rehash(u64_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->vals[i])
            continue;
        size_t j = u64_slot(m->keys[i], cap);
        while (vals[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

/* val must be non-zero; key must not be present yet. */
static int u64_map_put(u64_map *m, uint64_t key, uint32_t val)
{
    if (2 * (m->count + 1) > m->cap && u64_map_rehash(m) != 0)
        return -1;
    size_t i = u64_slot(key, m->cap);
    while (m->vals[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->count++;
    return 0;
}

static void u64_map_free(u64_map *m)
{
    free(m->keys);
    free(m->vals);
}

/* ---- string table ------------------------------------------------------ */

typedef struct string_table {
    const char **v; /* v[0] = "" */
    size_t n, cap;
    uint32_t *slots; /* index + 1; 0 = empty */
    size_t slot_cap;
} string_table;

static uint64_t hash_string(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int strings_rehash(string_table *t)
{
    size_t cap = t->slot_cap ? t->slot_cap * 2 : 256;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t k = 0; k < t->n; k++) {
        size_t j = hash_string(t->v[k]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = (uint32_t)k + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->slot_cap = cap;
    return 0;
}

/* Index of s (NULL reads as ""), adding it when new; -1 when out of memory. */
static int64_t string_index(string_table *t, const char *s)
{
    if (!s)
        s = "";
    if (2 * (t->n + 1) > t->slot_cap && strings_rehash(t) != 0)
        return -1;
    size_t i = hash_string(s) & (t->slot_cap - 1);
    for (; t->slots[i]; i = (i + 1) & (t->slot_cap - 1))
        if (strcmp(t->v[t->slots[i] - 1], s) == 0)
            return t->slots[i] - 1;
    if (array_grow((void **)&t->v, &t->cap, t->n, sizeof *t->v) != 0)
        return -1;
    t->v[t->n] = s;
    t->slots[i] = (uint32_t)++t->n;
    return (int64_t)t->n - 1;
}

/* ---- encoder state ----------------------------------------------------- */

typedef struct enc_location {
    uint64_t address;
    uint32_t mapping_id; /* 0 = outside every known mapping */
    size_t first_line, n_lines;
} enc_location;

typedef struct enc_line {
    uint64_t function_id;
    int64_t line;
} enc_line;

typedef struct enc_function {
    int64_t name, filename;
} enc_function;

/* What all locations of one mapping have in common. */
typedef struct mapping_facts {
    int used, functions, filenames, line_numbers;
} mapping_facts;

typedef struct encoder {
    const profile *p;
    buf *out;
    string_table strings;
    u64_map location_ids; /* looked-up address -> location id */
    enc_location *locations;
    size_t n_locations, cap_locations;
    enc_line *lines;
    size_t n_lines, cap_lines;
    u64_map function_ids; /* name index << 32 | filename index -> id */
    enc_function *functions;
    size_t n_functions, cap_functions;
    mapping_info *mappings;
    mapping_facts *facts;
    size_t n_mappings;
    uint64_t *scratch; /* one sample's location ids */
    size_t cap_scratch;
    int oom;
} encoder;

static int64_t str(encoder *e, const char *s)
{
    int64_t i = string_index(&e->strings, s);
    if (i < 0) {
        e->oom = 1;
        return 0;
    }
    return i;
}

static uint32_t mapping_id_for(const encoder *e, uint64_t addr)
{
    for (size_t i = 0; i < e->n_mappings; i++)
        if (e->mappings[i].start <= addr && addr < e->mappings[i].limit)
            return (uint32_t)i + 1;
    return 0;
}

static uint64_t function_id(encoder *e, const symbol_line *sl)
{
    int64_t name = str(e, sl->function), file = str(e, sl->filename);
    uint64_t key = (uint64_t)name << 32 | (uint64_t)file;
    uint32_t id = u64_map_get(&e->function_ids, key);
    if (id)
        return id;
    if (array_grow((void **)&e->functions, &e->cap_functions, e->n_functions,
                   sizeof *e->functions) != 0 ||
        u64_map_put(&e->function_ids, key, (uint32_t)e->n_functions + 1) != 0) {
        e->oom = 1;
        return 0;
    }
    e->functions[e->n_functions].name = name;
    e->functions[e->n_functions].filename = file;
    return ++e->n_functions;
}

/* Fold one location's symbolization into its mapping's has_* facts. */
static void note_mapping_facts(encoder *e, const enc_location *loc, const symbol_info *si)
{
    if (!loc->mapping_id)
        return;
    mapping_facts *f = &e->facts[loc->mapping_id - 1];
    if (!f->used) {
        f->used = f->functions = f->filenames = f->line_numbers = 1;
    }
    if (si->n_lines == 0)
        f->functions = f->filenames = f->line_numbers = 0;
    for (size_t i = 0; i < si->n_lines; i++) {
        if (!si->lines[i].filename)
            f->filenames = 0;
        if (si->lines[i].line <= 0)
            f->line_numbers = 0;
    }
}

static void add_location_lines(encoder *e, enc_location *loc, const symbol_info *si)
{
    loc->first_line = e->n_lines;
    for (size_t i = 0; i < si->n_lines; i++) {
        if (array_grow((void **)&e->lines, &e->cap_lines, e->n_lines, sizeof *e->lines) != 0) {
            e->oom = 1;
            return;
        }
        e->lines[e->n_lines].function_id = function_id(e, &si->lines[i]);
        e->lines[e->n_lines].line = si->lines[i].line;
        e->n_lines++;
        loc->n_lines++;
    }
}

/* The location id for one stack entry, creating and symbolizing it when new.
 * 0 only when out of memory. */
static uint64_t location_id(encoder *e, uint64_t pc, int exact)
{
    uint64_t addr = exact || pc == 0 ? pc : pc - 1;
    uint32_t id = u64_map_get(&e->location_ids, addr);
    if (id)
        return id;
    if (array_grow((void **)&e->locations, &e->cap_locations, e->n_locations,
                   sizeof *e->locations) != 0 ||
        u64_map_put(&e->location_ids, addr, (uint32_t)e->n_locations + 1) != 0) {
        e->oom = 1;
        return 0;
    }
    enc_location *loc = &e->locations[e->n_locations++];
    memset(loc, 0, sizeof *loc);
    loc->address = addr;
    loc->mapping_id = mapping_id_for(e, addr);
    symbol_info si;
    symbolize_addr(addr, &si);
    add_location_lines(e, loc, &si);
    note_mapping_facts(e, loc, &si);
    return e->n_locations;
}

/* ---- writers ----------------------------------------------------------- */

static void write_value_type(encoder *e, uint32_t field, const profile_value_type *vt)
{
    int64_t type = str(e, vt->type), unit = str(e, vt->unit);
    size_t m = proto_begin_message(e->out, field);
    proto_put_int64_nonzero(e->out, VALUE_TYPE_TYPE, type);
    proto_put_int64_nonzero(e->out, VALUE_TYPE_UNIT, unit);
    proto_end_message(e->out, m);
}

static void write_label(encoder *e, const profile_label *l)
{
    int64_t key = str(e, l->key);
    int64_t s = l->str ? str(e, l->str) : 0;
    int64_t unit = !l->str && l->num_unit ? str(e, l->num_unit) : 0;
    size_t m = proto_begin_message(e->out, SAMPLE_LABEL);
    proto_put_int64_nonzero(e->out, LABEL_KEY, key);
    if (l->str) {
        proto_put_int64_nonzero(e->out, LABEL_STR, s);
    } else {
        proto_put_int64_nonzero(e->out, LABEL_NUM, l->num);
        proto_put_int64_nonzero(e->out, LABEL_NUM_UNIT, unit);
    }
    proto_end_message(e->out, m);
}

static void write_sample(encoder *e, const profile_sample *s)
{
    if (s->n_pcs > e->cap_scratch) {
        uint64_t *grown = realloc(e->scratch, s->n_pcs * sizeof *grown);
        if (!grown) {
            e->oom = 1;
            return;
        }
        e->scratch = grown;
        e->cap_scratch = s->n_pcs;
    }
    for (size_t i = 0; i < s->n_pcs; i++)
        e->scratch[i] = location_id(e, s->pcs[i], i == 0 && e->p->leaf_pc_exact);
    size_t m = proto_begin_message(e->out, PROFILE_SAMPLE);
    proto_put_packed_uint64(e->out, SAMPLE_LOCATION_ID, e->scratch, s->n_pcs);
    proto_put_packed_int64(e->out, SAMPLE_VALUE, s->values, e->p->n_sample_types);
    for (size_t i = 0; i < s->n_labels; i++)
        write_label(e, &s->labels[i]);
    proto_end_message(e->out, m);
}

static void write_mapping(encoder *e, size_t i)
{
    const mapping_info *mi = &e->mappings[i];
    const mapping_facts *f = &e->facts[i];
    int64_t file = str(e, mi->filename), build_id = str(e, mi->build_id);
    int functions = f->used; /* tried here: see the top comment */
    size_t m = proto_begin_message(e->out, PROFILE_MAPPING);
    proto_put_uint64(e->out, MAPPING_ID, i + 1);
    proto_put_uint64_nonzero(e->out, MAPPING_MEMORY_START, mi->start);
    proto_put_uint64_nonzero(e->out, MAPPING_MEMORY_LIMIT, mi->limit);
    proto_put_uint64_nonzero(e->out, MAPPING_FILE_OFFSET, mi->offset);
    proto_put_int64_nonzero(e->out, MAPPING_FILENAME, file);
    proto_put_int64_nonzero(e->out, MAPPING_BUILD_ID, build_id);
    proto_put_bool_true(e->out, MAPPING_HAS_FUNCTIONS, functions);
    int all_resolved = functions && f->functions;
    proto_put_bool_true(e->out, MAPPING_HAS_FILENAMES, all_resolved && f->filenames);
    proto_put_bool_true(e->out, MAPPING_HAS_LINE_NUMBERS, all_resolved && f->line_numbers);
    /* Inline chains come from DWARF, present when files and lines are. */
    proto_put_bool_true(e->out, MAPPING_HAS_INLINE_FRAMES,
                        all_resolved && f->filenames && f->line_numbers);
    proto_end_message(e->out, m);
}

static void write_location(encoder *e, size_t i)
{
    const enc_location *loc = &e->locations[i];
    size_t m = proto_begin_message(e->out, PROFILE_LOCATION);
    proto_put_uint64(e->out, LOCATION_ID, i + 1);
    proto_put_uint64_nonzero(e->out, LOCATION_MAPPING_ID, loc->mapping_id);
    proto_put_uint64_nonzero(e->out, LOCATION_ADDRESS, loc->address);
    for (size_t k = 0; k < loc->n_lines; k++) {
        const enc_line *l = &e->lines[loc->first_line + k];
        size_t lm = proto_begin_message(e->out, LOCATION_LINE);
        proto_put_uint64_nonzero(e->out, LINE_FUNCTION_ID, l->function_id);
        proto_put_int64_nonzero(e->out, LINE_LINE, l->line);
        proto_end_message(e->out, lm);
    }
    proto_end_message(e->out, m);
}

static void write_function(encoder *e, size_t i)
{
    const enc_function *f = &e->functions[i];
    size_t m = proto_begin_message(e->out, PROFILE_FUNCTION);
    proto_put_uint64(e->out, FUNCTION_ID, i + 1);
    proto_put_int64_nonzero(e->out, FUNCTION_NAME, f->name);
    proto_put_int64_nonzero(e->out, FUNCTION_SYSTEM_NAME, f->name);
    proto_put_int64_nonzero(e->out, FUNCTION_FILENAME, f->filename);
    proto_end_message(e->out, m);
}

static void write_profile_scalars(encoder *e)
{
    const profile *p = e->p;
    proto_put_int64_nonzero(e->out, PROFILE_TIME_NANOS, p->time_nanos);
    proto_put_int64_nonzero(e->out, PROFILE_DURATION_NANOS, p->duration_nanos);
    if (p->period_type.type || p->period_type.unit)
        write_value_type(e, PROFILE_PERIOD_TYPE, &p->period_type);
    proto_put_int64_nonzero(e->out, PROFILE_PERIOD, p->period);
    for (size_t i = 0; i < p->n_comments; i++)
        proto_put_int64(e->out, PROFILE_COMMENT, str(e, p->comments[i]));
    if (p->default_sample_type)
        proto_put_int64(e->out, PROFILE_DEFAULT_SAMPLE_TYPE, str(e, p->default_sample_type));
}

static void write_profile(encoder *e)
{
    const profile *p = e->p;
    for (size_t i = 0; i < p->n_sample_types; i++)
        write_value_type(e, PROFILE_SAMPLE_TYPE, &p->sample_types[i]);
    for (size_t i = 0; i < p->n_samples && !e->oom; i++)
        write_sample(e, &p->samples[i]);
    for (size_t i = 0; i < e->n_mappings; i++)
        write_mapping(e, i);
    for (size_t i = 0; i < e->n_locations; i++)
        write_location(e, i);
    for (size_t i = 0; i < e->n_functions; i++)
        write_function(e, i);
    write_profile_scalars(e);
    for (size_t i = 0; i < e->strings.n; i++)
        proto_put_string(e->out, PROFILE_STRING_TABLE, e->strings.v[i]);
}

static void encoder_free(encoder *e)
{
    free(e->strings.v);
    free(e->strings.slots);
    u64_map_free(&e->location_ids);
    u64_map_free(&e->function_ids);
    free(e->locations);
    free(e->lines);
    free(e->functions);
    free(e->mappings);
    free(e->facts);
    free(e->scratch);
}

/* ---- gzip -------------------------------------------------------------- */

/* Append data gzip-compressed (windowBits 15+16 selects the gzip wrapper). */
static int gzip_append(buf *out, const uint8_t *data, size_t len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t bound = deflateBound(&zs, (uLong)len);
    int rc = Z_STREAM_ERROR;
    if ((uInt)len == len && (uInt)bound == bound && buf_reserve(out, bound) == 0) {
        zs.next_in = (Bytef *)data;
        zs.avail_in = (uInt)len;
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)bound;
        rc = deflate(&zs, Z_FINISH);
        if (rc == Z_STREAM_END) {
            out->len += zs.total_out;
            out->data[out->len] = 0;
        }
    }
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* ---- entry point ------------------------------------------------------- */

int pprof_encode(const profile *p, int gzip, buf *out)
{
    encoder e;
    memset(&e, 0, sizeof e);
    e.p = p;
    buf raw;
    buf_init(&raw);
    e.out = gzip ? &raw : out;
    str(&e, ""); /* index 0 */
    e.mappings = mappings_read_self(&e.n_mappings);
    e.facts = calloc(e.n_mappings ? e.n_mappings : 1, sizeof *e.facts);
    if (!e.facts)
        e.oom = 1;
    if (!e.oom)
        write_profile(&e);

    int rc = e.oom || e.out->oom ? -1 : 0;
    if (rc == 0 && gzip)
        rc = gzip_append(out, raw.data, raw.len);
    buf_free(&raw);
    encoder_free(&e);
    return rc;
}

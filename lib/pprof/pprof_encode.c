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
 * are set only when they hold for every location in the mapping. With
 * symbolization off (CPROF_SYMBOLIZE=off) locations carry no lines and no
 * mapping claims anything: pprof and cprof symbolize them from the mapped
 * files, found by name or by the build ID every mapping carries.
 */
#include "pprof_encode.h"

#include <stdlib.h>
#include <string.h>

#include "common/gzip.h"
#include "common/hash.h"
#include "common/hash_table.h"
#include "common/profile_proto.h"
#include "common/proto_wire.h"
#include "symbolize.h"

/* ---- string table ------------------------------------------------------ */

typedef struct string_table {
    const char **v; /* v[0] = "" */
    size_t n, cap;
    htab index; /* string -> its index in v (an index item) */
} string_table;

typedef struct string_key {
    const string_table *t;
    const char *s;
} string_key;

/* htab_eq_fn: the string at the item's index equals the key's string. */
static int string_eq(const void *key, const void *item)
{
    const string_key *k = key;
    return strcmp(k->t->v[htab_item_index(item)], k->s) == 0;
}

/* Index of s (NULL reads as ""), adding it when new; -1 when out of memory. */
static int64_t string_index(string_table *t, const char *s)
{
    if (!s)
        s = "";
    uint64_t h = hash_str(s);
    string_key k = {t, s};
    void **found = htab_find_slot(&t->index, h, string_eq, &k);
    if (found)
        return (int64_t)htab_item_index(*found);
    if (array_grow((void **)&t->v, &t->cap, t->n, sizeof *t->v) != 0 ||
        htab_insert(&t->index, h, htab_index_item(t->n)) != 0)
        return -1;
    t->v[t->n] = s;
    return (int64_t)t->n++;
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
    htab location_ids; /* looked-up address -> index in locations */
    enc_location *locations;
    size_t n_locations, cap_locations;
    enc_line *lines;
    size_t n_lines, cap_lines;
    htab function_ids; /* (name, filename) indexes -> index in functions */
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

typedef struct function_key {
    const encoder *e;
    enc_function f;
} function_key;

/* htab_eq_fn: the function at the item's index has the key's name and file. */
static int function_eq(const void *key, const void *item)
{
    const function_key *k = key;
    const enc_function *f = &k->e->functions[htab_item_index(item)];
    return f->name == k->f.name && f->filename == k->f.filename;
}

/* The function id of (function, filename), adding the function when new;
 * 0 only when out of memory. */
static uint64_t function_id(encoder *e, const symbol_line *sl)
{
    int64_t name = str(e, sl->function), file = str(e, sl->filename);
    function_key k = {e, {name, file}};
    uint64_t h = hash_mix((uint64_t)name, (uint64_t)file);
    void **found = htab_find_slot(&e->function_ids, h, function_eq, &k);
    if (found)
        return htab_item_index(*found) + 1;
    if (array_grow((void **)&e->functions, &e->cap_functions, e->n_functions,
                   sizeof *e->functions) != 0 ||
        htab_insert(&e->function_ids, h, htab_index_item(e->n_functions)) != 0) {
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

typedef struct location_key {
    const encoder *e;
    uint64_t address;
} location_key;

/* htab_eq_fn: the location at the item's index has the key's address. */
static int location_eq(const void *key, const void *item)
{
    const location_key *k = key;
    return k->e->locations[htab_item_index(item)].address == k->address;
}

/* The location id for one stack entry, creating and symbolizing it when new.
 * 0 only when out of memory. */
static uint64_t location_id(encoder *e, uint64_t pc, int exact)
{
    uint64_t addr = exact || pc == 0 ? pc : pc - 1;
    location_key k = {e, addr};
    uint64_t h = hash_mix(0, addr);
    void **found = htab_find_slot(&e->location_ids, h, location_eq, &k);
    if (found)
        return htab_item_index(*found) + 1;
    if (array_grow((void **)&e->locations, &e->cap_locations, e->n_locations,
                   sizeof *e->locations) != 0 ||
        htab_insert(&e->location_ids, h, htab_index_item(e->n_locations)) != 0) {
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
    int functions = f->used && symbolize_enabled(); /* tried here: see the top comment */
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
    htab_free(&e->strings.index);
    htab_free(&e->location_ids);
    htab_free(&e->function_ids);
    free(e->locations);
    free(e->lines);
    free(e->functions);
    free(e->mappings);
    free(e->facts);
    free(e->scratch);
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
        rc = gzip_compress(out, raw.data, raw.len, GZIP_LEVEL_FAST);
    buf_free(&raw);
    encoder_free(&e);
    return rc;
}

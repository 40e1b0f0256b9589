/*
 * profile_decode.c — profile.proto (gzip or raw) -> the model of model.h.
 *
 * Untrusted input: every length, count and id is checked before use, and
 * every failure ends in one cp_err line, never a crash. The wire codec
 * (lib/common/proto_wire.c) guarantees no read leaves the input; this file
 * guarantees no array is indexed by an unchecked number:
 *  - arrays are sized by a counting pass over the same bytes, so a second
 *    pass can never write past them (a packed run holds at most as many
 *    varints as it has bytes with the high bit clear);
 *  - string indexes, mapping/function/location ids are resolved through
 *    bounds checks and id tables after the whole message is read (the
 *    string table usually comes last);
 *  - a wire type that does not match the field's type is an error, as in
 *    google/pprof (proto.go checkType).
 * Semantics follow google/pprof's postDecode: labels without a value are
 * dropped, a label with a string index is a string label, the period type
 * defaults to empty, string_table[0] must be "".
 * Input that is not profile.proto goes to the legacy formats (legacy.h), as
 * pprof's ParseData does: this is the one entry point of every reader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gzip.h"
#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "profile_model.h"
#include "profile_proto.h"
#include "proto_wire.h"

/* Larger than any real profile; bounds memory on a decompression bomb and
 * on a download (-max_size). */
static size_t size_limit = (size_t)1 << 31;

size_t profile_size_limit(void)
{
    return size_limit;
}

void profile_set_size_limit(size_t bytes)
{
    size_limit = bytes;
}

/* Fields as they are on the wire, before string and id resolution. */
typedef struct raw_value_type {
    int64_t type, unit;
} raw_value_type;
typedef struct raw_label {
    int64_t key, str, num, unit;
} raw_label;
/* loc_ids and values live in the profile's arena already: the ids become
 * the sample's location pointers in place (same size), the values are the
 * sample's. Labels stay raw (tmp) until resolution. */
typedef struct raw_sample {
    uint64_t *loc_ids;
    size_t n_locs;
    int64_t *values;
    size_t n_values;
    raw_label *labels;
    size_t n_labels;
    size_t wire_index; /* position in the file, for messages */
} raw_sample;

/* Compact mode's fast path indexes a kept sample by its packed location
 * bytes: this entry holds the sample's values (they are the sample's: it
 * lives in the profile's arena) followed by those bytes, so a lookup
 * touches the table's slot and one entry, not the sample, its values and
 * the input besides (on a large profile, each of those was a cache miss). */
typedef struct fold_entry {
    uint32_t key_len, n_values;
    int64_t values[]; /* n_values, then key_len bytes */
} fold_entry;

/* The most values a fast-path sample may have (Go's profiles: 1 to 4). */
#define FOLD_MAX_VALUES 16

/* A sample being read, before it is kept (compact mode may fold it into
 * an earlier one); grown as needed, reused for every sample. */
typedef struct sample_scratch {
    uint64_t *ids, *values;
    raw_label *labels;
    size_t cap_ids, cap_values, cap_labels;
} sample_scratch;
typedef struct raw_mapping {
    int64_t file, build_id;
} raw_mapping;
typedef struct raw_line {
    uint64_t function_id;
} raw_line;
typedef struct raw_location {
    uint64_t mapping_id;
    raw_line *lines;
} raw_location;
typedef struct raw_function {
    int64_t name, system_name, filename;
} raw_function;

typedef struct decoder {
    cp_profile *p;
    cp_err *err;
    int failed;
    arena tmp; /* raw structures, freed after resolution */
    const char **strings;
    size_t n_strings;
    raw_value_type *sample_types, period_type;
    raw_sample *samples;
    raw_mapping *mappings;
    raw_location *locations;
    raw_function *functions;
    int64_t *comments;
    int64_t drop_frames, keep_frames, default_sample_type, doc_url;
    bool compact;      /* fold samples with equal stacks and labels */
    htab sample_index; /* compact: raw_sample by (locations, labels) */
    htab bytes_index;  /* compact: fold_entry by its packed location bytes */
    sample_scratch scratch;
    struct fold_scan *batch; /* compact: samples read, not yet decoded */
    size_t n_batch;
} decoder;

static void decode_fail(decoder *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void decode_fail(decoder *d, const char *fmt, ...)
{
    if (d->failed)
        return;
    d->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err->msg, sizeof d->err->msg, fmt, ap);
    va_end(ap);
}

/* ---- wire helpers ------------------------------------------------------- */

static void type_mismatch(proto_reader *r)
{
    if (!r->err)
        r->err = "wire type mismatch";
    r->p = r->end;
}

static uint64_t get_scalar(proto_reader *r, enum proto_wire_type t)
{
    if (t != PROTO_VARINT) {
        type_mismatch(r);
        return 0;
    }
    return proto_get_varint(r);
}

static proto_reader get_message(proto_reader *r, enum proto_wire_type t)
{
    if (t != PROTO_BYTES) {
        type_mismatch(r);
        proto_reader empty = {r->end, r->end, r->err};
        return empty;
    }
    return proto_get_bytes(r);
}

/* How many values a repeated scalar field holds (consumes the field). */
static size_t count_repeated(proto_reader *r, enum proto_wire_type t)
{
    if (t == PROTO_VARINT) {
        proto_get_varint(r);
        return 1;
    }
    if (t != PROTO_BYTES) {
        type_mismatch(r);
        return 0;
    }
    proto_reader packed = proto_get_bytes(r);
    size_t n = 0;
    for (const uint8_t *q = packed.p; q < packed.end; q++)
        n += !(*q & 0x80);
    return n;
}

/* Appends the field's values to out[*n]; room was counted beforehand. */
static void read_repeated(proto_reader *r, enum proto_wire_type t, uint64_t *out, size_t *n,
                          size_t room)
{
    if (t == PROTO_VARINT) {
        uint64_t v = proto_get_varint(r);
        if (*n < room)
            out[(*n)++] = v;
        return;
    }
    proto_reader packed = get_message(r, t);
    while (proto_reader_more(&packed)) {
        if (*n == room) { /* only a truncated varint can be left over */
            packed.err = "truncated varint in packed field";
            break;
        }
        out[(*n)++] = proto_get_varint(&packed);
    }
    if (packed.err && !r->err)
        r->err = packed.err;
}

static int reader_failed(decoder *d, const proto_reader *r, const char *what, size_t i)
{
    if (!r->err)
        return 0;
    if (i == (size_t)-1 && !strcmp(what, "profile"))
        decode_fail(d, "%s", r->err);
    else if (i == (size_t)-1)
        decode_fail(d, "%s: %s", what, r->err);
    else
        decode_fail(d, "%s %zu: %s", what, i + 1, r->err);
    return 1;
}

/* ---- messages ----------------------------------------------------------- */

static raw_value_type decode_value_type(decoder *d, proto_reader r, const char *what, size_t i)
{
    raw_value_type vt = {0, 0};
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == VALUE_TYPE_TYPE)
            vt.type = (int64_t)get_scalar(&r, t);
        else if (f == VALUE_TYPE_UNIT)
            vt.unit = (int64_t)get_scalar(&r, t);
        else
            proto_skip(&r, t);
    }
    reader_failed(d, &r, what, i);
    return vt;
}

static raw_label decode_label(proto_reader r, proto_reader *parent)
{
    raw_label l = {0, 0, 0, 0};
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        switch (f) {
        case LABEL_KEY:
            l.key = (int64_t)get_scalar(&r, t);
            break;
        case LABEL_STR:
            l.str = (int64_t)get_scalar(&r, t);
            break;
        case LABEL_NUM:
            l.num = (int64_t)get_scalar(&r, t);
            break;
        case LABEL_NUM_UNIT:
            l.unit = (int64_t)get_scalar(&r, t);
            break;
        default:
            proto_skip(&r, t);
        }
    }
    if (r.err && !parent->err)
        parent->err = r.err;
    return l;
}

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    *cap = need * 2;
    return xrealloc(v, *cap, size);
}

typedef struct sample_key {
    const sample_scratch *s;
    size_t n_locs, n_values, n_labels;
} sample_key;

static int sample_key_eq(const void *key, const void *item)
{
    const sample_key *k = key;
    const raw_sample *r = item;
    return r->n_locs == k->n_locs && r->n_values == k->n_values && r->n_labels == k->n_labels &&
           !memcmp(r->loc_ids, k->s->ids, k->n_locs * sizeof *r->loc_ids) &&
           (!k->n_labels || !memcmp(r->labels, k->s->labels, k->n_labels * sizeof *r->labels));
}

/* Whether a sample may be folded into another with the same key without
 * changing what profile.Merge makes of the profile: its values are all
 * >= 0 and not all 0 (Merge drops all-zero samples, and a sum of
 * non-negative non-zero values is never all zero). */
static bool foldable(const int64_t *v, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < 0)
            return false;
        nonzero |= v[i] != 0;
    }
    return nonzero;
}

typedef struct bytes_key {
    const uint8_t *p;
    size_t len;
} bytes_key;

/* The packed location bytes of a fold_entry. */
static const uint8_t *entry_key(const fold_entry *e)
{
    return (const uint8_t *)(e->values + e->n_values);
}

static int bytes_key_eq(const void *key, const void *item)
{
    const bytes_key *k = key;
    const fold_entry *e = item;
    return e->key_len == k->len && !memcmp(entry_key(e), k->p, k->len);
}

/* A table hash of n bytes, a word at a time. */
static uint64_t hash_words(const uint8_t *p, size_t n)
{
    uint64_t h = n, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = hash_mix(h, w);
    }
    if (n) {
        w = 0;
        memcpy(&w, p, n);
        h = hash_mix(h, w);
    }
    return h;
}

/* Reads a repeated int64 field's values into v[*n] (room FOLD_MAX_VALUES).
 * false when the field is malformed or holds more: the slow path decides. */
static bool read_fold_values(proto_reader *r, enum proto_wire_type t, int64_t *v, size_t *n)
{
    if (t == PROTO_VARINT) {
        uint64_t x = proto_get_varint(r);
        if (r->err || *n == FOLD_MAX_VALUES)
            return false;
        v[(*n)++] = (int64_t)x;
        return true;
    }
    if (t != PROTO_BYTES)
        return false;
    proto_reader packed = proto_get_bytes(r);
    while (!r->err && proto_reader_more(&packed)) {
        uint64_t x = proto_get_varint(&packed);
        if (packed.err || *n == FOLD_MAX_VALUES)
            return false;
        v[(*n)++] = (int64_t)x;
    }
    return !r->err;
}

/* Compact mode's fast path, first half: a sample whose location ids are
 * one packed field, that has no labels and at most FOLD_MAX_VALUES values
 * is keyed by those bytes, before any id is decoded, in one pass over the
 * sample. The scan of one sample of a batch. */
typedef struct fold_scan {
    proto_reader body;
    size_t wire;
    bool eligible;
    bytes_key key;
    uint64_t hash;
    size_t n_values;
    int64_t values[FOLD_MAX_VALUES];
} fold_scan;

/* Fills sc->eligible, and when it is, the key, its hash and the values. */
static void fold_scan_sample(fold_scan *sc)
{
    sc->eligible = false;
    sc->n_values = 0;
    uint32_t f;
    enum proto_wire_type t;
    proto_reader r = sc->body, locs = {0};
    bool have_locs = false;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == SAMPLE_LOCATION_ID) {
            if (t != PROTO_BYTES || have_locs)
                return;
            locs = proto_get_bytes(&r);
            have_locs = true;
        } else if (f == SAMPLE_VALUE) {
            if (!read_fold_values(&r, t, sc->values, &sc->n_values))
                return;
        } else if (f == SAMPLE_LABEL)
            return;
        else
            proto_skip(&r, t);
    }
    if (r.err || !have_locs)
        return;
    sc->key.p = locs.p;
    sc->key.len = (size_t)(locs.end - locs.p);
    sc->hash = hash_words(sc->key.p, sc->key.len);
    sc->eligible = true;
}

/* Second half: when an earlier foldable sample has the same bytes (so the
 * same ids) and as many values, and this one's are foldable, they are
 * added to it: true. Otherwise false, and *key is what to index the sample
 * by once kept (key->p NULL: not eligible, or the bytes are indexed
 * already). */
static bool fold_by_bytes(decoder *d, const fold_scan *sc, bytes_key *key, uint64_t *h)
{
    key->p = NULL;
    if (!sc->eligible)
        return false;
    fold_entry *same = htab_find(&d->bytes_index, sc->hash, bytes_key_eq, &sc->key);
    if (!same) {
        *key = sc->key;
        *h = sc->hash;
        return false;
    }
    size_t n = sc->n_values;
    if (n != same->n_values || !foldable(sc->values, n))
        return false;
    for (size_t i = 0; i < n; i++)
        same->values[i] += sc->values[i];
    return true;
}

/* The sample at wire position wire, read into the scratch, then kept as
 * d->samples[*n] (and *n incremented), or, in compact mode (scan: its
 * fast-path scan), added to the earlier sample with the same locations and
 * labels. */
static void decode_sample(decoder *d, proto_reader body, size_t wire, size_t *n,
                          const fold_scan *scan)
{
    bytes_key bkey = {NULL, 0};
    uint64_t bhash = 0;
    if (scan && fold_by_bytes(d, scan, &bkey, &bhash))
        return;
    size_t n_locs = 0, n_values = 0, n_labels = 0;
    uint32_t f;
    enum proto_wire_type t;
    proto_reader r = body;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == SAMPLE_LOCATION_ID)
            n_locs += count_repeated(&r, t);
        else if (f == SAMPLE_VALUE)
            n_values += count_repeated(&r, t);
        else if (f == SAMPLE_LABEL)
            n_labels++, get_message(&r, t);
        else
            proto_skip(&r, t);
    }
    if (reader_failed(d, &r, "sample", wire))
        return;
    sample_scratch *sc = &d->scratch;
    sc->ids = grow(sc->ids, &sc->cap_ids, n_locs + 1, sizeof *sc->ids);
    sc->values = grow(sc->values, &sc->cap_values, n_values + 1, sizeof *sc->values);
    sc->labels = grow(sc->labels, &sc->cap_labels, n_labels + 1, sizeof *sc->labels);
    size_t got_locs = 0, got_values = 0, got_labels = 0;
    r = body;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == SAMPLE_LOCATION_ID)
            read_repeated(&r, t, sc->ids, &got_locs, n_locs);
        else if (f == SAMPLE_VALUE)
            read_repeated(&r, t, sc->values, &got_values, n_values);
        else if (f == SAMPLE_LABEL && got_labels < n_labels)
            sc->labels[got_labels++] = decode_label(get_message(&r, t), &r);
        else
            proto_skip(&r, t);
    }
    if (reader_failed(d, &r, "sample", wire))
        return;
    const int64_t *values = (const int64_t *)sc->values;
    bool fold = d->compact && foldable(values, got_values);
    sample_key key = {sc, got_locs, got_values, got_labels};
    uint64_t h = 0;
    if (fold) {
        h = got_locs; /* word by word: a byte-wise hash costs more than the rest */
        for (size_t i = 0; i < got_locs; i++)
            h = hash_mix(h, sc->ids[i]);
        for (size_t i = 0; i < got_labels; i++)
            h = hash_mix(hash_mix(h, (uint64_t)sc->labels[i].key), (uint64_t)sc->labels[i].str);
        raw_sample *same = htab_find(&d->sample_index, h, sample_key_eq, &key);
        if (same) {
            for (size_t i = 0; i < got_values; i++)
                same->values[i] += values[i];
            return;
        }
    }
    raw_sample *s = &d->samples[(*n)++];
    s->wire_index = wire;
    s->n_locs = got_locs;
    s->n_values = got_values;
    s->n_labels = got_labels;
    /* Room for a pointer per id: the ids become the sample's locations. */
    s->loc_ids = arena_dup(&d->p->mem, sc->ids, got_locs, sizeof *s->loc_ids);
    s->labels = got_labels ? arena_dup(&d->tmp, sc->labels, got_labels, sizeof *s->labels) : NULL;
    if (fold && bkey.p && got_values <= FOLD_MAX_VALUES && bkey.len <= UINT32_MAX) {
        /* Indexed by its bytes only: a later sample with the same ids
         * written otherwise (unpacked) is merged, not folded. */
        fold_entry *e =
            arena_alloc(&d->p->mem, 1, sizeof *e + got_values * sizeof *e->values + bkey.len);
        e->key_len = (uint32_t)bkey.len;
        e->n_values = (uint32_t)got_values;
        memcpy(e->values, values, got_values * sizeof *e->values);
        memcpy((uint8_t *)(e->values + got_values), bkey.p, bkey.len);
        s->values = e->values;
        htab_insert(&d->bytes_index, bhash, e);
        return;
    }
    s->values = arena_dup(&d->p->mem, values, got_values, sizeof *s->values);
    if (fold)
        htab_insert(&d->sample_index, h, s);
}

/* Compact mode decodes samples in batches of FOLD_BATCH, so that the
 * table lookups, which on a large profile each miss the cache twice (the
 * slot, then the entry), overlap: every sample of the batch is scanned and
 * its slot prefetched, then the entries found there are prefetched, then
 * the samples are folded or kept in order (an insert by one is seen by the
 * next: the prefetches are only hints). */
#define FOLD_BATCH 16

/* Folds or keeps the pending samples, in order, and empties the batch. */
static void flush_batch(decoder *d, size_t *n_samples)
{
    htab *t = &d->bytes_index;
    for (size_t i = 0; i < d->n_batch; i++) {
        fold_scan_sample(&d->batch[i]);
        if (d->batch[i].eligible)
            htab_prefetch(t, d->batch[i].hash);
    }
    for (size_t i = 0; i < d->n_batch; i++)
        if (d->batch[i].eligible)
            htab_prefetch_item(t, d->batch[i].hash);
    for (size_t i = 0; i < d->n_batch && !d->failed; i++)
        decode_sample(d, d->batch[i].body, d->batch[i].wire, n_samples, &d->batch[i]);
    d->n_batch = 0;
}

/* Decodes the sample now (not compact), or adds it to the batch. */
static void add_sample(decoder *d, proto_reader body, size_t wire, size_t *n_samples)
{
    if (!d->compact) {
        decode_sample(d, body, wire, n_samples, NULL);
        return;
    }
    d->batch[d->n_batch].body = body;
    d->batch[d->n_batch].wire = wire;
    if (++d->n_batch == FOLD_BATCH)
        flush_batch(d, n_samples);
}

static void decode_mapping(decoder *d, proto_reader r, size_t i)
{
    cp_mapping *m = arena_alloc(&d->p->mem, 1, sizeof *m);
    raw_mapping *raw = &d->mappings[i];
    d->p->mappings[i] = m;
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        switch (f) {
        case MAPPING_ID:
            m->id = get_scalar(&r, t);
            break;
        case MAPPING_MEMORY_START:
            m->start = get_scalar(&r, t);
            break;
        case MAPPING_MEMORY_LIMIT:
            m->limit = get_scalar(&r, t);
            break;
        case MAPPING_FILE_OFFSET:
            m->offset = get_scalar(&r, t);
            break;
        case MAPPING_FILENAME:
            raw->file = (int64_t)get_scalar(&r, t);
            break;
        case MAPPING_BUILD_ID:
            raw->build_id = (int64_t)get_scalar(&r, t);
            break;
        case MAPPING_HAS_FUNCTIONS:
            m->has_functions = get_scalar(&r, t) != 0;
            break;
        case MAPPING_HAS_FILENAMES:
            m->has_filenames = get_scalar(&r, t) != 0;
            break;
        case MAPPING_HAS_LINE_NUMBERS:
            m->has_line_numbers = get_scalar(&r, t) != 0;
            break;
        case MAPPING_HAS_INLINE_FRAMES:
            m->has_inline_frames = get_scalar(&r, t) != 0;
            break;
        default:
            proto_skip(&r, t);
        }
    }
    reader_failed(d, &r, "mapping", i);
}

static void decode_line(proto_reader r, cp_line *line, raw_line *raw, proto_reader *parent)
{
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == LINE_FUNCTION_ID)
            raw->function_id = get_scalar(&r, t);
        else if (f == LINE_LINE)
            line->line = (int64_t)get_scalar(&r, t);
        else if (f == LINE_COLUMN)
            line->column = (int64_t)get_scalar(&r, t);
        else
            proto_skip(&r, t);
    }
    if (r.err && !parent->err)
        parent->err = r.err;
}

static void decode_location(decoder *d, proto_reader body, size_t i)
{
    cp_location *l = arena_alloc(&d->p->mem, 1, sizeof *l);
    raw_location *raw = &d->locations[i];
    d->p->locations[i] = l;
    size_t n_lines = 0;
    uint32_t f;
    enum proto_wire_type t;
    proto_reader r = body;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == LOCATION_LINE)
            n_lines++;
        proto_skip(&r, t);
    }
    if (reader_failed(d, &r, "location", i))
        return;
    l->lines = arena_alloc(&d->p->mem, n_lines, sizeof *l->lines);
    raw->lines = arena_alloc(&d->tmp, n_lines, sizeof *raw->lines);
    r = body;
    while (proto_get_tag(&r, &f, &t)) {
        switch (f) {
        case LOCATION_ID:
            l->id = get_scalar(&r, t);
            break;
        case LOCATION_MAPPING_ID:
            raw->mapping_id = get_scalar(&r, t);
            break;
        case LOCATION_ADDRESS:
            l->address = get_scalar(&r, t);
            break;
        case LOCATION_LINE:
            if (l->n_lines < n_lines) {
                decode_line(get_message(&r, t), &l->lines[l->n_lines], &raw->lines[l->n_lines], &r);
                l->n_lines++;
            } else {
                proto_skip(&r, t);
            }
            break;
        case LOCATION_IS_FOLDED:
            l->is_folded = get_scalar(&r, t) != 0;
            break;
        default:
            proto_skip(&r, t);
        }
    }
    reader_failed(d, &r, "location", i);
}

static void decode_function(decoder *d, proto_reader r, size_t i)
{
    cp_function *fn = arena_alloc(&d->p->mem, 1, sizeof *fn);
    raw_function *raw = &d->functions[i];
    d->p->functions[i] = fn;
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        switch (f) {
        case FUNCTION_ID:
            fn->id = get_scalar(&r, t);
            break;
        case FUNCTION_NAME:
            raw->name = (int64_t)get_scalar(&r, t);
            break;
        case FUNCTION_SYSTEM_NAME:
            raw->system_name = (int64_t)get_scalar(&r, t);
            break;
        case FUNCTION_FILENAME:
            raw->filename = (int64_t)get_scalar(&r, t);
            break;
        case FUNCTION_START_LINE:
            fn->start_line = (int64_t)get_scalar(&r, t);
            break;
        default:
            proto_skip(&r, t);
        }
    }
    reader_failed(d, &r, "function", i);
}

/* ---- top level ---------------------------------------------------------- */

typedef struct counts {
    size_t sample_types, samples, mappings, locations, functions, strings, comments;
} counts;

static int count_fields(decoder *d, proto_reader r, counts *c)
{
    memset(c, 0, sizeof *c);
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        switch (f) {
        case PROFILE_SAMPLE_TYPE:
            c->sample_types++;
            break;
        case PROFILE_SAMPLE:
            c->samples++;
            break;
        case PROFILE_MAPPING:
            c->mappings++;
            break;
        case PROFILE_LOCATION:
            c->locations++;
            break;
        case PROFILE_FUNCTION:
            c->functions++;
            break;
        case PROFILE_STRING_TABLE:
            c->strings++;
            break;
        case PROFILE_COMMENT:
            c->comments += count_repeated(&r, t);
            continue;
        }
        proto_skip(&r, t);
    }
    return !reader_failed(d, &r, "profile", (size_t)-1);
}

static void allocate(decoder *d, const counts *c)
{
    cp_profile *p = d->p;
    d->sample_types = arena_alloc(&d->tmp, c->sample_types, sizeof *d->sample_types);
    d->samples = arena_alloc(&d->tmp, c->samples, sizeof *d->samples);
    d->mappings = arena_alloc(&d->tmp, c->mappings, sizeof *d->mappings);
    d->locations = arena_alloc(&d->tmp, c->locations, sizeof *d->locations);
    d->functions = arena_alloc(&d->tmp, c->functions, sizeof *d->functions);
    d->strings = arena_alloc(&d->tmp, c->strings, sizeof *d->strings);
    d->comments = arena_alloc(&d->tmp, c->comments, sizeof *d->comments);
    p->sample_types = arena_alloc(&p->mem, c->sample_types, sizeof *p->sample_types);
    p->samples = arena_alloc(&p->mem, c->samples, sizeof *p->samples);
    p->mappings = arena_alloc(&p->mem, c->mappings, sizeof *p->mappings);
    p->locations = arena_alloc(&p->mem, c->locations, sizeof *p->locations);
    p->functions = arena_alloc(&p->mem, c->functions, sizeof *p->functions);
    p->comments = arena_alloc(&p->mem, c->comments, sizeof *p->comments);
}

static void decode_top(decoder *d, proto_reader r, const counts *c)
{
    cp_profile *p = d->p;
    size_t n_samples = 0, wire_samples = 0, n_comments = 0;
    uint32_t f;
    enum proto_wire_type t;
    while (!d->failed && proto_get_tag(&r, &f, &t)) {
        if (f != PROFILE_SAMPLE && d->n_batch) {
            flush_batch(d, &n_samples); /* errors in the order of the fields */
            if (d->failed)
                break;
        }
        switch (f) {
        case PROFILE_SAMPLE_TYPE:
            d->sample_types[p->n_sample_types] =
                decode_value_type(d, get_message(&r, t), "sample type", p->n_sample_types);
            p->n_sample_types++;
            break;
        case PROFILE_SAMPLE:
            add_sample(d, get_message(&r, t), wire_samples++, &n_samples);
            break;
        case PROFILE_MAPPING:
            decode_mapping(d, get_message(&r, t), p->n_mappings++);
            break;
        case PROFILE_LOCATION:
            decode_location(d, get_message(&r, t), p->n_locations++);
            break;
        case PROFILE_FUNCTION:
            decode_function(d, get_message(&r, t), p->n_functions++);
            break;
        case PROFILE_STRING_TABLE: {
            proto_reader s = get_message(&r, t);
            d->strings[d->n_strings++] = intern((const char *)s.p, (size_t)(s.end - s.p));
            break;
        }
        case PROFILE_DROP_FRAMES:
            d->drop_frames = (int64_t)get_scalar(&r, t);
            break;
        case PROFILE_KEEP_FRAMES:
            d->keep_frames = (int64_t)get_scalar(&r, t);
            break;
        case PROFILE_TIME_NANOS:
            p->time_nanos = (int64_t)get_scalar(&r, t);
            break;
        case PROFILE_DURATION_NANOS:
            p->duration_nanos = (int64_t)get_scalar(&r, t);
            break;
        case PROFILE_PERIOD_TYPE:
            d->period_type = decode_value_type(d, get_message(&r, t), "period type", (size_t)-1);
            break;
        case PROFILE_PERIOD:
            p->period = (int64_t)get_scalar(&r, t);
            break;
        case PROFILE_COMMENT:
            read_repeated(&r, t, (uint64_t *)d->comments, &n_comments, c->comments);
            break;
        case PROFILE_DEFAULT_SAMPLE_TYPE:
            d->default_sample_type = (int64_t)get_scalar(&r, t);
            break;
        case PROFILE_DOC_URL:
            d->doc_url = (int64_t)get_scalar(&r, t);
            break;
        default:
            proto_skip(&r, t);
        }
    }
    if (!d->failed)
        flush_batch(d, &n_samples);
    reader_failed(d, &r, "profile", (size_t)-1);
    p->n_samples = n_samples;
    p->n_comments = n_comments;
}

/* ---- resolution --------------------------------------------------------- */

static const char *str(decoder *d, int64_t i, const char *what, size_t n)
{
    if (i >= 0 && (uint64_t)i < d->n_strings)
        return d->strings[i];
    if (n == (size_t)-1)
        decode_fail(d, "%s: string index %lld out of range (table has %zu)", what, (long long)i,
                    d->n_strings);
    else
        decode_fail(d, "%s %zu: string index %lld out of range (table has %zu)", what, n + 1,
                    (long long)i, d->n_strings);
    return STR_EMPTY;
}

static int id_eq(const void *key, const void *item)
{
    /* cp_mapping, cp_function and cp_location all start with their id. */
    return *(const uint64_t *)key == *(const uint64_t *)item;
}

static void index_ids(decoder *d, htab *t, void **items, size_t n, const char *what)
{
    for (size_t i = 0; i < n && !d->failed; i++) {
        uint64_t id = *(const uint64_t *)items[i];
        if (id == 0)
            decode_fail(d, "%s %zu has the reserved id 0", what, i + 1);
        else if (htab_find(t, hash_mix(0, id), id_eq, &id))
            decode_fail(d, "multiple %ss with id %llu", what, (unsigned long long)id);
        else
            htab_insert(t, hash_mix(0, id), items[i]);
    }
}

static void *find_id(htab *t, uint64_t id)
{
    return htab_find(t, hash_mix(0, id), id_eq, &id);
}

static void resolve_tables(decoder *d, htab *maps, htab *funcs, htab *locs)
{
    cp_profile *p = d->p;
    for (size_t i = 0; i < p->n_mappings; i++) {
        p->mappings[i]->file = str(d, d->mappings[i].file, "mapping", i);
        p->mappings[i]->build_id = str(d, d->mappings[i].build_id, "mapping", i);
    }
    for (size_t i = 0; i < p->n_functions; i++) {
        cp_function *f = p->functions[i];
        f->name = str(d, d->functions[i].name, "function", i);
        f->system_name = str(d, d->functions[i].system_name, "function", i);
        f->filename = str(d, d->functions[i].filename, "function", i);
    }
    index_ids(d, maps, (void **)p->mappings, p->n_mappings, "mapping");
    index_ids(d, funcs, (void **)p->functions, p->n_functions, "function");
    index_ids(d, locs, (void **)p->locations, p->n_locations, "location");
    for (size_t i = 0; i < p->n_locations && !d->failed; i++) {
        cp_location *l = p->locations[i];
        uint64_t mid = d->locations[i].mapping_id;
        if (mid && !(l->mapping = find_id(maps, mid)))
            decode_fail(d, "location %llu refers to unknown mapping %llu",
                        (unsigned long long)l->id, (unsigned long long)mid);
        for (size_t j = 0; j < l->n_lines && !d->failed; j++) {
            uint64_t fid = d->locations[i].lines[j].function_id;
            if (!(l->lines[j].function = fid ? find_id(funcs, fid) : NULL))
                decode_fail(d, "location %llu has a line with unknown function %llu",
                            (unsigned long long)l->id, (unsigned long long)fid);
        }
    }
}

/* Stable insertion sort: string labels before numeric ones, then by key;
 * values under one key keep their order (Go keeps them in a slice). */
static int label_before(const cp_label *a, const cp_label *b)
{
    int an = a->str == NULL, bn = b->str == NULL;
    if (an != bn)
        return an < bn;
    return strcmp(a->key, b->key) < 0;
}

void profile_sort_labels(cp_label *l, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        cp_label x = l[i];
        size_t j = i;
        for (; j > 0 && label_before(&x, &l[j - 1]); j--)
            l[j] = l[j - 1];
        l[j] = x;
    }
}

static void resolve_labels(decoder *d, cp_sample *s, const raw_sample *raw, size_t i)
{
    s->labels = arena_alloc(&d->p->mem, raw->n_labels, sizeof *s->labels);
    for (size_t j = 0; j < raw->n_labels; j++) {
        const raw_label *rl = &raw->labels[j];
        cp_label *l = &s->labels[s->n_labels];
        if (rl->str == 0 && rl->num == 0 && rl->unit == 0)
            continue; /* no value: google/pprof drops it */
        l->key = str(d, rl->key, "sample", i);
        if (rl->str != 0) {
            l->str = str(d, rl->str, "sample", i);
            l->unit = STR_EMPTY;
        } else {
            l->num = rl->num;
            l->unit = rl->unit ? str(d, rl->unit, "sample", i) : STR_EMPTY;
        }
        s->n_labels++;
    }
    profile_sort_labels(s->labels, s->n_labels);
}

static void resolve_samples(decoder *d, htab *locs)
{
    cp_profile *p = d->p;
    if (p->n_samples && !p->n_sample_types)
        decode_fail(d, "missing sample type information");
    _Static_assert(sizeof(uint64_t) == sizeof(cp_location *), "ids become pointers in place");
    for (size_t i = 0; i < p->n_samples && !d->failed; i++) {
        const raw_sample *raw = &d->samples[i];
        size_t wire = raw->wire_index;
        cp_sample *s = &p->samples[i];
        if (raw->n_values != p->n_sample_types) {
            decode_fail(d, "sample %zu has %zu values for %zu sample types", wire + 1,
                        raw->n_values, p->n_sample_types);
            break;
        }
        s->values = raw->values;
        s->locs = (cp_location **)(void *)raw->loc_ids;
        s->n_locs = raw->n_locs;
        for (size_t j = 0; j < raw->n_locs && !d->failed; j++) {
            uint64_t id = raw->loc_ids[j];
            if (!(s->locs[j] = find_id(locs, id)))
                decode_fail(d, "sample %zu refers to unknown location %llu", wire + 1,
                            (unsigned long long)id);
        }
        resolve_labels(d, s, raw, wire);
    }
}

static void resolve(decoder *d)
{
    cp_profile *p = d->p;
    if (d->n_strings == 0) {
        decode_fail(d, "no string table");
        return;
    }
    if (d->strings[0] != STR_EMPTY) {
        decode_fail(d, "string_table[0] must be \"\"");
        return;
    }
    for (size_t i = 0; i < p->n_sample_types; i++) {
        p->sample_types[i].type = str(d, d->sample_types[i].type, "sample type", i);
        p->sample_types[i].unit = str(d, d->sample_types[i].unit, "sample type", i);
    }
    p->period_type.type = str(d, d->period_type.type, "period type", (size_t)-1);
    p->period_type.unit = str(d, d->period_type.unit, "period type", (size_t)-1);
    p->drop_frames = str(d, d->drop_frames, "drop_frames", (size_t)-1);
    p->keep_frames = str(d, d->keep_frames, "keep_frames", (size_t)-1);
    p->default_sample_type = str(d, d->default_sample_type, "default_sample_type", (size_t)-1);
    p->doc_url = str(d, d->doc_url, "doc_url", (size_t)-1);
    for (size_t i = 0; i < p->n_comments; i++)
        p->comments[i] = str(d, d->comments[i], "comment", i);
    htab maps, funcs, locs;
    htab_init(&maps, &htab_xalloc);
    htab_init(&funcs, &htab_xalloc);
    htab_init(&locs, &htab_xalloc);
    resolve_tables(d, &maps, &funcs, &locs);
    if (!d->failed)
        resolve_samples(d, &locs);
    htab_free(&maps);
    htab_free(&funcs);
    htab_free(&locs);
}

/* A parse failure on mostly printable bytes is almost surely a text file:
 * say so instead of reporting a varint error at some offset. */
static int looks_like_text(const uint8_t *data, size_t len)
{
    size_t n = len < 512 ? len : 512, printable = 0;
    for (size_t i = 0; i < n; i++)
        printable += (data[i] >= 0x20 && data[i] < 0x7f) || data[i] == '\n' || data[i] == '\t' ||
                     data[i] == '\r';
    return n > 0 && printable * 100 >= n * 95;
}

static cp_profile *parse_uncompressed(const uint8_t *data, size_t len, bool compact,
                                      profile_format_fn other, cp_err *err)
{
    if (len == 0) {
        cp_err_set(err, "empty profile");
        return NULL;
    }
    decoder d;
    memset(&d, 0, sizeof d);
    d.p = cp_profile_new();
    d.err = err;
    d.compact = compact;
    htab_init(&d.sample_index, &htab_xalloc);
    htab_init(&d.bytes_index, &htab_xalloc);
    arena_init(&d.tmp);
    if (compact)
        d.batch = arena_alloc(&d.tmp, FOLD_BATCH, sizeof *d.batch);
    proto_reader r;
    proto_reader_init(&r, data, len);
    counts c;
    if (count_fields(&d, r, &c)) {
        allocate(&d, &c);
        decode_top(&d, r, &c);
    }
    if (!d.failed)
        resolve(&d);
    arena_free(&d.tmp);
    htab_free(&d.sample_index);
    htab_free(&d.bytes_index);
    free(d.scratch.ids);
    free(d.scratch.values);
    free(d.scratch.labels);
    if (d.failed) {
        cp_profile_free(d.p);
        cp_err tmp = *err;
        /* google/pprof's order: profile.proto, then the other formats */
        if (other) {
            cp_profile *p = NULL;
            switch (other(data, len, &p, err)) {
            case PROFILE_FORMAT_OK:
                return p;
            case PROFILE_FORMAT_BAD:
                return NULL;
            case PROFILE_FORMAT_NO:
                break;
            }
        }
        if (looks_like_text(data, len))
            cp_err_set(err, other ? "unrecognized profile format: text, but not a heap, CPU, Go "
                                    "debug=1, jemalloc or collapsed-stacks profile"
                                  : "not a profile.proto file (it looks like text)");
        else
            cp_err_set(err, "malformed profile: %s", tmp.msg);
        return NULL;
    }
    cp_profile_reindex(d.p);
    return d.p;
}

/* gzip or raw profile.proto, else what other (may be NULL) reads, on the
 * decompressed bytes; compact as model.h says. The caller frees the profile
 * (cp_profile_free); NULL with err set on error. */
cp_profile *profile_parse_any(const uint8_t *data, size_t len, bool compact,
                              profile_format_fn other, cp_err *err)
{
    if (!gzip_is_gzip(data, len))
        return parse_uncompressed(data, len, compact, other, err);
    buf raw;
    buf_init(&raw);
    cp_profile *p = NULL;
    cp_err why;
    if (gzip_decompress(&raw, data, len, size_limit, &why) == 0)
        p = parse_uncompressed(raw.data, raw.len, compact, other, err);
    else
        cp_err_set(err, "decompressing profile: %s", why.msg);
    buf_free(&raw);
    return p;
}

/* profile.proto only (gzip or raw): what the library merges. */
cp_profile *profile_parse_proto(const uint8_t *data, size_t len, cp_err *err)
{
    return profile_parse_any(data, len, false, NULL, err);
}

/*
 * profile_encode.c — the model back to profile.proto, for -proto output.
 *
 * Field order and string-table order follow google/pprof's preEncode/encode
 * (sample types, label keys and values, mappings, functions, then the
 * scalars), so a profile that goes through cprof looks like one that went
 * through pprof. The string table maps interned pointers to indexes; index
 * 0 is "" as the format requires. Zero scalars are omitted (proto3
 * defaults); repeated scalars are packed. The wire codec is lib/common/proto_wire, the field
 * numbers lib/common/profile_proto.h.
 */
#include <stdlib.h>
#include <string.h>

#include "gzip.h"
#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "profile_model.h"
#include "profile_proto.h"
#include "proto_wire.h"

typedef struct str_entry {
    const char *s;
    int64_t index;
} str_entry;

typedef struct strtab {
    htab index;
    const char **list;
    size_t n, cap;
    arena mem;
} strtab;

static int str_entry_eq(const void *key, const void *item)
{
    return ((const str_entry *)item)->s == key;
}

static int64_t add_string(strtab *t, const char *s)
{
    uint64_t h = hash_ptr(0, s);
    str_entry *e = htab_find(&t->index, h, str_entry_eq, s);
    if (e)
        return e->index;
    e = arena_alloc(&t->mem, 1, sizeof *e);
    e->s = s;
    e->index = (int64_t)t->n;
    htab_insert(&t->index, h, e);
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->list = xrealloc(t->list, t->cap, sizeof *t->list);
    }
    t->list[t->n++] = s;
    return e->index;
}

static void put_value_type(buf *b, uint32_t field, strtab *t, const cp_value_type *vt)
{
    size_t mark = proto_begin_message(b, field);
    proto_put_int64_nonzero(b, VALUE_TYPE_TYPE, add_string(t, vt->type));
    proto_put_int64_nonzero(b, VALUE_TYPE_UNIT, add_string(t, vt->unit));
    proto_end_message(b, mark);
}

static void put_sample(buf *b, strtab *t, const cp_profile *p, const cp_sample *s)
{
    size_t mark = proto_begin_message(b, PROFILE_SAMPLE);
    size_t mark_locs = proto_begin_message(b, SAMPLE_LOCATION_ID);
    for (size_t i = 0; i < s->n_locs; i++)
        proto_put_varint(b, s->locs[i]->id);
    proto_end_message(b, mark_locs);
    proto_put_packed_int64(b, SAMPLE_VALUE, s->values, p->n_sample_types);
    for (size_t i = 0; i < s->n_labels; i++) {
        const cp_label *l = &s->labels[i];
        size_t ml = proto_begin_message(b, SAMPLE_LABEL);
        proto_put_int64_nonzero(b, LABEL_KEY, add_string(t, l->key));
        if (l->str) {
            proto_put_int64_nonzero(b, LABEL_STR, add_string(t, l->str));
        } else {
            proto_put_int64_nonzero(b, LABEL_NUM, l->num);
            if (*l->unit)
                proto_put_int64_nonzero(b, LABEL_NUM_UNIT, add_string(t, l->unit));
        }
        proto_end_message(b, ml);
    }
    proto_end_message(b, mark);
}

static void put_mapping(buf *b, strtab *t, const cp_mapping *m)
{
    size_t mark = proto_begin_message(b, PROFILE_MAPPING);
    proto_put_uint64_nonzero(b, MAPPING_ID, m->id);
    proto_put_uint64_nonzero(b, MAPPING_MEMORY_START, m->start);
    proto_put_uint64_nonzero(b, MAPPING_MEMORY_LIMIT, m->limit);
    proto_put_uint64_nonzero(b, MAPPING_FILE_OFFSET, m->offset);
    proto_put_int64_nonzero(b, MAPPING_FILENAME, add_string(t, m->file));
    proto_put_int64_nonzero(b, MAPPING_BUILD_ID, add_string(t, m->build_id));
    proto_put_bool_true(b, MAPPING_HAS_FUNCTIONS, m->has_functions);
    proto_put_bool_true(b, MAPPING_HAS_FILENAMES, m->has_filenames);
    proto_put_bool_true(b, MAPPING_HAS_LINE_NUMBERS, m->has_line_numbers);
    proto_put_bool_true(b, MAPPING_HAS_INLINE_FRAMES, m->has_inline_frames);
    proto_end_message(b, mark);
}

static void put_location(buf *b, const cp_location *l)
{
    size_t mark = proto_begin_message(b, PROFILE_LOCATION);
    proto_put_uint64_nonzero(b, LOCATION_ID, l->id);
    proto_put_uint64_nonzero(b, LOCATION_MAPPING_ID, l->mapping ? l->mapping->id : 0);
    proto_put_uint64_nonzero(b, LOCATION_ADDRESS, l->address);
    for (size_t i = 0; i < l->n_lines; i++) {
        size_t ml = proto_begin_message(b, LOCATION_LINE);
        proto_put_uint64_nonzero(b, LINE_FUNCTION_ID, l->lines[i].function->id);
        proto_put_int64_nonzero(b, LINE_LINE, l->lines[i].line);
        proto_put_int64_nonzero(b, LINE_COLUMN, l->lines[i].column);
        proto_end_message(b, ml);
    }
    proto_put_bool_true(b, LOCATION_IS_FOLDED, l->is_folded);
    proto_end_message(b, mark);
}

static void put_function(buf *b, strtab *t, const cp_function *f)
{
    size_t mark = proto_begin_message(b, PROFILE_FUNCTION);
    proto_put_uint64_nonzero(b, FUNCTION_ID, f->id);
    proto_put_int64_nonzero(b, FUNCTION_NAME, add_string(t, f->name));
    proto_put_int64_nonzero(b, FUNCTION_SYSTEM_NAME, add_string(t, f->system_name));
    proto_put_int64_nonzero(b, FUNCTION_FILENAME, add_string(t, f->filename));
    proto_put_int64_nonzero(b, FUNCTION_START_LINE, f->start_line);
    proto_end_message(b, mark);
}

static void put_scalars(buf *b, strtab *t, const cp_profile *p)
{
    int64_t drop = add_string(t, p->drop_frames), keep = add_string(t, p->keep_frames);
    int64_t period_type = add_string(t, p->period_type.type) | add_string(t, p->period_type.unit);
    int64_t *comments = arena_alloc(&t->mem, p->n_comments, sizeof *comments);
    for (size_t i = 0; i < p->n_comments; i++)
        comments[i] = add_string(t, p->comments[i]);
    int64_t dflt = add_string(t, p->default_sample_type);
    int64_t doc = add_string(t, p->doc_url);
    for (size_t i = 0; i < t->n; i++)
        proto_put_bytes(b, PROFILE_STRING_TABLE, t->list[i], strlen(t->list[i]));
    proto_put_int64_nonzero(b, PROFILE_DROP_FRAMES, drop);
    proto_put_int64_nonzero(b, PROFILE_KEEP_FRAMES, keep);
    proto_put_int64_nonzero(b, PROFILE_TIME_NANOS, p->time_nanos);
    proto_put_int64_nonzero(b, PROFILE_DURATION_NANOS, p->duration_nanos);
    if (period_type)
        put_value_type(b, PROFILE_PERIOD_TYPE, t, &p->period_type);
    proto_put_int64_nonzero(b, PROFILE_PERIOD, p->period);
    proto_put_packed_int64(b, PROFILE_COMMENT, comments, p->n_comments);
    proto_put_int64_nonzero(b, PROFILE_DEFAULT_SAMPLE_TYPE, dflt);
    proto_put_int64_nonzero(b, PROFILE_DOC_URL, doc);
}

int profile_encode(const cp_profile *p, int compress, buf *out, cp_err *err)
{
    strtab t;
    memset(&t, 0, sizeof t);
    htab_init(&t.index, &htab_xalloc);
    arena_init(&t.mem);
    add_string(&t, STR_EMPTY);
    buf body;
    buf_init(&body);
    for (size_t i = 0; i < p->n_sample_types; i++)
        put_value_type(&body, PROFILE_SAMPLE_TYPE, &t, &p->sample_types[i]);
    for (size_t i = 0; i < p->n_samples; i++)
        put_sample(&body, &t, p, &p->samples[i]);
    for (size_t i = 0; i < p->n_mappings; i++)
        put_mapping(&body, &t, p->mappings[i]);
    for (size_t i = 0; i < p->n_locations; i++)
        put_location(&body, p->locations[i]);
    for (size_t i = 0; i < p->n_functions; i++)
        put_function(&body, &t, p->functions[i]);
    put_scalars(&body, &t, p);
    int rc = body.oom ? -1 : 0;
    if (rc == 0 && compress)
        rc = gzip_compress(out, body.data, body.len, GZIP_LEVEL_DEFAULT);
    else if (rc == 0)
        buf_append(out, body.data, body.len);
    if (rc != 0 || out->oom) {
        cp_err_set(err, "encoding profile: out of memory");
        rc = -1;
    }
    buf_free(&body);
    htab_free(&t.index);
    free(t.list);
    arena_free(&t.mem);
    return rc;
}

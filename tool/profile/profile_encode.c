/*
 * profile_encode.c — the model back to profile.proto, for -proto output.
 *
 * Field order and string-table order follow google/pprof's preEncode/encode
 * (sample types, label keys and values, mappings, functions, then the
 * scalars), so a profile that goes through cprof looks like one that went
 * through pprof. The string table maps interned pointers to indexes; index
 * 0 is "" as the format requires. Zero scalars are omitted (proto3
 * defaults); repeated scalars are packed. The wire codec is lib/proto_wire.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "model.h"
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
    proto_put_int64_nonzero(b, 1, add_string(t, vt->type));
    proto_put_int64_nonzero(b, 2, add_string(t, vt->unit));
    proto_end_message(b, mark);
}

static void put_sample(buf *b, strtab *t, const cp_profile *p, const cp_sample *s)
{
    size_t mark = proto_begin_message(b, 2);
    size_t mark_locs = proto_begin_message(b, 1);
    for (size_t i = 0; i < s->n_locs; i++)
        proto_put_varint(b, s->locs[i]->id);
    proto_end_message(b, mark_locs);
    proto_put_packed_int64(b, 2, s->values, p->n_sample_types);
    for (size_t i = 0; i < s->n_labels; i++) {
        const cp_label *l = &s->labels[i];
        size_t ml = proto_begin_message(b, 3);
        proto_put_int64_nonzero(b, 1, add_string(t, l->key));
        if (l->str) {
            proto_put_int64_nonzero(b, 2, add_string(t, l->str));
        } else {
            proto_put_int64_nonzero(b, 3, l->num);
            if (*l->unit)
                proto_put_int64_nonzero(b, 4, add_string(t, l->unit));
        }
        proto_end_message(b, ml);
    }
    proto_end_message(b, mark);
}

static void put_mapping(buf *b, strtab *t, const cp_mapping *m)
{
    size_t mark = proto_begin_message(b, 3);
    proto_put_uint64_nonzero(b, 1, m->id);
    proto_put_uint64_nonzero(b, 2, m->start);
    proto_put_uint64_nonzero(b, 3, m->limit);
    proto_put_uint64_nonzero(b, 4, m->offset);
    proto_put_int64_nonzero(b, 5, add_string(t, m->file));
    proto_put_int64_nonzero(b, 6, add_string(t, m->build_id));
    proto_put_bool_true(b, 7, m->has_functions);
    proto_put_bool_true(b, 8, m->has_filenames);
    proto_put_bool_true(b, 9, m->has_line_numbers);
    proto_put_bool_true(b, 10, m->has_inline_frames);
    proto_end_message(b, mark);
}

static void put_location(buf *b, const cp_location *l)
{
    size_t mark = proto_begin_message(b, 4);
    proto_put_uint64_nonzero(b, 1, l->id);
    proto_put_uint64_nonzero(b, 2, l->mapping ? l->mapping->id : 0);
    proto_put_uint64_nonzero(b, 3, l->address);
    for (size_t i = 0; i < l->n_lines; i++) {
        size_t ml = proto_begin_message(b, 4);
        proto_put_uint64_nonzero(b, 1, l->lines[i].function->id);
        proto_put_int64_nonzero(b, 2, l->lines[i].line);
        proto_put_int64_nonzero(b, 3, l->lines[i].column);
        proto_end_message(b, ml);
    }
    proto_put_bool_true(b, 5, l->is_folded);
    proto_end_message(b, mark);
}

static void put_function(buf *b, strtab *t, const cp_function *f)
{
    size_t mark = proto_begin_message(b, 5);
    proto_put_uint64_nonzero(b, 1, f->id);
    proto_put_int64_nonzero(b, 2, add_string(t, f->name));
    proto_put_int64_nonzero(b, 3, add_string(t, f->system_name));
    proto_put_int64_nonzero(b, 4, add_string(t, f->filename));
    proto_put_int64_nonzero(b, 5, f->start_line);
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
        proto_put_bytes(b, 6, t->list[i], strlen(t->list[i]));
    proto_put_int64_nonzero(b, 7, drop);
    proto_put_int64_nonzero(b, 8, keep);
    proto_put_int64_nonzero(b, 9, p->time_nanos);
    proto_put_int64_nonzero(b, 10, p->duration_nanos);
    if (period_type)
        put_value_type(b, 11, t, &p->period_type);
    proto_put_int64_nonzero(b, 12, p->period);
    proto_put_packed_int64(b, 13, comments, p->n_comments);
    proto_put_int64_nonzero(b, 14, dflt);
    proto_put_int64_nonzero(b, 15, doc);
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
        put_value_type(&body, 1, &t, &p->sample_types[i]);
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
        rc = gzip_bytes(body.data, body.len, out);
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

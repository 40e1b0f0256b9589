/*
 * proto_wire.h — the protobuf wire codec (varints, tags, length-delimited
 * fields), hand-written like Go's runtime/pprof and google/pprof do: ~200
 * lines, shared by the library's encoder and the cprof tool's decoder.
 */
#ifndef CPROF_PROTO_WIRE_H
#define CPROF_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum proto_wire_type { PROTO_VARINT = 0, PROTO_FIXED64 = 1, PROTO_BYTES = 2, PROTO_FIXED32 = 5 };

void proto_put_varint(buf *b, uint64_t v);
void proto_put_tag(buf *b, uint32_t field, enum proto_wire_type type);
/* Field helpers; the *_nonzero forms skip zero (proto3 default) values. */
void proto_put_uint64(buf *b, uint32_t field, uint64_t v);
void proto_put_uint64_nonzero(buf *b, uint32_t field, uint64_t v);
void proto_put_int64(buf *b, uint32_t field, int64_t v);
void proto_put_int64_nonzero(buf *b, uint32_t field, int64_t v);
void proto_put_bool_true(buf *b, uint32_t field, int v); /* only writes when v */
void proto_put_bytes(buf *b, uint32_t field, const void *data, size_t len);
void proto_put_string(buf *b, uint32_t field, const char *s);
/* Packed repeated fields. */
void proto_put_packed_uint64(buf *b, uint32_t field, const uint64_t *v, size_t n);
void proto_put_packed_int64(buf *b, uint32_t field, const int64_t *v, size_t n);
/* Nested message: begin returns a mark, end writes the length prefix. */
size_t proto_begin_message(buf *b, uint32_t field);
void proto_end_message(buf *b, size_t mark);

/* Decoding: a cursor over a byte range. Every read checks bounds; on error
 * the reader's `err` is set and reads return 0. */
typedef struct proto_reader {
    const uint8_t *p, *end;
    const char *err; /* static message, NULL while fine */
} proto_reader;

void proto_reader_init(proto_reader *r, const void *data, size_t len);
int proto_reader_more(const proto_reader *r);
uint64_t proto_get_varint(proto_reader *r);
/* Reads a tag; returns 0 at end or on error. */
int proto_get_tag(proto_reader *r, uint32_t *field, enum proto_wire_type *type);
/* Length-delimited payload as a sub-reader. */
proto_reader proto_get_bytes(proto_reader *r);
void proto_skip(proto_reader *r, enum proto_wire_type type);

#endif

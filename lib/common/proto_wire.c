/*
 * proto_wire.c — protobuf wire codec (see proto_wire.h).
 *
 * Encoder: appends to a buf; any growth failure sticks in buf.oom, so the
 * helpers never report errors and callers check once at the end. Nested
 * messages are written in place and their length prefix is inserted at
 * proto_end_message() by shifting the (small) message body right: profiles
 * nest at most three levels and each nested message is short.
 *
 * Decoder: a cursor over [p, end). Invariant: once err is set, the reader
 * never moves again and every read returns 0, so a caller may run a whole
 * parse loop and check err once. Nothing ever reads outside [p, end).
 */
#include "proto_wire.h"

#include <string.h>

/* A varint never takes more than 10 bytes (64 bits, 7 per byte). */
#define VARINT_MAX_LEN 10
/* Field numbers are 29-bit. */
#define FIELD_MAX ((1u << 29) - 1)

/* ---- encoding ---------------------------------------------------------- */

static size_t varint_encode(uint8_t out[VARINT_MAX_LEN], uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

void proto_put_varint(buf *b, uint64_t v)
{
    uint8_t tmp[VARINT_MAX_LEN];
    buf_append(b, tmp, varint_encode(tmp, v));
}

void proto_put_tag(buf *b, uint32_t field, enum proto_wire_type type)
{
    proto_put_varint(b, ((uint64_t)field << 3) | (uint64_t)type);
}

void proto_put_uint64(buf *b, uint32_t field, uint64_t v)
{
    proto_put_tag(b, field, PROTO_VARINT);
    proto_put_varint(b, v);
}

void proto_put_uint64_nonzero(buf *b, uint32_t field, uint64_t v)
{
    if (v != 0)
        proto_put_uint64(b, field, v);
}

/* int64 (not sint64): negative values are sign-extended to ten bytes. */
void proto_put_int64(buf *b, uint32_t field, int64_t v)
{
    proto_put_uint64(b, field, (uint64_t)v);
}

void proto_put_int64_nonzero(buf *b, uint32_t field, int64_t v)
{
    if (v != 0)
        proto_put_int64(b, field, v);
}

void proto_put_bool_true(buf *b, uint32_t field, int v)
{
    if (v)
        proto_put_uint64(b, field, 1);
}

void proto_put_bytes(buf *b, uint32_t field, const void *data, size_t len)
{
    proto_put_tag(b, field, PROTO_BYTES);
    proto_put_varint(b, len);
    buf_append(b, data, len);
}

void proto_put_string(buf *b, uint32_t field, const char *s)
{
    proto_put_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void proto_put_packed_uint64(buf *b, uint32_t field, const uint64_t *v, size_t n)
{
    if (n == 0)
        return;
    size_t mark = proto_begin_message(b, field);
    for (size_t i = 0; i < n; i++)
        proto_put_varint(b, v[i]);
    proto_end_message(b, mark);
}

void proto_put_packed_int64(buf *b, uint32_t field, const int64_t *v, size_t n)
{
    if (n == 0)
        return;
    size_t mark = proto_begin_message(b, field);
    for (size_t i = 0; i < n; i++)
        proto_put_varint(b, (uint64_t)v[i]);
    proto_end_message(b, mark);
}

/* The mark is where the body starts; the length goes there at the end. */
size_t proto_begin_message(buf *b, uint32_t field)
{
    proto_put_tag(b, field, PROTO_BYTES);
    return b->len;
}

void proto_end_message(buf *b, size_t mark)
{
    if (b->oom || mark > b->len)
        return;
    size_t body = b->len - mark;
    uint8_t prefix[VARINT_MAX_LEN];
    size_t k = varint_encode(prefix, body);
    if (buf_reserve(b, k) != 0)
        return;
    memmove(b->data + mark + k, b->data + mark, body);
    memcpy(b->data + mark, prefix, k);
    b->len += k;
    b->data[b->len] = 0;
}

/* ---- decoding ---------------------------------------------------------- */

static void reader_fail(proto_reader *r, const char *msg)
{
    if (!r->err)
        r->err = msg;
}

void proto_reader_init(proto_reader *r, const void *data, size_t len)
{
    r->p = data;
    r->end = r->p ? r->p + len : NULL;
    r->err = NULL;
}

int proto_reader_more(const proto_reader *r)
{
    return !r->err && r->p < r->end;
}

uint64_t proto_get_varint(proto_reader *r)
{
    if (r->err)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < VARINT_MAX_LEN; i++) {
        if (r->p + i >= r->end) {
            reader_fail(r, "truncated varint");
            return 0;
        }
        uint8_t byte = r->p[i];
        /* The tenth byte holds bit 63 only; anything more overflows. */
        if (i == VARINT_MAX_LEN - 1 && byte > 1) {
            reader_fail(r, "varint overflows 64 bits");
            return 0;
        }
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            r->p += i + 1;
            return v;
        }
    }
    reader_fail(r, "varint overflows 64 bits"); /* not reached: byte > 1 */
    return 0;
}

int proto_get_tag(proto_reader *r, uint32_t *field, enum proto_wire_type *type)
{
    if (!proto_reader_more(r))
        return 0;
    uint64_t key = proto_get_varint(r);
    if (r->err)
        return 0;
    uint64_t f = key >> 3;
    unsigned t = (unsigned)(key & 7);
    if (f == 0 || f > FIELD_MAX) {
        reader_fail(r, "invalid field number");
        return 0;
    }
    if (t != PROTO_VARINT && t != PROTO_FIXED64 && t != PROTO_BYTES && t != PROTO_FIXED32) {
        reader_fail(r, "unsupported wire type");
        return 0;
    }
    *field = (uint32_t)f;
    *type = (enum proto_wire_type)t;
    return 1;
}

/* On error the sub-reader is empty and carries the error too, so a caller
 * that only looks at the sub-reader still notices. */
proto_reader proto_get_bytes(proto_reader *r)
{
    proto_reader sub = {r->end, r->end, NULL};
    uint64_t len = proto_get_varint(r);
    if (!r->err && len > (uint64_t)(r->end - r->p))
        reader_fail(r, "length past end");
    if (r->err) {
        sub.err = r->err;
        return sub;
    }
    sub.p = r->p;
    sub.end = r->p + len;
    r->p += len;
    return sub;
}

static void skip_fixed(proto_reader *r, size_t n)
{
    if (r->err)
        return;
    if ((size_t)(r->end - r->p) < n) {
        reader_fail(r, "truncated fixed-width field");
        return;
    }
    r->p += n;
}

void proto_skip(proto_reader *r, enum proto_wire_type type)
{
    switch (type) {
    case PROTO_VARINT:
        proto_get_varint(r);
        break;
    case PROTO_FIXED64:
        skip_fixed(r, 8);
        break;
    case PROTO_BYTES:
        proto_get_bytes(r);
        break;
    case PROTO_FIXED32:
        skip_fixed(r, 4);
        break;
    default:
        reader_fail(r, "unsupported wire type");
        break;
    }
}

/*
 * gzip.c — gzip through zlib into and out of a buf (see gzip.h).
 *
 * zlib counts in uInt (32 bits): inputs and outputs over 4 GiB are fed in
 * pieces. Decompression reports truncation distinctly from corruption, and
 * never writes more than one byte past its cap (which is how it sees the cap
 * was passed).
 */
#include "gzip.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* windowBits 15 + 16: the gzip wrapper; + 32: detect gzip or zlib. */
#define GZIP_WINDOW (15 + 16)
#define AUTO_WINDOW (15 + 32)
#define INFLATE_STEP ((size_t)1 << 16)

int gzip_is_gzip(const uint8_t *data, size_t len)
{
    return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* Move more of [*next, end) into the stream's input when it ran dry. */
static void feed(z_stream *z, const uint8_t **next, const uint8_t *end)
{
    if (z->avail_in != 0 || *next == end)
        return;
    size_t n = (size_t)(end - *next);
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    z->next_in = (Bytef *)*next;
    z->avail_in = (uInt)n;
    *next += n;
}

int gzip_compress(buf *out, const uint8_t *data, size_t len, int level)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    /* One reservation of the worst case, so deflate normally ends in one call. */
    if (buf_reserve(out, deflateBound(&z, (uLong)len)) != 0) {
        deflateEnd(&z);
        return -1;
    }
    const uint8_t *next = data, *end = len ? data + len : data;
    int rc = Z_OK;
    while (rc == Z_OK || rc == Z_BUF_ERROR) {
        feed(&z, &next, end);
        if (out->cap - out->len <= 1 && buf_reserve(out, INFLATE_STEP) != 0)
            break;
        size_t room = out->cap - out->len - 1; /* keep the NUL's byte */
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
        uInt before = z.avail_out;
        rc = deflate(&z, next == end ? Z_FINISH : Z_NO_FLUSH);
        out->len += before - z.avail_out;
        out->data[out->len] = 0;
    }
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

int gzip_decompress(buf *out, const uint8_t *data, size_t len, size_t max_out, cp_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, AUTO_WINDOW) != Z_OK) {
        cp_err_set(err, "zlib init failed");
        return -1;
    }
    const uint8_t *next = data, *end = len ? data + len : data;
    size_t start = out->len;
    int rc = Z_OK;
    for (;;) {
        if (buf_reserve(out, INFLATE_STEP) != 0) {
            cp_err_set(err, "out of memory");
            rc = Z_MEM_ERROR;
            break;
        }
        feed(&z, &next, end);
        /* Room for at most one byte over the cap: enough to tell it was passed. */
        size_t room = out->cap - out->len - 1, left = max_out - (out->len - start);
        if (room > left)
            room = left + 1;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += before - z.avail_out;
        if (out->len - start > max_out) {
            char limit[32];
            size_words(max_out, limit, sizeof limit);
            cp_err_set(err, "larger than %s", limit);
            rc = Z_MEM_ERROR;
            break;
        }
        feed(&z, &next, end);
        if (rc == Z_STREAM_END) {
            /* Concatenated gzip members are one stream (Go's gzip reader agrees). */
            if (z.avail_in >= 2 && gzip_is_gzip(z.next_in, z.avail_in) && inflateReset(&z) == Z_OK)
                continue;
            break;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            cp_err_set(err, "unexpected end of gzip data (truncated file?)");
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            cp_err_set(err, "%s", z.msg ? z.msg : "corrupt gzip data");
            break;
        }
    }
    inflateEnd(&z);
    if (out->data)
        out->data[out->len] = 0;
    return rc == Z_STREAM_END ? 0 : -1;
}

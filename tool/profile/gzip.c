/*
 * gzip.c — gzip in and out through zlib, for profiles on disk and on the
 * wire. Decompression accepts concatenated members (as Go's gzip reader
 * does), reports truncation distinctly from corruption, and bounds the
 * output so a small hostile file cannot exhaust memory.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "model.h"

/* Larger than any real profile; bounds memory on a decompression bomb. */
#define MAX_DECOMPRESSED ((size_t)1 << 31)

int is_gzip(const uint8_t *data, size_t len)
{
    return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

int gunzip(const uint8_t *data, size_t len, buf *out, cp_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        cp_err_set(err, "decompressing profile: zlib init failed");
        return -1;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
    size_t fed = z.avail_in;
    int rc = Z_OK;
    for (;;) {
        if (buf_reserve(out, 1 << 16) != 0 || out->len > MAX_DECOMPRESSED) {
            cp_err_set(err, "decompressing profile: %s",
                       out->oom ? "out of memory" : "larger than 2 GiB");
            rc = Z_MEM_ERROR;
            break;
        }
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len - 1);
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += before - z.avail_out;
        if (z.avail_in == 0 && fed < len) { /* inputs over 4 GiB: feed the rest */
            size_t more = len - fed > UINT32_MAX ? UINT32_MAX : len - fed;
            z.next_in = (Bytef *)data + fed;
            z.avail_in = (uInt)more;
            fed += more;
        }
        if (rc == Z_STREAM_END) {
            /* Concatenated gzip members are one stream (Go's gzip reader agrees). */
            if (z.avail_in >= 2 && is_gzip(z.next_in, z.avail_in) && inflateReset(&z) == Z_OK)
                continue;
            break;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            cp_err_set(err, "decompressing profile: unexpected end of gzip data (truncated "
                            "file?)");
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            cp_err_set(err, "decompressing profile: %s", z.msg ? z.msg : "corrupt gzip data");
            break;
        }
    }
    inflateEnd(&z);
    if (out->data)
        out->data[out->len] = 0;
    return rc == Z_STREAM_END ? 0 : -1;
}

int gzip_bytes(const uint8_t *data, size_t len, buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)len);
    if (buf_reserve(out, bound) != 0) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    out->data[out->len] = 0;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

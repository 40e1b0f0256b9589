/*
 * gzip.h — gzip into and out of a buf through zlib: the library's gzipped
 * /debug/pprof replies, and the tool's profiles on disk and on the wire.
 */
#ifndef CPROF_GZIP_H
#define CPROF_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cp_err.h"

/* Compression levels (zlib's): fastest, for replies on a live service; and
 * zlib's default trade-off, for files. */
#define GZIP_LEVEL_FAST 1
#define GZIP_LEVEL_DEFAULT (-1)

/* 1 when data starts with the gzip magic bytes, else 0. */
int gzip_is_gzip(const uint8_t *data, size_t len);

/* Append data[0..len) gzip-compressed (one member) to out at a zlib level
 * (1 .. 9, or GZIP_LEVEL_DEFAULT).
 * Returns 0, or -1 when zlib or memory failed (out may then hold a partial
 * member; out->oom tells a memory failure). */
int gzip_compress(buf *out, const uint8_t *data, size_t len, int level);

/* Append the decompressed data[0..len) to out. Concatenated members are one
 * stream (as Go's gzip reader has it). Output is capped at max_out bytes, so
 * a small hostile input cannot exhaust memory. Returns 0, or -1 with the
 * reason in err (truncation, corruption, the cap, memory); out then holds
 * what was decompressed so far. out->data stays NUL-terminated. */
int gzip_decompress(buf *out, const uint8_t *data, size_t len, size_t max_out, cp_err *err);

#endif

/*
 * legacy.h — profiles that are not profile.proto: what C services and
 * older tools write, decoded into the model of model.h with google/pprof's
 * semantics (profile/legacy_profile.go) where pprof reads the format.
 *
 *   legacy_heap.c       gperftools/tcmalloc `heap profile:` text (HEAPPROFILE)
 *                       and Go's debug=1 heap/allocs text (`@ heap/2*rate`);
 *                       jemalloc's `heap_v2/RATE` dumps (prof.dump, jeprof's input)
 *   legacy_go.c         Go's debug=1 count profiles (`goroutine profile: total N`,
 *                       threadcreate) and contention text (`--- mutex:`,
 *                       `--- contention:`)
 *   legacy_cpu.c        gperftools' binary CPU profile (CPUPROFILE), with its
 *                       /proc/self/maps trailer
 *   legacy_collapsed.c  collapsed stacks (`a;b;c 123`: flamegraph.pl input)
 *   legacy.c            the detection and the shared builder (addresses to
 *                       locations, memory maps to mappings)
 *
 * The addressed formats carry no function names: their locations get the
 * mappings of the file's MAPPED_LIBRARIES / maps section (or pprof's fake
 * mapping over the whole address space) and no lines, so the driver's
 * symbolizer (tool/symbolize/) names them from the mapped files, or from
 * the binary given on the command line.
 *
 * Untrusted input: parsers read (pointer, end) spans, never past the end;
 * numbers are range-checked (a value that overflows int64 is an error, as
 * in Go's strconv); everything allocated is proportional to the input's
 * size (bounded by profile_size_limit()) and work is linear in it. Every
 * failure is one cp_err line.
 */
#ifndef CPROF_TOOL_LEGACY_H
#define CPROF_TOOL_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash_table.h"
#include "model.h"

/* Each parser answers with profile_format_rc (lib/common/profile_model.h):
 * did not recognize the input (try the next), decoded it, or recognized it
 * and found it malformed (stop: err says why). */

/*
 * The legacy formats in pprof's order (CPU, heap, Go count, contention),
 * then jemalloc and collapsed stacks. *out is the profile (caller frees
 * with profile_free) on PROFILE_FORMAT_OK; err is set on PROFILE_FORMAT_BAD.
 */
profile_format_rc legacy_parse(const uint8_t *data, size_t len, cp_profile **out, cp_err *err);

/* ---- for the format parsers ------------------------------------------ */

/* A span of the input: [p, e). */
typedef struct span {
    const char *p, *e;
} span;

/* The next line of *rest (without "\n" and a trailing "\r", like Go's
 * bufio.ScanLines) in *line; false at the end. */
bool span_next_line(span *rest, span *line);
/* The line without leading and trailing white space. */
span span_trim(span s);
bool span_is_blank_or_comment(span s); /* pprof's isSpaceOrComment */
bool span_starts(span s, const char *prefix);
/* Where needle occurs in s, or NULL. */
const char *span_find(span s, const char *needle);
/* Skip spaces and tabs. */
void span_skip_blanks(span *s);
/* A decimal integer (optional '-' when allow_neg) at s->p, advancing;
 * false when there is none or it overflows int64. */
bool span_int(span *s, bool allow_neg, int64_t *v);
/* Expect one character. */
bool span_char(span *s, char c);
/* pprof's parseHexAddresses: every "0x[0-9a-f]+" in s, in order, into a
 * growable array (*addrs, *n, *cap: xrealloc'd, the caller frees). false
 * when one overflows 64 bits. */
bool span_hex_addresses(span s, uint64_t **addrs, size_t *n, size_t *cap);
/* pprof's isMemoryMapSentinel. */
bool is_memory_map_sentinel(span line);
/* pprof's parseAdditionalSections: what follows the memory-map sentinel
 * line, from line (the line in hand) on through the rest; empty when there
 * is none. */
span legacy_maps_section(span rest, span line);

/* The builder: samples of address stacks (leaf first) into a profile. */
typedef struct legacy_builder {
    cp_profile *p;
    htab locs; /* address -> cp_location* */
    cp_location **loc_v;
    size_t n_locs, cap_locs;
    cp_sample *samples;
    size_t n_samples, cap_samples;
} legacy_builder;

/* A new profile with these sample types ("type/unit" pairs: types[2i],
 * types[2i+1]) and period type; the builder owns it until finished. */
void legacy_begin(legacy_builder *b, const char *const *types, size_t n_types,
                  const char *period_type, const char *period_unit, int64_t period);
/* One sample: addrs (leaf first; frames from index adjust_from on are
 * moved back one byte onto their call instruction, as pprof does; pass n
 * for none), values (n_types of them, copied). Returns the sample (valid
 * until the next legacy_sample). */
cp_sample *legacy_sample(legacy_builder *b, const uint64_t *addrs, size_t n, size_t adjust_from,
                         const int64_t *values);
/* pprof's ParseMemoryMapFromScanner on the rest of the input (maps lines
 * in /proc/PID/maps or pprof's brief form; others ignored): mappings
 * merged, the main binary first, every location given its mapping (a fake
 * one over the whole address space when none covers it). Then the
 * profile, handed to the caller. */
cp_profile *legacy_finish(legacy_builder *b, span maps);
/* Drop the builder and its profile (on an error). */
void legacy_abort(legacy_builder *b);

/* Each format: PROFILE_FORMAT_NO when the input is not one of its files. */
profile_format_rc legacy_parse_cpu(span in, cp_profile **out, cp_err *err);
profile_format_rc legacy_parse_heap(span in, cp_profile **out, cp_err *err);
profile_format_rc legacy_parse_jemalloc(span in, cp_profile **out, cp_err *err);
profile_format_rc legacy_parse_go_count(span in, cp_profile **out, cp_err *err);
profile_format_rc legacy_parse_contention(span in, cp_profile **out, cp_err *err);
profile_format_rc legacy_parse_collapsed(span in, cp_profile **out, cp_err *err);

/* pprof's addLegacyFrameInfo: drop_frames/keep_frames by sample types. */
void legacy_frame_info(cp_profile *p);
/* The heap list plus jemalloc's own allocation API (mallocx, je_*). */
const char *legacy_jemalloc_drop_frames(void);

#endif

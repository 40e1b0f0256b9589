/*
 * text_format.h — pieces shared by the debug=1/2 text encoders (Go's legacy
 * formats in runtime/pprof): stack-record frame lines and the mapping section
 * that lets google/pprof's legacy parser place addresses in binaries.
 */
#ifndef CPROF_TEXT_FORMAT_H
#define CPROF_TEXT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* " 0x<pc> 0x<pc> ..." (leading space per PC), as after "@" in a record. */
void text_write_pcs(buf *out, const uint64_t *pcs, size_t n);

/*
 * One line per frame, inline frames expanded, Go's printStackRecord layout:
 *   "#\t0x<pc>\t<function>+0x<off>\t<file>:<line>\n"
 * PCs are return addresses (looked up at pc-1) unless leaf_exact is set for
 * pcs[0]. Unknown addresses print as "#\t0x<pc>\n".
 */
void text_write_frames(buf *out, const uint64_t *pcs, size_t n, int leaf_exact);

/* "\nMAPPED_LIBRARIES:\n" followed by /proc/self/maps verbatim. */
void text_write_mapped_libraries(buf *out);

/*
 * One record of a count profile (Go's printCountProfile):
 *   "<count> @ 0x<pc> ...\n", "# labels: <labels>\n" when labels is not
 *   NULL (Go's JSON-ish {"key":"value"}), the frame lines, a blank line.
 * An exact leaf (leaf_exact) is written plus one in the "@" list, so the
 * legacy parser's pc-1 lands on it.
 */
void text_write_count_record(buf *out, uint64_t count, const uint64_t *pcs, size_t n,
                             int leaf_exact, const char *labels);

/* "\n--- Memory map: ---\n" and the executable lines of /proc/self/maps:
 * the end of a count profile's text. */
void text_write_code_maps(buf *out);

#endif

/*
 * text_format.c — shared pieces of Go's legacy debug=1 text formats.
 *
 * Frame lines follow runtime/pprof's printStackRecord exactly:
 *   "#\t%#x\t%s+%#x\t%s:%d\n"  (PC, function, PC - function entry, file:line)
 * (Go's %#x prints 0 as "0x0", so we spell out "0x%" PRIx64 rather than C's %#)
 * where PC is the address looked up: runtime.CallersFrames turns a return
 * address into pc-1 (the call instruction), and so do we; an exact leaf PC is
 * used as is. Inlined calls print one line each with the same PC and the
 * offset of the enclosing real function, innermost first, as Go does. An
 * address nothing is known about prints as "#\t0x<pc>\n". No blank line is
 * written after the frames: the record writer owns record separation.
 *
 * The MAPPED_LIBRARIES section is /proc/self/maps verbatim; google/pprof's
 * legacy parser reads it to place the "@ 0x..." addresses in binaries.
 *
 * Count profiles (runtime/pprof's printCountProfile: goroutine, threads,
 * threadcreate) are records "N @ 0x.. 0x..", an optional "# labels:" line,
 * the frame lines and a blank line, then a "--- Memory map: ---" section
 * with the executable lines of /proc/self/maps only (the legacy parser uses
 * no others, and 10,000 thread stacks are 20,000 other lines).
 */
#include "text_format.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "symbolize.h"

void text_write_pcs(buf *out, const uint64_t *pcs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_printf(out, " 0x%" PRIx64, pcs[i]);
}

static void write_one_frame(buf *out, uint64_t addr)
{
    symbol_info si;
    if (symbolize_addr(addr, &si) != 0) {
        buf_printf(out, "#\t0x%" PRIx64 "\n", addr);
        return;
    }
    for (size_t i = 0; i < si.n_lines; i++) {
        const symbol_line *l = &si.lines[i];
        buf_printf(out, "#\t0x%" PRIx64 "\t%s+0x%" PRIx64 "\t%s:%d\n", addr, l->function,
                   si.func_offset, l->filename ? l->filename : "?", l->line);
    }
}

void text_write_frames(buf *out, const uint64_t *pcs, size_t n, int leaf_exact)
{
    for (size_t i = 0; i < n; i++) {
        int exact = i == 0 && leaf_exact;
        uint64_t addr = exact || pcs[i] == 0 ? pcs[i] : pcs[i] - 1;
        write_one_frame(out, addr);
    }
}

void text_write_mapped_libraries(buf *out)
{
    buf_append_str(out, "\nMAPPED_LIBRARIES:\n");
    buf_append_file(out, "/proc/self/maps");
}

void text_write_count_record(buf *out, uint64_t count, const uint64_t *pcs, size_t n,
                             int leaf_exact, const char *labels)
{
    buf_printf(out, "%" PRIu64 " @", count);
    for (size_t i = 0; i < n; i++)
        buf_printf(out, " 0x%" PRIx64, i == 0 && leaf_exact ? pcs[i] + 1 : pcs[i]);
    buf_append_byte(out, '\n');
    if (labels)
        buf_printf(out, "# labels: %s\n", labels);
    text_write_frames(out, pcs, n, leaf_exact);
    buf_append_byte(out, '\n');
}

void text_write_code_maps(buf *out)
{
    buf_append_str(out, "\n--- Memory map: ---\n");
    buf maps;
    buf_init(&maps);
    if (buf_append_file(&maps, "/proc/self/maps") != 0 || maps.oom || !maps.data) {
        buf_free(&maps);
        return;
    }
    const char *p = (const char *)maps.data, *end = p + maps.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl + 1 : end;
        const char *perms = memchr(p, ' ', (size_t)(line_end - p));
        if (perms && line_end - perms > 4 && perms[3] == 'x')
            buf_append(out, p, (size_t)(line_end - p));
        p = line_end;
    }
    buf_free(&maps);
}

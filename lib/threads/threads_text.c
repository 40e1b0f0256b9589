/*
 * threads_text.c — the threads profile as text: Go's count-profile layout
 * at debug=1, and a full dump with one block per thread at debug=2.
 *
 * debug=1 (runtime/pprof's printCountProfile, which google/pprof reads):
 *     threads profile: total 12
 *     10 @ 0x7f..1d 0x55..4c ...
 *     #	0x7f..1c	read+0x1c	?:0
 *     #	0x55..4b	subscriber_main+0x4b	leaky.c:57
 *     (blank line between groups)
 * The "@" list holds return addresses, which the legacy parser moves back
 * by one byte; the leaf is an exact PC, so it is written plus one and lands
 * on itself. Profiler threads carry Go's "# labels:" line. Threads without
 * a stack (signal blocked, exited) are listed as comment lines after the
 * groups, and a "--- Memory map: ---" section (the executable lines of
 * /proc/self/maps: the only ones the parser uses, and with 10,000 threads
 * the thread stacks alone are 20,000 other lines) follows, so
 * `go tool pprof` can place addresses in binaries from a saved file.
 *
 * debug=2, modelled on Go's goroutine dump:
 *     thread 4242 "subscriber" [sleeping in read, age 3.20s, cpu 1.2ms]:
 *     read(...)
 *     	/lib/x86_64-linux-gnu/libc.so.6 +0x1c
 *     subscriber_main(...)
 *     	/src/leaky.c:57 +0x4b
 *     created by tick in thread 4200 "leaky"
 *     	/src/leaky.c:80 +0x4c
 *     main(...)
 *     	/src/leaky.c:101 +0x20
 * "+0x" is the offset into the function; a frame without line information
 * names its binary instead of a source file.
 */
#include "threads.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labels/labels.h"
#include "pprof/symbolize.h"
#include "pprof/text_format.h"

/* ---- debug=1 ------------------------------------------------------------- */

void threads_write_groups_text(const threads_snapshot *s, const char *name, buf *out)
{
    buf_printf(out, "%s profile: total %zu\n", name, s->n);
    size_t ng;
    thread_group *groups = threads_group(s, 0, &ng);
    if (!groups && s->n) {
        out->oom = 1;
        return;
    }
    for (size_t i = 0; i < ng; i++) {
        const thread_capture *c = &groups[i].row->cap;
        /* Go's "# labels: {...}" line: the marker of cprof's own threads,
         * or the program's labels (cprof_label_set). */
        char labels[LABELS_MAX_KEYS * (LABELS_KEY_MAX + LABELS_VALUE_MAX) * 4 + 16];
        labels_format_go(groups[i].row->labels, labels, sizeof labels);
        text_write_count_record(out, groups[i].count, c->pcs, c->n_pcs, 1,
                                groups[i].row->internal ? "{\"cprof\":\"internal\"}"
                                : labels[0]             ? labels
                                                        : NULL);
    }
    free(groups);
    for (size_t i = 0; i < s->n; i++) {
        const char *reason = threads_no_stack_reason(&s->rows[i]);
        if (reason)
            buf_printf(out, "# thread %d: %s\n", (int)s->rows[i].tid, reason);
    }
    text_write_code_maps(out);
}

/* ---- debug=2 ------------------------------------------------------------- */

/* Go-like short durations: 850us, 12.5ms, 3.20s, 4m05s, 2h03m00s. */
static void format_duration(int64_t ns, char *out, size_t len)
{
    if (ns < 1000000)
        snprintf(out, len, "%" PRId64 "us", ns / 1000);
    else if (ns < 1000000000)
        snprintf(out, len, "%.1fms", (double)ns / 1e6);
    else if (ns < 60 * 1000000000ll)
        snprintf(out, len, "%.2fs", (double)ns / 1e9);
    else if (ns < 3600 * 1000000000ll)
        snprintf(out, len, "%dm%02ds", (int)(ns / 60000000000ll), (int)(ns / 1000000000 % 60));
    else
        snprintf(out, len, "%dh%02dm%02ds", (int)(ns / 3600000000000ll),
                 (int)(ns / 60000000000ll % 60), (int)(ns / 1000000000 % 60));
}

typedef struct map_table {
    mapping_info *v;
    size_t n;
} map_table;

static const mapping_info *mapping_of(const map_table *maps, uint64_t addr)
{
    for (size_t i = 0; i < maps->n; i++) {
        if (addr >= maps->v[i].start && addr < maps->v[i].limit && maps->v[i].filename[0])
            return &maps->v[i];
    }
    return NULL;
}

/* "\t<file>:<line> +0x<off>\n" with the offset into the function; without
 * a line, the binary and, when the function is unknown too, the offset
 * into the file (what addr2line and objdump take). */
static void write_position(buf *out, const symbol_line *l, const symbol_info *si, uint64_t addr,
                           const map_table *maps)
{
    if (l && l->filename) {
        buf_printf(out, "\t%s:%d +0x%" PRIx64 "\n", l->filename, l->line, si->func_offset);
        return;
    }
    const mapping_info *m = mapping_of(maps, addr);
    uint64_t offset = l ? si->func_offset : m ? addr - m->start + m->offset : addr;
    buf_printf(out, "\t%s +0x%" PRIx64 "\n", m ? m->filename : "?", offset);
}

/* One frame, inline calls expanded innermost first; lines[from..]. */
static void write_frame_lines(buf *out, const symbol_info *si, size_t from, uint64_t addr,
                              const map_table *maps)
{
    for (size_t i = from; i < si->n_lines; i++) {
        buf_printf(out, "%s(...)\n", si->lines[i].function);
        write_position(out, &si->lines[i], si, addr, maps);
    }
}

static void write_stack(buf *out, const uint64_t *pcs, size_t n, int leaf_exact,
                        const map_table *maps)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t addr = (i == 0 && leaf_exact) || pcs[i] == 0 ? pcs[i] : pcs[i] - 1;
        symbol_info si;
        if (symbolize_addr(addr, &si) == 0 && si.n_lines > 0) {
            write_frame_lines(out, &si, 0, addr, maps);
            continue;
        }
        buf_printf(out, "0x%" PRIx64 "(...)\n", addr);
        write_position(out, NULL, NULL, addr, maps);
    }
}

static void write_header(buf *out, const thread_row *r)
{
    char age[32] = "", cpu[32] = "";
    if (r->age_ns >= 0)
        format_duration(r->age_ns, age, sizeof age);
    if (r->cpu_ns >= 0)
        format_duration(r->cpu_ns, cpu, sizeof cpu);
    buf_printf(out, "thread %d \"%s\" [%s", (int)r->tid, r->proc_ok ? r->proc.name : "?",
               r->proc_ok ? threads_state_name(r->proc.state) : "gone");
    if (r->syscall[0])
        buf_printf(out, " in %s", r->syscall);
    if (age[0])
        buf_printf(out, ", age %s", age);
    if (cpu[0])
        buf_printf(out, ", cpu %s", cpu);
    if (r->internal)
        buf_append_str(out, ", cprof internal");
    if (r->labels) {
        char labels[LABELS_MAX_KEYS * (LABELS_KEY_MAX + LABELS_VALUE_MAX) * 4 + 16];
        labels_format_go(r->labels, labels, sizeof labels);
        buf_printf(out, ", labels %s", labels);
    }
    const char *reason = threads_no_stack_reason(r);
    if (reason)
        buf_printf(out, ", %s", reason);
    buf_append_str(out, "]:\n");
}

static void write_created_by(buf *out, const thread_row *r, pid_t pid, const map_table *maps)
{
    if (!r->has_birth) {
        if (r->tid != pid)
            buf_append_str(out, "created by ? (not recorded: started before cprof was loaded, "
                                "or not through pthread_create)\n");
        return;
    }
    const thread_birth_info *b = &r->birth;
    symbol_info si;
    uint64_t addr = b->n_creator ? b->creator[0] - 1 : 0;
    int known = b->n_creator && symbolize_addr(addr, &si) == 0 && si.n_lines > 0;
    buf_printf(out, "created by %s in thread %d \"%s\"\n", known ? si.lines[0].function : "?",
               (int)b->creator_tid, b->creator_name);
    if (!b->n_creator)
        return;
    if (known) {
        write_position(out, &si.lines[0], &si, addr, maps);
        write_frame_lines(out, &si, 1, addr, maps);
    } else {
        write_position(out, NULL, NULL, addr, maps);
    }
    write_stack(out, b->creator + 1, b->n_creator - 1, 0, maps);
}

void threads_write_dump_text(const threads_snapshot *s, buf *out)
{
    map_table maps;
    maps.v = mappings_read_self(&maps.n);
    for (size_t i = 0; i < s->n; i++) {
        const thread_row *r = &s->rows[i];
        write_header(out, r);
        if (r->cap.n_pcs == 0 && r->leaf_pc) /* where /proc says it waits */
            write_stack(out, &r->leaf_pc, 1, 1, &maps);
        write_stack(out, r->cap.pcs, r->cap.n_pcs, 1, &maps);
        write_created_by(out, r, s->pid, &maps);
        buf_append_byte(out, '\n');
    }
    free(maps.v);
}

/* An interned string that lives as long as the process, or "?". */
const char *threads_creator_function(uint64_t creator_pc)
{
    symbol_info si;
    if (creator_pc && symbolize_addr(creator_pc - 1, &si) == 0 && si.n_lines > 0)
        return si.lines[0].function;
    return "?";
}

/*
 * report_weblist.c — `weblist REGEX`: the source of every matching function
 * with flat and cum per line, each line expandable to the instructions
 * compiled from it (with their own flat and cum and the inlined calls that
 * led to them), as an HTML page: google/pprof's printWebSource
 * (report/source.go), the same algorithm and the same listing markup.
 *
 *   1. Samples: per address, flat (the leaf) and cum (counted per frame as
 *      pprof does); every frame whose inlined-function chain has a line of
 *      a function, file or binary matching REGEX marks that function as
 *      interesting and its address as one to show.
 *   2. Those addresses, per binary (objfile_open: found as the symbolizer
 *      finds it), are grouped into ranges (neighbours within 1000 bytes,
 *      widened by 500 each side inside the mapping), the 25 with the most
 *      flat weight disassembled by objdump (symbolize/objtool.h); each
 *      instruction's inlined-call chain comes from the binary's DWARF
 *      (objfile_frames), else from objdump's line annotations. Addresses
 *      of no binary keep their location's lines, without instructions.
 *   3. Each instruction is filed under the file:line of every frame of its
 *      chain that belongs to an interesting function; lines of one function
 *      closer than 20 apart form one listing, widened by 5 lines. Source is
 *      read as `list` reads it (read_source: -source_path, -trim_path).
 *
 * Untrusted text: function, file names and source lines come from the
 * profile and from files it names; everything is HTML-escaped
 * (buf_append_html). The page is self-contained (inline CSS and a small
 * script that toggles a line's instructions); the web UI embeds the body
 * alone and its ui.js does the toggling.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "profile/filters.h"
#include "profile/measure.h"
#include "report.h"
#include "symbolize/objtool.h"

#define WL_EXPAND_RANGE 500
#define WL_MAX_RANGES 25
#define WL_MERGE_LIMIT 20
#define WL_EXPAND_LINES 5
#define WL_NEIGHBORHOOD 32

/* ---- small sorted maps ---------------------------------------------------- */

typedef struct addr_value {
    uint64_t addr;
    int64_t flat, cum;
} addr_value;

/* An address to show: its first location, its binary (NULL: none). */
typedef struct addr_info {
    uint64_t addr;
    const cp_location *loc;
    objfile *obj;
    size_t seq; /* first seen first */
} addr_info;

typedef struct call_id {
    const char *file;
    int64_t line;
} call_id;

/* One instruction (instructionInfo), by profile address. */
typedef struct inst_info {
    uint64_t addr, obj_addr;
    int length;
    const char *disasm; /* "" for an address without a binary */
    const char *file;
    int64_t line;
    int64_t flat, cum;
} inst_info;

/* An instruction shown under a file:line (sourceInst). */
typedef struct line_inst {
    const char *file; /* canonical, interned */
    int64_t line;
    const char *func; /* the frame's function */
    uint64_t addr;
    call_id *stack; /* callers first */
    size_t n_stack;
    size_t seq;
} line_inst;

typedef struct weblist {
    report *r;
    arena mem;
    const char *search_path;
    addr_value *values;
    size_t n_values, cap_values;
    addr_info *addrs;
    size_t n_addrs, cap_addrs;
    const char **interest; /* interned names, sorted after collection */
    size_t n_interest, cap_interest;
    inst_info *insts; /* sorted by addr after expansion */
    size_t n_insts, cap_insts;
    line_inst *lines;
    size_t n_lines, cap_lines;
    htab pretty; /* cp_function * by system name (those with another name) */
    /* opened binaries, one per mapping file */
    const char **obj_files;
    objfile **objs;
    size_t n_objs;
    /* source files read */
    const char **src_names;
    source_file *srcs;
    size_t n_srcs;
} weblist;

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : 64;                                                          \
            (arr) = xrealloc((arr), (cap), sizeof *(arr));                                         \
        }                                                                                          \
    } while (0)

/* qsort: by address. */
static int cmp_value(const void *a, const void *b)
{
    const addr_value *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* qsort: by address, then first seen first. */
static int cmp_info(const void *a, const void *b)
{
    const addr_info *x = a, *y = b;
    if (x->addr != y->addr)
        return (x->addr > y->addr) - (x->addr < y->addr);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* qsort/bsearch over interned strings: by pointer. */
static int cmp_ptr(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return (x > y) - (x < y);
}

/* By address, then by the order recorded (kept in flat while sorting). */
static int cmp_inst(const void *a, const void *b)
{
    const inst_info *x = a, *y = b;
    if (x->addr != y->addr)
        return (x->addr > y->addr) - (x->addr < y->addr);
    return (x->flat > y->flat) - (x->flat < y->flat);
}

_Static_assert(offsetof(addr_value, addr) == 0 && offsetof(inst_info, addr) == 0,
               "lower_bound reads the address at the start of an element");

/* The first of n elements (each size bytes, sorted by the address they
 * start with: addr_value and inst_info) whose address is >= addr. */
static size_t lower_bound(const void *v, size_t n, size_t size, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint64_t at;
        memcpy(&at, (const char *)v + mid * size, sizeof at);
        if (at < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first value entry at or after addr (values sorted and merged). */
static size_t value_lower_bound(const weblist *w, uint64_t addr)
{
    return lower_bound(w->values, w->n_values, sizeof *w->values, addr);
}

/* The flat value sampled at exactly addr (0 when none). */
static int64_t flat_at(const weblist *w, uint64_t addr)
{
    size_t i = value_lower_bound(w, addr);
    return i < w->n_values && w->values[i].addr == addr ? w->values[i].flat : 0;
}

/* The instruction recorded at addr, or NULL. */
static inst_info *find_inst(const weblist *w, uint64_t addr)
{
    size_t i = lower_bound(w->insts, w->n_insts, sizeof *w->insts, addr);
    return i < w->n_insts && w->insts[i].addr == addr ? &w->insts[i] : NULL;
}

/* Whether a function name (interned) is one the listing shows. */
static bool interesting(const weblist *w, const char *name)
{
    return name && bsearch(&name, w->interest, w->n_interest, sizeof *w->interest, cmp_ptr) != NULL;
}

/* A system name's printable name (pprof's prettyNames), else itself. */
/* htab_eq_fn: the function's system name is the key (interned). */
static int system_name_eq(const void *key, const void *item)
{
    return ((const cp_function *)item)->system_name == key;
}

static const char *pretty_name(const weblist *w, const char *name)
{
    const cp_function *f = htab_find(&w->pretty, hash_ptr(0, name), system_name_eq, name);
    return f ? f->name : name;
}

/* sourcePrinter.objectFile: the mapping's binary, opened once (NULL: not
 * found; said once on stderr). */
static objfile *object_for(weblist *w, const cp_mapping *m)
{
    if (!m)
        return NULL;
    for (size_t i = 0; i < w->n_objs; i++)
        if (w->obj_files[i] == m->file)
            return w->objs[i];
    cp_err err;
    objfile *f = objfile_open(m, w->r->o.symbolize, &err);
    if (!f)
        objfile_say_once(&err);
    w->obj_files = xrealloc(w->obj_files, w->n_objs + 1, sizeof *w->obj_files);
    w->objs = xrealloc(w->objs, w->n_objs + 1, sizeof *w->objs);
    w->obj_files[w->n_objs] = m->file;
    w->objs[w->n_objs++] = f;
    return f;
}

/* ---- 1. samples ------------------------------------------------------------- */

static void mark_interest(weblist *w, uint64_t addr, const cp_location *loc, size_t index)
{
    const cp_function *fn = loc->lines[index].function;
    if (!fn)
        return;
    GROW(w->interest, w->n_interest, w->cap_interest);
    w->interest[w->n_interest++] = fn->name;
    GROW(w->interest, w->n_interest, w->cap_interest);
    w->interest[w->n_interest++] = fn->system_name;
    GROW(w->addrs, w->n_addrs, w->cap_addrs);
    w->addrs[w->n_addrs] = (addr_info){.addr = addr, .loc = loc, .seq = w->n_addrs};
    w->n_addrs++;
}

/* Whether REGEX matches a line's function name, system name or file. */
static bool line_matches(const regex_t *re, const cp_line *l)
{
    const cp_function *f = l->function;
    return f && (regex_match(re, f->name) || regex_match(re, f->system_name) ||
                 regex_match(re, f->filename));
}

/* A location's address; one without (pprof's synthCode) gets a synthetic
 * one per location, past every mapping. */
static uint64_t location_address(const cp_location *loc)
{
    return loc->address ? loc->address : UINT64_MAX - loc->index;
}

/* Per-address flat and cum from every sample (mean divisor applied), and
 * the interesting functions and addresses; then sorted and merged. */
static void collect_samples(weblist *w)
{
    const report *r = w->r;
    const regex_t *re = r->o.symbol;
    uint64_t address = 0;
    bool has_address = report_symbol_address(r->o.symbol_src, &address);
    /* Values per location first (a profile has far fewer locations than
     * sample frames); each location's names and interest looked at once,
     * the first time a sample reaches it (pprof's map order: first seen). */
    size_t n_locs = r->p->n_locations;
    int64_t *flat = xcalloc(n_locs + 1, sizeof *flat), *cum = xcalloc(n_locs + 1, sizeof *cum);
    bool *seen = xcalloc(n_locs + 1, sizeof *seen);
    for (size_t s = 0; s < r->p->n_samples; s++) {
        const cp_sample *sm = &r->p->samples[s];
        int64_t value = sm->values[r->o.value_index];
        if (r->o.mean && sm->values[0] != 0)
            value /= sm->values[0];
        for (size_t i = sm->n_locs; i-- > 0;) {
            const cp_location *loc = sm->locs[i];
            cum[loc->index] += value;
            if (i == 0)
                flat[loc->index] += value;
            if (seen[loc->index])
                continue;
            seen[loc->index] = true;
            for (size_t k = 0; k < loc->n_lines; k++) {
                const cp_function *f = loc->lines[k].function;
                if (!f || f->system_name == f->name)
                    continue;
                uint64_t h = hash_ptr(0, f->system_name);
                if (!htab_find(&w->pretty, h, system_name_eq, f->system_name) &&
                    htab_insert(&w->pretty, h, (void *)f) != 0)
                    die_oom();
            }
            uint64_t addr = location_address(loc);
            if (has_address && addr == address) {
                if (loc->n_lines)
                    mark_interest(w, addr, loc, loc->n_lines - 1);
                continue;
            }
            bool match_file = loc->mapping && regex_match(re, loc->mapping->file);
            for (size_t k = 0; k < loc->n_lines; k++)
                if ((k == 0 && match_file) || line_matches(re, &loc->lines[k]))
                    mark_interest(w, addr, loc, k);
        }
    }
    for (size_t i = 0; i < n_locs; i++)
        if (seen[i]) {
            GROW(w->values, w->n_values, w->cap_values);
            w->values[w->n_values++] =
                (addr_value){location_address(r->p->locations[i]), flat[i], cum[i]};
        }
    free(flat);
    free(cum);
    free(seen);
    /* Merge the per-address values and the interest sets. */
    if (w->n_values)
        qsort(w->values, w->n_values, sizeof *w->values, cmp_value);
    size_t m = 0;
    for (size_t i = 0; i < w->n_values; i++) {
        if (m && w->values[m - 1].addr == w->values[i].addr) {
            w->values[m - 1].flat += w->values[i].flat;
            w->values[m - 1].cum += w->values[i].cum;
        } else
            w->values[m++] = w->values[i];
    }
    w->n_values = m;
    if (w->n_addrs)
        qsort(w->addrs, w->n_addrs, sizeof *w->addrs, cmp_info);
    m = 0;
    for (size_t i = 0; i < w->n_addrs; i++)
        if (!m || w->addrs[m - 1].addr != w->addrs[i].addr)
            w->addrs[m++] = w->addrs[i];
    w->n_addrs = m;
    if (w->n_interest)
        qsort(w->interest, w->n_interest, sizeof *w->interest, cmp_ptr);
    m = 0;
    for (size_t i = 0; i < w->n_interest; i++)
        if (!m || w->interest[m - 1] != w->interest[i])
            w->interest[m++] = w->interest[i];
    w->n_interest = m;
}

/* ---- 2. instructions ------------------------------------------------------- */

typedef struct frame {
    const char *func, *file;
    int64_t line;
} frame;

/* addStack: the instruction filed under every interesting frame. */
static void add_stack(weblist *w, uint64_t addr, const frame *frames, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!interesting(w, frames[i].func))
            continue;
        const char *fname = frames[i].file;
        if (!strncmp(fname, "/proc/self/cwd/", 15))
            fname += 15;
        if (!strncmp(fname, "./", 2))
            fname += 2;
        GROW(w->lines, w->n_lines, w->cap_lines);
        line_inst *li = &w->lines[w->n_lines];
        *li = (line_inst){.file = clean_path(fname),
                          .line = frames[i].line,
                          .func = frames[i].func,
                          .addr = addr,
                          .n_stack = i,
                          .seq = w->n_lines};
        li->stack = i ? arena_alloc(&w->mem, i, sizeof *li->stack) : NULL;
        for (size_t j = 0; j < i; j++) /* callers first */
            li->stack[j] = (call_id){frames[i - 1 - j].file, frames[i - 1 - j].line};
        w->n_lines++;
    }
}

/* One instruction recorded (sorted and deduplicated later). */
static void add_inst(weblist *w, inst_info x)
{
    GROW(w->insts, w->n_insts, w->cap_insts);
    w->insts[w->n_insts++] = x;
}

typedef struct addr_range {
    uint64_t begin, end;
    objfile *obj;
    int64_t score;
} addr_range;

/* qsort: the heaviest range (flat) first. */
static int cmp_range(const void *a, const void *b)
{
    const addr_range *x = a, *y = b;
    return (x->score < y->score) - (x->score > y->score);
}

/* The frames of one instruction: the binary's, else objdump's line. */
static size_t inst_frames(objfile *obj, uint64_t addr, const obj_inst *in, frame *out)
{
    symbol_info si;
    if (objfile_frames(obj, addr, &si) == 0 && si.n_lines > 0) {
        for (size_t k = 0; k < si.n_lines; k++)
            out[k] = (frame){si.lines[k].function ? si.lines[k].function : "",
                             si.lines[k].filename ? si.lines[k].filename : "", si.lines[k].line};
        return si.n_lines;
    }
    out[0] = (frame){intern_cstr(in->function), intern_cstr(in->file), in->line};
    return 1;
}

/* One range disassembled: instructions recorded and filed. */
static void expand_range(weblist *w, const addr_range *rg)
{
    uint64_t obj_begin, obj_end;
    if (!objfile_addr(rg->obj, rg->begin, &obj_begin) ||
        !objfile_addr(rg->obj, rg->end, &obj_end)) {
        fprintf(stderr, "cprof: failed to compute the objdump address of range %llx\n",
                (unsigned long long)rg->begin);
        return;
    }
    uint64_t base = rg->begin - obj_begin;
    obj_inst *insts;
    size_t n;
    cp_err err;
    if (objtool_disasm(objfile_path(rg->obj), obj_begin, obj_end, &insts, &n, &err) != 0) {
        fprintf(stderr, "cprof: %s\n", err.msg);
        return;
    }
    frame last[SYMBOL_MAX_INLINE], frames[SYMBOL_MAX_INLINE];
    size_t n_last = 0;
    uint64_t last_addr = 0, max_addr = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t addr = insts[i].addr + base;
        if (addr <= max_addr)
            continue; /* duplicate output */
        max_addr = addr;
        int length = 1;
        if (i + 1 < n && insts[i + 1].addr > insts[i].addr)
            length = (int)(insts[i + 1].addr - insts[i].addr);
        size_t nf = inst_frames(rg->obj, addr, &insts[i], frames);
        add_inst(w, (inst_info){.addr = addr,
                                .obj_addr = insts[i].addr,
                                .length = length,
                                .disasm = intern_cstr(insts[i].text),
                                .file = frames[0].file,
                                .line = frames[0].line});
        if (nf > 0 && frames[0].line != 0) {
            memcpy(last, frames, nf * sizeof *frames);
            n_last = nf;
            last_addr = addr;
        } else if (addr - last_addr <= WL_NEIGHBORHOOD && n_last) {
            memcpy(frames, last, n_last * sizeof *frames);
            nf = n_last;
        }
        add_stack(w, addr, frames, nf);
    }
    objtool_insts_free(insts, n);
}

/* expandAddresses: splitIntoRanges, the ranges disassembled, then the
 * addresses of no binary (handleUnprocessed). */
static void expand_addresses(weblist *w)
{
    addr_range *ranges = NULL;
    size_t n_ranges = 0, cap_ranges = 0;
    for (size_t i = 0; i < w->n_addrs; i++)
        w->addrs[i].obj = w->addrs[i].loc->address ? object_for(w, w->addrs[i].loc->mapping) : NULL;
    for (size_t i = 0; i < w->n_addrs;) {
        if (!w->addrs[i].obj) {
            i++;
            continue;
        }
        uint64_t begin = w->addrs[i].addr, end = begin;
        int64_t sum = flat_at(w, begin);
        const cp_mapping *m = w->addrs[i].loc->mapping;
        objfile *obj = w->addrs[i].obj;
        i++;
        while (i < w->n_addrs &&
               (!w->addrs[i].obj ||
                (w->addrs[i].addr <= end + 2 * WL_EXPAND_RANGE && w->addrs[i].addr < m->limit))) {
            if (w->addrs[i].obj) {
                end = w->addrs[i].addr;
                sum += flat_at(w, end);
            }
            i++;
        }
        begin = m->start - begin >= WL_EXPAND_RANGE ? begin - WL_EXPAND_RANGE : m->start;
        end = m->limit - end >= WL_EXPAND_RANGE ? end + WL_EXPAND_RANGE : m->limit;
        GROW(ranges, n_ranges, cap_ranges);
        ranges[n_ranges++] = (addr_range){begin, end, obj, sum};
    }
    /* handleUnprocessed */
    for (size_t i = 0; i < w->n_addrs; i++) {
        if (w->addrs[i].obj)
            continue;
        const cp_location *loc = w->addrs[i].loc;
        frame frames[SYMBOL_MAX_INLINE];
        size_t nf = 0;
        for (size_t k = 0; k < loc->n_lines && nf < SYMBOL_MAX_INLINE; k++)
            if (loc->lines[k].function)
                frames[nf++] = (frame){loc->lines[k].function->name,
                                       loc->lines[k].function->filename, loc->lines[k].line};
        add_inst(w, (inst_info){.addr = w->addrs[i].addr,
                                .obj_addr = w->addrs[i].addr,
                                .length = 1,
                                .disasm = "",
                                .file = nf ? frames[0].file : "",
                                .line = nf ? frames[0].line : 0});
        add_stack(w, w->addrs[i].addr, frames, nf);
    }
    if (n_ranges > 1)
        qsort(ranges, n_ranges, sizeof *ranges, cmp_range);
    for (size_t i = 0; i < n_ranges && i < WL_MAX_RANGES; i++)
        expand_range(w, &ranges[i]);
    free(ranges);
    /* Sorted by address; the first record of an address wins. */
    if (w->n_insts > 1) {
        for (size_t i = 0; i < w->n_insts; i++)
            w->insts[i].flat = (int64_t)i; /* stable: keep the order as a tie-break */
        qsort(w->insts, w->n_insts, sizeof *w->insts, cmp_inst);
    }
    size_t m = 0;
    for (size_t i = 0; i < w->n_insts; i++)
        if (!m || w->insts[m - 1].addr != w->insts[i].addr)
            w->insts[m++] = w->insts[i];
    w->n_insts = m;
    /* initSamples: the samples inside an instruction move to its start. */
    for (size_t i = 0; i < w->n_insts; i++) {
        inst_info *x = &w->insts[i];
        x->flat = x->cum = 0;
        uint64_t end = x->addr + (uint64_t)x->length;
        for (size_t k = value_lower_bound(w, x->addr);
             k < w->n_values && w->values[k].addr < end && w->values[k].addr >= x->addr; k++) {
            x->flat += w->values[k].flat;
            x->cum += w->values[k].cum;
        }
    }
}

/* ---- 3. printing --------------------------------------------------------- */

static int cmp_line_inst(const void *a, const void *b)
{
    const line_inst *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return (x->line > y->line) - (x->line < y->line);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* sourceReader.line: the text of a line, or NULL. */
static const char *source_line(weblist *w, const char *path, int64_t line)
{
    size_t i = 0;
    for (; i < w->n_srcs; i++)
        if (w->src_names[i] == path)
            break;
    if (i == w->n_srcs) {
        w->src_names = xrealloc(w->src_names, w->n_srcs + 1, sizeof *w->src_names);
        w->srcs = xrealloc(w->srcs, w->n_srcs + 1, sizeof *w->srcs);
        w->src_names[i] = path;
        read_source(&w->srcs[i], path, w->search_path, w->r->o.trim_path);
        w->n_srcs++;
    }
    const source_file *sf = &w->srcs[i];
    if (line < 1 || (size_t)line > sf->n)
        return NULL;
    return sf->lines[line - 1];
}

/* The text escaped into b, then padded to width characters (rightPad
 * counts runes; bytes here, the same for ASCII source). */
static void append_padded(buf *b, const char *s, size_t width)
{
    buf_append_html(b, s, (size_t)-1);
    for (size_t n = strlen(s); n < width; n++)
        buf_append_byte(b, ' ');
}

static size_t indentation(const char *line)
{
    size_t column = 0;
    for (; *line; line++) {
        if (*line == ' ')
            column++;
        else if (*line == '\t')
            column = column + 8 - column % 8;
        else
            break;
    }
    return column;
}

/* printNested: a line's instructions, hidden until the line is clicked. */
static void print_nested(weblist *w, buf *b, size_t indent, const line_inst *li, size_t n)
{
    const report *r = w->r;
    char fa[64], ca[64];
    buf_append_str(b, "<span class=asm>");
    const call_id *cur = NULL;
    size_t n_cur = 0;
    uint64_t last_addr = 0;
    for (size_t i = 0; i < n; i++) {
        const inst_info *x = find_inst(w, li[i].addr);
        const inst_info *prev = find_inst(w, last_addr);
        bool starts_block = li[i].addr != last_addr + (uint64_t)(prev ? prev->length : 0);
        last_addr = li[i].addr;
        if (starts_block && i != 0)
            buf_printf(b, " %8s %27s\xe2\x8b\xae\n", "", ""); /* %28s of one rune */
        for (size_t j = 0; j < li[i].n_stack; j++) {
            const call_id *c = &li[i].stack[j];
            if (j < n_cur && cur[j].file == c->file && cur[j].line == c->line)
                continue;
            n_cur = 0;
            const char *text = source_line(w, c->file, c->line);
            buf line;
            buf_init(&line);
            for (size_t k = 0; k < indent + 4 + 4 * j; k++)
                buf_append_byte(&line, ' ');
            if (text) {
                const char *t = text + strspn(text, " \t");
                size_t len = strlen(t);
                while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
                    len--;
                buf_append(&line, t, len);
            }
            buf_append_byte(&line, 0);
            buf_printf(b, " %8s %10s %10s %8s  <span class=inlinesrc>", "", "", "", "");
            append_padded(b, (const char *)line.data, 80);
            buf_append_str(b, "</span> <span class=unimportant>");
            buf_append_html(b, path_base(c->file), (size_t)-1);
            buf_printf(b, ":%lld</span>\n", (long long)c->line);
            buf_free(&line);
        }
        cur = li[i].stack;
        n_cur = li[i].n_stack;
        if (!x || !*x->disasm)
            continue;
        buf text;
        buf_init(&text);
        for (size_t k = 0; k < indent + 4 + 4 * n_cur; k++)
            buf_append_byte(&text, ' ');
        buf_append_str(&text, x->disasm);
        buf_append_byte(&text, 0);
        buf_printf(b, " %8s %10s %10s %8llx: ", "", report_value_or_dot(r, x->flat, fa),
                   report_value_or_dot(r, x->cum, ca), (unsigned long long)x->obj_addr);
        append_padded(b, (const char *)text.data, 80);
        buf_append_str(b, " <span class=unimportant>");
        if (*x->file) {
            buf_append_html(b, path_base(x->file), (size_t)-1);
            buf_printf(b, ":%lld", (long long)x->line);
        }
        buf_append_str(b, "</span>\n");
        buf_free(&text);
    }
    buf_append_str(b, "</span>");
}

typedef struct source_function {
    const char *name;
    int64_t begin, end, flat, cum;
} source_function;

/* One file's listings (functions + printFile). li: the file's records,
 * sorted by line. */
static void print_file(weblist *w, buf *b, const line_inst *li, size_t n)
{
    const report *r = w->r;
    source_function *fns = NULL;
    size_t n_fns = 0, cap_fns = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        source_function fn = {pretty_name(w, li[i].func), li[i].line, li[i].line + 1, 0, 0};
        for (; j < n && li[j].line == li[i].line; j++) {
            const inst_info *x = find_inst(w, li[j].addr);
            if (x)
                fn.flat += x->flat, fn.cum += x->cum;
        }
        if (n_fns && li[i].line - fns[n_fns - 1].end < WL_MERGE_LIMIT &&
            fns[n_fns - 1].name == fn.name) {
            fns[n_fns - 1].end = li[i].line + 1;
            fns[n_fns - 1].flat += fn.flat;
            fns[n_fns - 1].cum += fn.cum;
        } else {
            GROW(fns, n_fns, cap_fns);
            fns[n_fns++] = fn;
        }
        i = j;
    }
    for (size_t i = 0; i < n_fns; i++) {
        if (i == 0) {
            if (fns[i].begin > WL_EXPAND_LINES)
                fns[i].begin -= WL_EXPAND_LINES;
            else if (fns[i].begin > 1)
                fns[i].begin = 1;
        } else {
            int64_t half = (fns[i].begin - fns[i - 1].end) / 2;
            if (half > WL_EXPAND_LINES)
                half = WL_EXPAND_LINES;
            fns[i - 1].end += half;
            fns[i].begin -= half;
        }
    }
    if (n_fns)
        fns[n_fns - 1].end += WL_EXPAND_LINES;
    const char *fname = li[0].file;
    size_t k0 = 0;
    for (size_t f = 0; f < n_fns; f++) {
        const source_function *fn = &fns[f];
        if (fn->cum == 0)
            continue;
        char fa[64], ca[64], pct[32];
        buf_append_str(b, "<h2>");
        buf_append_html(b, fn->name, (size_t)-1);
        buf_append_str(b, "</h2><p class=\"filename\">");
        buf_append_html(b, fname, (size_t)-1);
        buf_printf(b, "</p>\n<pre class=\"weblist\">\n  Total:  %10s %10s (flat, cum) %s\n",
                   report_format_value(r, fn->flat, fa), report_format_value(r, fn->cum, ca),
                   measure_percentage(pct, fn->cum, r->total));
        while (k0 < n && li[k0].line < fn->begin)
            k0++;
        for (int64_t l = fn->begin; l < fn->end; l++) {
            size_t k1 = k0;
            while (k1 < n && li[k1].line == l)
                k1++;
            const char *text = source_line(w, fname, l);
            if (!text) {
                if (k1 == k0) {
                    k0 = k1;
                    continue;
                }
                text = l == 0 ? "<instructions with unknown line numbers>" : "???";
            }
            int64_t flat = 0, cum = 0;
            bool nested = false;
            for (size_t k = k0; k < k1; k++) {
                const inst_info *x = find_inst(w, li[k].addr);
                if (x) {
                    flat += x->flat, cum += x->cum;
                    nested |= *x->disasm != 0;
                }
                nested |= li[k].n_stack > 0;
            }
            const char *cls = k1 == k0 ? "nop" : nested ? "livesrc" : "deadsrc";
            buf_printf(b, "<span class=line> %6lld</span> <span class=%s>  %10s %10s %8s  ",
                       (long long)l, cls, report_value_or_dot(r, flat, fa),
                       report_value_or_dot(r, cum, ca), "");
            buf_append_html(b, text, (size_t)-1);
            buf_append_str(b, " </span>");
            if (nested)
                print_nested(w, b, indentation(text), li + k0, k1 - k0);
            buf_append_byte(b, '\n');
            k0 = k1;
        }
        buf_append_str(b, "</pre>\n");
    }
    free(fns);
}

/* Frees everything w holds: tables, binaries, sources, its arena. */
static void weblist_free(weblist *w)
{
    free(w->values);
    free(w->addrs);
    free(w->interest);
    free(w->insts);
    free(w->lines);
    htab_free(&w->pretty);
    for (size_t i = 0; i < w->n_objs; i++)
        objfile_close(w->objs[i]);
    free(w->objs);
    free(w->obj_files);
    for (size_t i = 0; i < w->n_srcs; i++)
        free_source(&w->srcs[i]);
    free(w->srcs);
    free(w->src_names);
    arena_free(&w->mem);
}

/* The listing into b: 0, or -1 with err (no match). */
static int weblist_listing(report *r, buf *b, cp_err *err)
{
    char cwd[PATH_MAX];
    weblist w = {.r = r};
    arena_init(&w.mem);
    htab_init(&w.pretty, NULL);
    w.search_path = report_search_path(r, cwd, sizeof cwd, err);
    if (!w.search_path) {
        arena_free(&w.mem);
        return -1;
    }
    collect_samples(&w);
    if (w.n_interest == 0) {
        cp_err_set(err, "no matches found for regexp: %s", r->o.symbol_src);
        weblist_free(&w);
        return -1;
    }
    expand_addresses(&w);
    if (w.n_lines > 1)
        qsort(w.lines, w.n_lines, sizeof *w.lines, cmp_line_inst);
    for (size_t i = 0; i < w.n_lines;) {
        size_t j = i;
        while (j < w.n_lines && w.lines[j].file == w.lines[i].file)
            j++;
        print_file(&w, b, w.lines + i, j - i);
        i = j;
    }
    weblist_free(&w);
    return 0;
}

/* The legend: the profile's header lines and the total. */
static void legend(report *r, buf *b)
{
    strlist labels = {0};
    report_profile_labels(r, &labels);
    char total[64];
    buf_append_str(b, "<div class=\"legend\">");
    for (size_t i = 0; i < labels.n; i++) {
        buf_append_html(b, labels.v[i], (size_t)-1);
        buf_append_str(b, "<br>\n");
    }
    buf_printf(b, "Total: %s</div>\n", report_format_value(r, r->total, total));
    strlist_free(&labels);
}

/* b written to out: 0, or -1 with err. */
static int write_buf(const buf *b, FILE *out, cp_err *err)
{
    if (b->len && fwrite(b->data, 1, b->len, out) != b->len) {
        cp_err_set(err, "writing output failed");
        return -1;
    }
    return 0;
}

/* The legend and the listing alone, for a page of the caller's (report.h). */
int report_weblist_body(report *r, FILE *out, cp_err *err)
{
    buf b;
    buf_init(&b);
    legend(r, &b);
    int rc = weblist_listing(r, &b, err);
    if (rc == 0)
        rc = write_buf(&b, out, err);
    buf_free(&b);
    return rc;
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n<title>cprof listing</title>\n"
    "<style type=\"text/css\">\n"
    "body { font-family: sans-serif; }\n"
    ".legend { font-size: 1.25em; }\n"
    ".line, .nop, .unimportant { color: #aaaaaa; }\n"
    ".inlinesrc { color: #000066; }\n"
    ".livesrc { cursor: pointer; }\n"
    ".livesrc:hover { background-color: #eeeeee; }\n"
    ".asm { color: #008800; display: none; }\n"
    ".asm.open { display: block; }\n"
    "</style>\n</head>\n<body>\n";

/* A click on a line with instructions shows or hides them. */
static const char page_tail[] =
    "<script>\n"
    "document.addEventListener('click', function (e) {\n"
    "  var src = e.target.closest ? e.target.closest('.livesrc') : null;\n"
    "  var asm = src && src.nextElementSibling;\n"
    "  if (asm && asm.classList.contains('asm')) { asm.classList.toggle('open'); "
    "e.preventDefault(); }\n"
    "});\n"
    "</script>\n</body>\n</html>\n";

/* The whole self-contained page (report.h): head, legend, listing, script. */
int report_weblist(report *r, FILE *out, cp_err *err)
{
    buf b;
    buf_init(&b);
    buf_append_str(&b, page_head);
    legend(r, &b);
    int rc = weblist_listing(r, &b, err);
    if (rc == 0) {
        buf_append_str(&b, page_tail);
        rc = write_buf(&b, out, err);
    }
    buf_free(&b);
    return rc;
}

/*
 * symbolize_index.c — owns the symbolizer's lookup indexes: per compilation
 * unit, the address ranges of its functions and inlined calls; per module,
 * its ELF symbol table sorted by address. Both are built once, on first use,
 * so a lookup costs a binary search instead of a walk of the unit's DIE
 * tree (libdw's dwarf_getscopes) or of the whole symbol table (libdwfl's
 * dwfl_module_addrinfo), which made cost grow with addresses x unit size.
 *
 * A unit index is a tree of function scopes (subprograms and inlined
 * subroutines, each a DIE offset and the enclosing scope) and a flat,
 * sorted partition of the unit's code addresses into segments, each
 * naming its innermost scope. Names, call sites and lines are read from the
 * DIEs at lookup time, so the index holds no strings.
 *
 * Memory: every index's size is counted; beyond the budget the least
 * recently used indexes are freed (and rebuilt if needed again). What libdw
 * itself caches (line tables, abbreviations) is not counted here.
 *
 * Not thread-safe: symbolize.c calls everything with its lock held.
 * Indexes are keyed by libdw's pointers (Dwarf *, Dwfl_Module *): a caller
 * that ends its Dwfl clears them first (symbol_index_clear).
 */
#include "symbolize_index.h"

#include "buf.h"

#include <dwarf.h>
#include <gelf.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NO_NODE UINT32_MAX
#define MODULE_KEY UINT64_MAX  /* the key of a module's symbol table */
#define MAX_DIE_DEPTH 128      /* guards the walk against cyclic imports */
#define TRIM_AFTER_ROWS 100000 /* line tables this big are worth a malloc_trim */

/* One function scope: its DIE and the scope it is inlined into. */
typedef struct unit_node {
    Dwarf_Off die;
    uint32_t parent; /* NO_NODE for an out-of-line function */
} unit_node;

/* One row of the unit's line table, in libdw's order (by address). */
typedef struct line_row {
    uint64_t addr;
    uint32_t line;
    uint32_t file; /* END_SEQUENCE for the row ending a sequence */
} line_row;

#define END_SEQUENCE UINT32_MAX

typedef struct unit_index {
    unit_node *nodes;
    uint64_t *seg_lo;   /* n_segs + 1: segment i is [seg_lo[i], seg_lo[i+1]) */
    uint32_t *seg_node; /* n_segs: innermost scope, NO_NODE in gaps */
    size_t n_nodes, n_segs;
    line_row *rows; /* rows repeating the previous row's position left out */
    size_t n_rows;
    char **files; /* the line table's file names, full paths */
    size_t n_files;
} unit_index;

typedef struct symtab_entry {
    uint64_t start, size;
    uint32_t ndx; /* for dwfl_module_getsym_info */
    int binding;  /* higher is preferred, as libdwfl does */
} symtab_entry;

typedef struct module_symtab {
    symtab_entry *v;
    size_t n;
} module_symtab;

typedef struct index_slot {
    const void *owner; /* Dwarf * of a unit, Dwfl_Module * of a symbol table */
    uint64_t key;      /* the unit's DIE offset, or MODULE_KEY */
    uint64_t last_used;
    size_t bytes;
    unit_index unit;      /* when key != MODULE_KEY */
    module_symtab symtab; /* when key == MODULE_KEY */
} index_slot;

/* Sorted by (owner, key). */
static index_slot *slots;
static size_t n_slots, cap_slots;
static size_t total_bytes;
static size_t budget_bytes = (size_t)64 << 20;
static uint64_t clock_tick;

/* ---- the slot table ------------------------------------------------------ */

static int slot_less(const index_slot *s, const void *owner, uint64_t key)
{
    if ((uintptr_t)s->owner != (uintptr_t)owner)
        return (uintptr_t)s->owner < (uintptr_t)owner;
    return s->key < key;
}

/* Position of (owner, key) in slots, or where it would be inserted. */
static size_t slot_position(const void *owner, uint64_t key)
{
    size_t lo = 0, hi = n_slots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (slot_less(&slots[mid], owner, key))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The slot of (owner, key), marked used now; NULL when absent. The pointer
 * is valid until the next insertion or eviction. */
static index_slot *slot_find(const void *owner, uint64_t key)
{
    size_t i = slot_position(owner, key);
    if (i == n_slots || slots[i].owner != owner || slots[i].key != key)
        return NULL;
    slots[i].last_used = ++clock_tick;
    return &slots[i];
}

static void slot_free_contents(index_slot *s)
{
    free(s->unit.nodes);
    free(s->unit.seg_lo);
    free(s->unit.seg_node);
    free(s->unit.rows);
    for (size_t i = 0; i < s->unit.n_files; i++)
        free(s->unit.files[i]);
    free(s->unit.files);
    free(s->symtab.v);
}

/* Free least recently used slots until the total fits the budget, never the
 * most recently used one. */
static void evict_beyond_budget(void)
{
    while (total_bytes > budget_bytes && n_slots > 1) {
        size_t victim = 0;
        uint64_t newest = 0;
        for (size_t i = 0; i < n_slots; i++)
            if (slots[i].last_used > newest)
                newest = slots[i].last_used;
        uint64_t oldest = UINT64_MAX;
        for (size_t i = 0; i < n_slots; i++)
            if (slots[i].last_used < oldest && slots[i].last_used != newest) {
                oldest = slots[i].last_used;
                victim = i;
            }
        if (oldest == UINT64_MAX)
            return;
        total_bytes -= slots[victim].bytes;
        slot_free_contents(&slots[victim]);
        memmove(&slots[victim], &slots[victim + 1], (n_slots - victim - 1) * sizeof *slots);
        n_slots--;
    }
}

/* Take ownership of *s (contents freed on failure), insert it as the most
 * recently used, evict beyond the budget. Returns the slot (valid until the
 * next insertion), or NULL when out of memory. */
static index_slot *slot_insert(index_slot *s)
{
    if (n_slots == cap_slots) {
        size_t cap = cap_slots ? cap_slots * 2 : 16;
        index_slot *grown = realloc(slots, cap * sizeof *grown);
        if (!grown) {
            slot_free_contents(s);
            return NULL;
        }
        slots = grown;
        cap_slots = cap;
    }
    size_t i = slot_position(s->owner, s->key);
    memmove(&slots[i + 1], &slots[i], (n_slots - i) * sizeof *slots);
    s->last_used = ++clock_tick;
    slots[i] = *s;
    n_slots++;
    total_bytes += s->bytes;
    const void *owner = s->owner;
    uint64_t key = s->key;
    evict_beyond_budget();
    return slot_find(owner, key);
}

void symbol_index_clear(void)
{
    for (size_t i = 0; i < n_slots; i++)
        slot_free_contents(&slots[i]);
    free(slots);
    slots = NULL;
    n_slots = cap_slots = 0;
    total_bytes = 0;
}

void symbol_index_set_budget(size_t bytes)
{
    budget_bytes = bytes;
    evict_beyond_budget();
}

void symbol_index_usage(size_t *bytes, size_t *units, size_t *modules, size_t *budget)
{
    size_t n_units = 0;
    for (size_t i = 0; i < n_slots; i++)
        n_units += slots[i].key != MODULE_KEY;
    *bytes = total_bytes;
    *units = n_units;
    *modules = n_slots - n_units;
    *budget = budget_bytes;
}

/* ---- unit index: build -------------------------------------------------- */

typedef struct scope_range {
    uint64_t lo, hi;
    uint32_t node, depth;
} scope_range;

typedef struct unit_builder {
    Dwarf *dbg;
    unit_node *nodes;
    scope_range *ranges;
    size_t n_nodes, cap_nodes, n_ranges, cap_ranges;
    int failed;
} unit_builder;

/* Record a function-like DIE with code: a node and its ranges. Returns the
 * node, or NO_NODE when the DIE has no code (an abstract instance, a
 * declaration) or memory ran out. */
static uint32_t add_scope(unit_builder *b, Dwarf_Die *die, int inlined, uint32_t parent,
                          uint32_t depth)
{
    uint32_t node = NO_NODE;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t next = 0;
    while ((next = dwarf_ranges(die, next, &base, &lo, &hi)) > 0) {
        if (lo >= hi)
            continue;
        if (node == NO_NODE) {
            if (array_grow((void **)&b->nodes, &b->cap_nodes, b->n_nodes, sizeof *b->nodes) != 0 ||
                b->n_nodes >= NO_NODE) {
                b->failed = 1;
                return NO_NODE;
            }
            node = (uint32_t)b->n_nodes++;
            b->nodes[node] = (unit_node){dwarf_dieoffset(die), inlined ? parent : NO_NODE};
        }
        if (array_grow((void **)&b->ranges, &b->cap_ranges, b->n_ranges, sizeof *b->ranges) != 0) {
            b->failed = 1;
            return node;
        }
        b->ranges[b->n_ranges++] = (scope_range){lo, hi, node, depth};
    }
    return node;
}

/* Walk the children of `die` once: every subprogram, entry point and
 * inlined subroutine with code becomes a node whose parent is the scope it
 * is physically nested in. Lexical blocks, namespaces and classes are
 * walked through; imported (dwz) units of the same file are walked in
 * place, as dwarf_getscopes does. */
static void walk_scopes(unit_builder *b, Dwarf_Die *die, uint32_t parent, uint32_t depth, int level)
{
    Dwarf_Die child;
    if (level > MAX_DIE_DEPTH || b->failed || dwarf_child(die, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        uint32_t scope = parent, inner_depth = depth;
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
            tag == DW_TAG_entry_point) {
            uint32_t node = add_scope(b, &child, tag == DW_TAG_inlined_subroutine, parent, depth);
            if (node != NO_NODE) {
                scope = node;
                inner_depth = depth + 1;
            }
        } else if (tag == DW_TAG_imported_unit) {
            Dwarf_Attribute attr;
            Dwarf_Die unit;
            if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &unit) &&
                dwarf_cu_getdwarf(unit.cu) == b->dbg)
                walk_scopes(b, &unit, parent, depth, level + 1);
            continue;
        }
        if (dwarf_haschildren(&child) > 0)
            walk_scopes(b, &child, scope, inner_depth, level + 1);
    } while (!b->failed && dwarf_siblingof(&child, &child) == 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_range_depth(const void *a, const void *b)
{
    const scope_range *x = a, *y = b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return cmp_u64(&x->lo, &y->lo);
}

/* Index of the last element <= v in sorted v[0..n), or n when none. */
static size_t last_at_or_below(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? n : lo - 1;
}

/*
 * Turn the builder's ranges into the flat partition: every range boundary
 * cuts a segment; each segment gets the deepest scope covering it (ranges
 * are painted outermost first, so inner scopes overwrite); neighbours with
 * the same scope merge. Returns 0, or -1 when out of memory.
 */
static int build_segments(unit_builder *b, unit_index *u)
{
    size_t n_points = 0;
    uint64_t *points = malloc((2 * b->n_ranges + 1) * sizeof *points);
    uint32_t *paint = malloc((2 * b->n_ranges + 1) * sizeof *paint);
    if (!points || !paint) {
        free(points);
        free(paint);
        return -1;
    }
    for (size_t i = 0; i < b->n_ranges; i++) {
        points[n_points++] = b->ranges[i].lo;
        points[n_points++] = b->ranges[i].hi;
    }
    qsort(points, n_points, sizeof *points, cmp_u64);
    size_t unique = 0;
    for (size_t i = 0; i < n_points; i++)
        if (unique == 0 || points[unique - 1] != points[i])
            points[unique++] = points[i];
    n_points = unique;
    memset(paint, 0xff, n_points * sizeof *paint); /* NO_NODE */

    qsort(b->ranges, b->n_ranges, sizeof *b->ranges, cmp_range_depth);
    for (size_t r = 0; r < b->n_ranges; r++) {
        const scope_range *range = &b->ranges[r];
        for (size_t i = last_at_or_below(points, n_points, range->lo);
             i + 1 < n_points && points[i] < range->hi; i++)
            paint[i] = range->node;
    }

    /* Merge in place: segment k starts at points[k], the last point ends the
     * last segment. */
    size_t n_segs = 0;
    for (size_t i = 0; i + 1 < n_points; i++) {
        if (n_segs > 0 && paint[n_segs - 1] == paint[i])
            continue;
        points[n_segs] = points[i];
        paint[n_segs++] = paint[i];
    }
    if (n_points > 0)
        points[n_segs] = points[n_points - 1];
    uint64_t *seg_lo = realloc(points, (n_segs + 1) * sizeof *seg_lo);
    uint32_t *seg_node = n_segs ? realloc(paint, n_segs * sizeof *seg_node) : paint;
    u->seg_lo = seg_lo ? seg_lo : points;
    u->seg_node = seg_node ? seg_node : paint;
    u->n_segs = n_segs;
    return 0;
}

/*
 * Copy the unit's line table and file names into u. libdw keeps a line
 * table it has read (about 80 bytes a row, a million rows for a 40,000
 * function unit) until its Dwarf handle ends, so the table is read through
 * a private handle on the same ELF, copied compactly (16 bytes a row,
 * rows that only repeat the previous position left out) and the handle
 * ended at once. Returns 0, or -1 (then u holds no line data).
 */
static int copy_line_table(Dwarf *dbg, Dwarf_Off cu_offset, unit_index *u)
{
    Elf *elf = dwarf_getelf(dbg);
    Dwarf *own = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
    if (!own)
        return -1;
    int rc = -1;
    Dwarf_Die cu;
    Dwarf_Lines *lines;
    Dwarf_Files *files;
    size_t n_lines = 0, n_files = 0;
    if (!dwarf_offdie(own, cu_offset, &cu) || dwarf_getsrclines(&cu, &lines, &n_lines) != 0 ||
        dwarf_getsrcfiles(&cu, &files, &n_files) != 0)
        goto out;
    u->files = calloc(n_files ? n_files : 1, sizeof *u->files);
    u->rows = malloc((n_lines ? n_lines : 1) * sizeof *u->rows);
    if (!u->files || !u->rows)
        goto out;
    for (size_t i = 0; i < n_files; i++) {
        const char *name = dwarf_filesrc(files, i, NULL, NULL);
        if (name && !(u->files[i] = strdup(name)))
            goto out;
        u->n_files = i + 1;
    }
    size_t last_file = 0;
    for (size_t i = 0; i < n_lines; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i);
        Dwarf_Addr addr;
        int line = 0;
        bool end = false;
        if (!l || dwarf_lineaddr(l, &addr) != 0)
            continue;
        dwarf_lineno(l, &line);
        dwarf_lineendsequence(l, &end);
        line_row row = {addr, (uint32_t)line, END_SEQUENCE};
        if (!end) {
            const char *name = dwarf_linesrc(l, NULL, NULL);
            /* the row's file index: the same string as files[k]; rows
             * mostly stay in their predecessor's file */
            row.file = 0;
            if (last_file < n_files && dwarf_filesrc(files, last_file, NULL, NULL) == name)
                row.file = (uint32_t)last_file;
            else
                for (size_t k = 0; k < n_files; k++)
                    if (dwarf_filesrc(files, k, NULL, NULL) == name) {
                        row.file = (uint32_t)(last_file = k);
                        break;
                    }
        }
        const line_row *prev = u->n_rows ? &u->rows[u->n_rows - 1] : NULL;
        if (prev && prev->file != END_SEQUENCE && row.file == prev->file && row.line == prev->line)
            continue;
        u->rows[u->n_rows++] = row;
    }
    line_row *fitted = realloc(u->rows, (u->n_rows ? u->n_rows : 1) * sizeof *fitted);
    if (fitted)
        u->rows = fitted;
    rc = 0;
out:
    dwarf_end(own);
    /* What libdw freed went back to malloc's free lists; give a big table's
     * pages back to the system, or the host keeps them as resident. */
    if (n_lines >= TRIM_AFTER_ROWS)
        malloc_trim(0);
    if (rc != 0) {
        for (size_t i = 0; i < u->n_files; i++)
            free(u->files[i]);
        free(u->files);
        free(u->rows);
        u->files = NULL;
        u->rows = NULL;
        u->n_files = u->n_rows = 0;
    }
    return rc;
}

/* Build the index of one unit into *slot. Returns 0, or -1 when out of
 * memory (nothing is then kept). */
static int build_unit(Dwarf *dbg, Dwarf_Die *cudie, index_slot *slot)
{
    unit_builder b = {.dbg = dbg};
    Dwarf_Die unit = *cudie;
    walk_scopes(&b, &unit, NO_NODE, 0, 0);
    unit_index u = {0};
    if (b.failed || build_segments(&b, &u) != 0) {
        free(b.nodes);
        free(b.ranges);
        return -1;
    }
    free(b.ranges);
    u.n_nodes = b.n_nodes;
    u.nodes = b.nodes;
    if (b.n_nodes == 0) {
        free(b.nodes);
        u.nodes = NULL;
    } else if (b.n_nodes < b.cap_nodes) {
        unit_node *fitted = realloc(b.nodes, b.n_nodes * sizeof *fitted);
        if (fitted)
            u.nodes = fitted;
    }
    copy_line_table(dbg, dwarf_dieoffset(cudie), &u); /* without it: no lines */
    memset(slot, 0, sizeof *slot);
    slot->owner = dbg;
    slot->key = dwarf_dieoffset(cudie);
    slot->unit = u;
    slot->bytes = sizeof *slot + u.n_nodes * sizeof *u.nodes +
                  u.n_segs * (sizeof *u.seg_lo + sizeof *u.seg_node) + sizeof *u.seg_lo +
                  u.n_rows * sizeof *u.rows + u.n_files * sizeof *u.files;
    for (size_t i = 0; i < u.n_files; i++)
        slot->bytes += u.files[i] ? strlen(u.files[i]) + 1 : 0;
    return 0;
}

/* ---- unit index: lookup ------------------------------------------------- */

/* The line-table position of pc, as dwarf_getsrc_die finds it: the last
 * row at or below pc, unless that row ends a sequence. */
static void line_at(const unit_index *u, Dwarf_Addr pc, const char **file, int *line)
{
    *file = NULL;
    *line = 0;
    if (u->n_rows == 0)
        return;
    size_t lo = 0, hi = u->n_rows - 1;
    while (lo < hi) {
        size_t mid = hi - (hi - lo) / 2;
        if (pc < u->rows[mid].addr)
            hi = mid - 1;
        else
            lo = mid;
    }
    const line_row *row = &u->rows[lo];
    if (row->file == END_SEQUENCE || row->addr > pc)
        return;
    *file = row->file < u->n_files ? u->files[row->file] : NULL;
    *line = (int)row->line;
}

const char *unit_file_name(Dwarf *dbg, Dwarf_Die *cudie, uint64_t index)
{
    index_slot *slot = slot_find(dbg, dwarf_dieoffset(cudie));
    return slot && index < slot->unit.n_files ? slot->unit.files[index] : NULL;
}

size_t unit_scopes_at(Dwarf *dbg, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Off *out, size_t max,
                      const char **file, int *line)
{
    uint64_t key = dwarf_dieoffset(cudie);
    index_slot *slot = slot_find(dbg, key);
    *file = NULL;
    *line = 0;
    if (!slot) {
        index_slot fresh;
        if (build_unit(dbg, cudie, &fresh) != 0 || !(slot = slot_insert(&fresh)))
            return 0;
    }
    const unit_index *u = &slot->unit;
    line_at(u, pc, file, line);
    if (u->n_segs == 0 || pc < u->seg_lo[0] || pc >= u->seg_lo[u->n_segs])
        return 0;
    size_t seg = last_at_or_below(u->seg_lo, u->n_segs, pc);
    size_t count = 0;
    for (uint32_t node = u->seg_node[seg]; node != NO_NODE && count < u->n_nodes;
         node = u->nodes[node].parent) {
        if (count < max)
            out[count] = u->nodes[node].die;
        count++;
    }
    return count;
}

/* ---- module symbol tables ------------------------------------------------ */

static int binding_rank(const GElf_Sym *sym)
{
    switch (GELF_ST_BIND(sym->st_info)) {
    case STB_GLOBAL:
        return 3;
    case STB_WEAK:
        return 2;
    case STB_LOCAL:
        return 1;
    default:
        return 0;
    }
}

/* By start; at the same start, preferred binding first, then table order. */
static int cmp_symtab_entry(const void *a, const void *b)
{
    const symtab_entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->binding != y->binding)
        return x->binding > y->binding ? -1 : 1;
    return x->ndx < y->ndx ? -1 : x->ndx > y->ndx;
}

/* Sorted copy of the module's code symbols into *slot; 0, or -1. */
static int build_symtab(Dwfl_Module *mod, index_slot *slot)
{
    int n = dwfl_module_getsymtab(mod);
    module_symtab t = {0};
    size_t cap = 0;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (!name || !*name || shndx == SHN_UNDEF ||
            (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE))
            continue;
        if (array_grow((void **)&t.v, &cap, t.n, sizeof *t.v) != 0) {
            free(t.v);
            return -1;
        }
        t.v[t.n++] = (symtab_entry){addr, sym.st_size, (uint32_t)i, binding_rank(&sym)};
    }
    qsort(t.v, t.n, sizeof *t.v, cmp_symtab_entry);
    memset(slot, 0, sizeof *slot);
    slot->owner = mod;
    slot->key = MODULE_KEY;
    slot->symtab = t;
    slot->bytes = sizeof *slot + cap * sizeof *t.v;
    return 0;
}

/* How far back from the closest symbol start a sized symbol containing the
 * address is looked for (symbols nested in others are rare). */
#define SYMBOL_LOOKBACK 8

/* The entry naming addr: the sized symbol containing it whose start is
 * closest (preferred binding first); else a sizeless symbol at the closest
 * start below it. NULL when none. */
static const symtab_entry *symtab_lookup(const module_symtab *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const symtab_entry *sizeless = NULL;
    uint64_t closest = t->v[lo - 1].start;
    for (size_t i = lo; i-- > 0 && lo - i <= SYMBOL_LOOKBACK;) {
        const symtab_entry *e = &t->v[i];
        if (e->size > 0 && addr - e->start < e->size) {
            /* first of its start group in sort order = preferred binding */
            while (i > 0 && t->v[i - 1].start == e->start && t->v[i - 1].size > 0 &&
                   addr - t->v[i - 1].start < t->v[i - 1].size)
                e = &t->v[--i];
            return e;
        }
        if (e->size == 0 && e->start == closest)
            sizeless = e; /* keeps the preferred one: the last seen going back */
    }
    return sizeless;
}

const char *module_symbol_at(Dwfl_Module *mod, uint64_t addr, uint64_t *offset)
{
    index_slot *slot = slot_find(mod, MODULE_KEY);
    if (!slot) {
        index_slot fresh;
        if (build_symtab(mod, &fresh) != 0 || !(slot = slot_insert(&fresh)))
            return NULL;
    }
    const symtab_entry *e = symtab_lookup(&slot->symtab, addr);
    if (!e)
        return NULL;
    GElf_Sym sym;
    GElf_Addr start;
    const char *name = dwfl_module_getsym_info(mod, (int)e->ndx, &sym, &start, NULL, NULL, NULL);
    if (!name)
        return NULL;
    *offset = addr - e->start;
    return name;
}

/*
 * symbolize_dwarf.c — one address of a libdwfl module -> symbol_info (see
 * symbolize_dwarf.h).
 *
 * DWARF (if present) gives the function names, file:line and the chain of
 * inlined calls, as `addr2line -i -f` prints them: the innermost scope's
 * line comes from the line table, each outer frame's line is the inner
 * inlined_subroutine's DW_AT_call_file/call_line. The chain comes from an
 * index of the unit's function and inlined-call ranges built once per unit
 * (symbolize_index.c), so each address costs a binary search, not a walk
 * of the unit's DIE tree. DWARF names are preferred because they are the
 * source names ("foo", not the clone "foo.constprop.0"). The ELF symbol
 * table gives the offset into the function, and the name when there is no
 * DWARF (a sorted copy of the table, also in symbolize_index.c).
 *
 * Strings are handed to the caller's keep callback as soon as they are
 * read: libdw's and the indexes' strings do not outlive the next lookup.
 */
#include "symbolize_dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <string.h>

#include "symbolize_index.h"

/* A file name kept through the callback; NULL stays NULL. */
static const char *keep_file(const symbol_strings *keep, const char *file)
{
    return file ? keep->keep(keep->ctx, file, 0) : NULL;
}

/* Linkage name first (C++: qualified and demangled), then the plain name;
 * both through the abstract origin / specification of inlined copies. */
static const char *die_function_name(Dwarf_Die *die, const symbol_strings *keep)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    return name ? keep->keep(keep->ctx, name, 1) : NULL;
}

static int die_udata(Dwarf_Die *die, unsigned int at, Dwarf_Word *out)
{
    Dwarf_Attribute attr;
    return dwarf_formudata(dwarf_attr(die, at, &attr), out) == 0 ? 0 : -1;
}

/* Where an inlined call happened, from the inlined_subroutine DIE; file
 * numbers name files of the unit's line table. */
static void call_site(Dwarf_Die *inlined, Dwarf *dbg, Dwarf_Die *cudie, const symbol_strings *keep,
                      symbol_line *out)
{
    Dwarf_Word file = 0, line = 0;
    out->filename = NULL;
    out->line = 0;
    if (die_udata(inlined, DW_AT_call_file, &file) == 0)
        out->filename = keep_file(keep, unit_file_name(dbg, cudie, file));
    if (die_udata(inlined, DW_AT_call_line, &line) == 0)
        out->line = (int)line;
}

/* A symbol table name kept without its version ("__libc_start_main" of
 * "__libc_start_main@@GLIBC_2.34", as a separate debug file's .symtab
 * spells it): the name DWARF and the callers know. */
static const char *keep_symbol_name(const symbol_strings *keep, const char *name)
{
    const char *at = strchr(name, '@');
    char plain[512];
    if (!at || at == name || (size_t)(at - name) >= sizeof plain)
        return keep->keep(keep->ctx, name, 1);
    memcpy(plain, name, (size_t)(at - name));
    plain[at - name] = 0;
    return keep->keep(keep->ctx, plain, 1);
}

/* Start of the function DIE, in process addresses. */
static int die_entry(Dwarf_Die *die, Dwarf_Addr bias, uint64_t *entry)
{
    Dwarf_Addr pc;
    if (dwarf_entrypc(die, &pc) != 0 && dwarf_lowpc(die, &pc) != 0)
        return -1;
    *entry = pc + bias;
    return 0;
}

/* Deeper inline chains than this lose their outermost scopes. */
#define MAX_SCOPES 256

/*
 * Fill info->lines from DWARF: function-like scopes from the innermost
 * outwards, ending at the real (out-of-line) function, from the unit's
 * index (physical nesting: the inlined call chain, not the lexical nesting
 * that abstract origins give). *position gets the innermost file:line from
 * the line table (filename NULL when unknown). Returns the number of
 * lines; *entry gets the outermost function's start when known.
 */
static size_t dwarf_frames(Dwfl_Module *mod, uint64_t addr, const symbol_strings *keep,
                           symbol_info *info, uint64_t *entry, symbol_line *position)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, &bias);
    position->filename = NULL;
    if (!cudie)
        return 0;
    Dwarf *dbg = dwarf_cu_getdwarf(cudie->cu);
    Dwarf_Off scopes[MAX_SCOPES];
    const char *file;
    size_t n = unit_scopes_at(dbg, cudie, addr - bias, scopes, MAX_SCOPES, &file, &position->line);
    position->filename = keep_file(keep, file);
    if (n > MAX_SCOPES)
        n = MAX_SCOPES;

    size_t count = 0;
    Dwarf_Die dies[2], *inner_call = NULL; /* the inlined_subroutine below this one */
    for (size_t i = 0; i < n && count < SYMBOL_MAX_INLINE; i++) {
        Dwarf_Die *die = &dies[i & 1]; /* inner_call stays in the other one */
        if (!dwarf_offdie(dbg, scopes[i], die))
            break;
        int inlined = dwarf_tag(die) == DW_TAG_inlined_subroutine;
        if (inlined && count == SYMBOL_MAX_INLINE - 1) {
            /* Too deep: drop middle frames, keep the last slot for the
             * real function (called from the outermost inlined call). */
            inner_call = die;
            continue;
        }
        symbol_line *line = &info->lines[count++];
        line->function = die_function_name(die, keep);
        if (inner_call)
            call_site(inner_call, dbg, cudie, keep, line);
        if (!inlined) {
            die_entry(die, bias, entry);
            break;
        }
        inner_call = die;
    }
    return count;
}

/* See symbolize_dwarf.h: 0 with info filled, -1 with info zeroed. */
int symbolize_module_addr(Dwfl_Module *mod, uint64_t addr, int flags, const symbol_strings *keep,
                          symbol_info *info)
{
    memset(info, 0, sizeof *info);

    uint64_t sym_offset = 0;
    const char *sym_name = module_symbol_at(mod, addr, &sym_offset);

    uint64_t entry = 0;
    symbol_line position = {NULL, NULL, 0};
    if (!(flags & SYMBOLIZE_NAMES_ONLY))
        info->n_lines = dwarf_frames(mod, addr, keep, info, &entry, &position);
    if (info->n_lines == 0) {
        if (!sym_name) {
            memset(info, 0, sizeof *info);
            return -1;
        }
        info->n_lines = 1;
    }
    if (position.filename) {
        info->lines[0].filename = position.filename;
        info->lines[0].line = position.line;
    }

    /* The symbol table names the real function when DWARF could not. */
    symbol_line *outer = &info->lines[info->n_lines - 1];
    if (!outer->function)
        outer->function = sym_name ? keep_symbol_name(keep, sym_name) : NULL;
    for (size_t i = 0; i < info->n_lines; i++) {
        if (info->lines[i].function)
            continue;
        const char *unknown = keep->keep(keep->ctx, "??", 0); /* unnamed DIE */
        info->lines[i].function = unknown ? unknown : "??";
    }

    if (sym_name)
        info->func_offset = sym_offset;
    else if (entry && entry <= addr)
        info->func_offset = addr - entry;
    return 0;
}

/* See symbolize_dwarf.h. */
int elf_has_dwarf(Elf *elf)
{
    size_t shstrndx;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return 0;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
            return 1;
    }
    return 0;
}

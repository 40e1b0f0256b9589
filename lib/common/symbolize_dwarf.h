/*
 * symbolize_dwarf.h — one address of a libdwfl module -> function names,
 * file:line and the chain of inlined calls, as `addr2line -i -f` prints
 * them. Shared by the in-process symbolizer (lib/pprof/symbolize.c, modules
 * of the running process) and the analyzer's (tool/symbolize/, modules read
 * from the files a profile's mappings name).
 *
 * Not thread-safe (libdw is not, and the indexes of symbolize_index.c keep
 * unlocked state): callers serialize.
 */
#ifndef CPROF_SYMBOLIZE_DWARF_H
#define CPROF_SYMBOLIZE_DWARF_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

#define SYMBOL_MAX_INLINE 16

typedef struct symbol_line {
    const char *function; /* demangled when C++; never NULL once resolved */
    const char *filename; /* NULL when unknown */
    int line;             /* 0 when unknown */
} symbol_line;

typedef struct symbol_info {
    /* lines[0] is the innermost inlined function, lines[n_lines-1] the real
     * (outermost) function containing the address: profile.proto's order. */
    symbol_line lines[SYMBOL_MAX_INLINE];
    size_t n_lines;       /* 0 when nothing is known about the address */
    uint64_t func_offset; /* address - start of the outermost function */
} symbol_info;

/* How the caller keeps the strings it is handed (libdw's and the indexes'
 * strings are short-lived): returns a copy that lives as long as the caller
 * needs, or NULL when out of memory. `function` != 0 for a function name
 * (raw, possibly a mangled C++ name: the callback demangles if it can). */
typedef struct symbol_strings {
    const char *(*keep)(void *ctx, const char *s, int function);
    void *ctx;
} symbol_strings;

/* symbolize_module_addr's flags: the ELF symbol table only (function name
 * and offset, one frame, no file:line), without reading the module's DWARF
 * at all (no libdw handle, no debug section inflated). */
#define SYMBOLIZE_NAMES_ONLY 1

/*
 * Symbolize `addr`, an address in the Dwfl's address space (module bias
 * included), in `mod`. DWARF names are preferred (source names, not the
 * clone "foo.constprop.0"); the ELF symbol table names the function when
 * there is no DWARF (or with SYMBOLIZE_NAMES_ONLY in `flags`), and gives
 * func_offset. Unnamed scopes read "??". Returns 0 when a function was
 * found, -1 otherwise (out zeroed).
 */
int symbolize_module_addr(Dwfl_Module *mod, uint64_t addr, int flags, const symbol_strings *keep,
                          symbol_info *out);

/* 1 when the ELF file itself carries DWARF (.debug_info or .zdebug_info
 * with contents), 0 when its debug info, if any, is in a separate file
 * (found by build ID or .gnu_debuglink). Reads section headers only. */
int elf_has_dwarf(Elf *elf);

#endif

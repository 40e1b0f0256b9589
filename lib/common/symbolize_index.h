/*
 * symbolize_index.h — the symbolizer's lookup indexes, built once per
 * compilation unit and once per module, kept under a memory budget.
 *
 * Used through symbolize_dwarf.c (the in-process symbolizer calls it with its
 * lock held; libdw is not thread-safe and these keep unlocked state).
 */
#ifndef CPROF_SYMBOLIZE_INDEX_H
#define CPROF_SYMBOLIZE_INDEX_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The function scopes physically containing `pc` (a DWARF address of the
 * unit, i.e. without the module's bias) in the compilation unit `cudie` of
 * `dbg`: DIE offsets of DW_TAG_inlined_subroutine DIEs from the innermost
 * outwards, ending with the out-of-line DW_TAG_subprogram (or entry point)
 * that contains them. The unit's index is built on first use. Writes at most
 * `max` offsets; returns how many scopes there are in all (may exceed max),
 * 0 when no function covers pc. *file and *line get pc's position from the
 * line table (NULL and 0 when unknown); the string is the index's, valid
 * until the next call of unit_scopes_at or module_symbol_at.
 */
size_t unit_scopes_at(Dwarf *dbg, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Off *out, size_t max,
                      const char **file, int *line);

/* File `index` of the unit's line table (DW_AT_call_file numbers), when its
 * index is built; NULL otherwise. Valid like unit_scopes_at's *file. */
const char *unit_file_name(Dwarf *dbg, Dwarf_Die *cudie, uint64_t index);

/*
 * The ELF symbol containing `addr` (a process address) in `mod`, like
 * dwfl_module_addrinfo but by binary search in a sorted copy of the symbol
 * table built on first use. Returns the symbol's name (owned by libdwfl,
 * valid while the module is) and sets *offset to addr - symbol start, or
 * returns NULL.
 */
const char *module_symbol_at(Dwfl_Module *mod, uint64_t addr, uint64_t *offset);

/* The byte budget for all indexes; beyond it the least recently used are
 * evicted (the one in use stays, even when alone it exceeds the budget). */
void symbol_index_set_budget(size_t bytes);

/* Free every index: before the Dwfl whose pointers key them ends (a new
 * Dwfl may reuse the addresses). */
void symbol_index_clear(void);

/* What the indexes hold now: bytes, number of unit and module indexes, and
 * the budget. */
void symbol_index_usage(size_t *bytes, size_t *units, size_t *modules, size_t *budget);

#endif

/*
 * symbolize.h — the analyzer's symbolizer: a profile whose mappings carry
 * addresses but no functions (CPROF_SYMBOLIZE=off, or any profile.proto
 * without has_functions) is symbolized here, from the files its mappings
 * name, checked against their ELF build IDs. One step of the driver
 * (pipeline.c: each source is symbolized after it is decoded, before the
 * merge), so the command line and the web UI share it.
 */
#ifndef CPROF_TOOL_SYMBOLIZE_H
#define CPROF_TOOL_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "profile/model.h"
#include "profile/strlist.h"
#include "symbolize_dwarf.h"

typedef struct symbol_memo symbol_memo;

typedef struct symbolize_opts {
    strlist dirs;      /* -symbol_dir=DIR (repeatable), searched before the rest */
    bool debuginfod;   /* -debuginfod: ask $DEBUGINFOD_URLS for missing debug info */
    bool none;         /* -symbolize=none: leave the profile as it is */
    symbol_memo *memo; /* NULL, or results kept across profiles (symbol_memo_new) */
} symbolize_opts;

/*
 * Symbolize every location without lines whose mapping has no functions,
 * and fill the file:line of the frames a mapping names without them
 * (has_functions without has_line_numbers: an in-process profile names a
 * library whose debug info is a separate file from its symbol table; one
 * line per location, line 0) when a file with its DWARF is found; when none
 * is, such frames keep their names and nothing is printed.
 * Where a mapping's file is looked for, in order: each -symbol_dir, then
 * each directory of $CPROF_SYMBOL_PATH (colon-separated): DIR/.build-id/
 * xx/rest.debug, DIR/BASENAME.debug, DIR/BASENAME, DIR/PATH; then the
 * mapped PATH itself; then /usr/lib/debug/.build-id/xx/rest.debug; a file
 * counts only when its build ID is the mapping's (when the mapping has
 * one). A file with DWARF wins over one with only a symbol table; with
 * -debuginfod and $DEBUGINFOD_URLS set, libdwfl's debuginfod client is
 * asked for the debug info of a file found without it. A mapping not fully
 * served costs one line on stderr ("cprof: no debug info for NAME (build id
 * ...): why"); its frames stay addresses. Never fails: returns the number
 * of locations that got lines. Untrusted profiles: only regular files are
 * opened, at most SYMBOLIZE_MAX_FILES of them per profile.
 */
size_t profile_symbolize(cp_profile *p, const symbolize_opts *o);

#define SYMBOLIZE_MAX_FILES 1024

/* Frees o's directory list (not o->memo). */
void symbolize_opts_free(symbolize_opts *o);

/*
 * Results kept across profile_symbolize calls (cprof watch: the snapshots
 * of one process share their addresses): per (mapping file, build ID,
 * start, address) the lines found, and per mapping whether its file was
 * found, so each address is looked up once and each missing file is
 * reported once. symbol_memo_free frees it (NULL is fine).
 */
symbol_memo *symbol_memo_new(void);
void symbol_memo_free(symbol_memo *memo);

/*
 * The binary of a mapping, for the disassembly reports (-disasm, -weblist):
 * google/pprof's ObjTool.Open. Located as profile_symbolize locates a
 * mapping's file (build ID checked), but it must be a file with the code
 * (a separate .debug file may still supply the DWARF). NULL with err (one
 * line naming the mapping) when none is found.
 */
typedef struct objfile objfile;
objfile *objfile_open(const cp_mapping *m, const symbolize_opts *o, cp_err *err);
/* objfile_open's error on stderr ("cprof: MESSAGE"), the first time this
 * process meets that message only: the web UI renders a view per request,
 * and a missing binary is said once, not on every page. */
void objfile_say_once(const cp_err *err);
/* The file nm and objdump read (the objfile's). */
const char *objfile_path(const objfile *f);
/* ObjAddr: a profile address of the mapping as an address of the file;
 * false when the mapping's layout does not place it. */
bool objfile_addr(const objfile *f, uint64_t addr, uint64_t *file_addr);
/* SourceLine: the frames at a profile address, innermost first (names
 * interned). 0, or -1 when nothing is known. */
int objfile_frames(objfile *f, uint64_t addr, symbol_info *out);
/* Closes f (NULL is fine). Frames handed out stay valid (interned). */
void objfile_close(objfile *f);

#endif

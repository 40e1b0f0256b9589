/*
 * objtool.h — what the disassembly reports (-disasm, -weblist) need from a
 * binary: google/pprof's internal/binutils. Symbols come from `nm -n -S` and
 * instructions from `objdump --disassemble --no-show-raw-insn
 * --line-numbers`, run as pprof runs them (so both tools read the same
 * text), parsed with pprof's rules. The binary itself is found as the
 * symbolizer finds it (symbolize.h: objfile_open).
 *
 * The tools run without a shell (argv only, the file name one argument
 * after "--"), stdin from /dev/null, stdout read up to OBJTOOL_MAX_OUTPUT
 * bytes (past it the tool is killed and the call fails), within
 * OBJTOOL_TIMEOUT_S seconds.
 */
#ifndef CPROF_TOOL_OBJTOOL_H
#define CPROF_TOOL_OBJTOOL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "cp_err.h"

#define OBJTOOL_MAX_OUTPUT (256u << 20)
#define OBJTOOL_TIMEOUT_S 120

/* One instruction (plugin.Inst): objdump's address, text, and the
 * function and file:line its -l annotations last named ("" and 0 when
 * none). Strings are the array's (objtool_insts_free). */
typedef struct obj_inst {
    uint64_t addr;
    char *text, *function, *file;
    int line;
} obj_inst;

/* One symbol (plugin.Sym): the names at one address (several when aliases
 * share it and address selects them, else the one that matched), from start
 * to end (inclusive: start + size - 1, or the next symbol's address - 1
 * when nm gives no size). */
typedef struct obj_sym {
    char **names;
    size_t n_names;
    uint64_t start, end;
} obj_sym;

/* Binutils.Disasm: the instructions of [start, end] in file. 0 with *out
 * (caller frees with objtool_insts_free), or -1 with err ("cannot disasm:
 * no objdump tool available (binutils)", objdump's failure). */
int objtool_disasm(const char *file, uint64_t start, uint64_t end, obj_inst **out, size_t *n,
                   cp_err *err);
void objtool_insts_free(obj_inst *v, size_t n);

/* file.Symbols: the symbols of file (nm -n -S) whose name matches re, or whose
 * range holds address (when address is not 0). 0 with *out (caller frees
 * with objtool_syms_free), or -1 with err. */
int objtool_symbols(const char *file, const regex_t *re, uint64_t address, obj_sym **out, size_t *n,
                    cp_err *err);
void objtool_syms_free(obj_sym *v, size_t n);

/* Parsers of the tools' output (pure; the tests feed them text). */
int objtool_parse_disasm(const char *text, size_t len, obj_inst **out, size_t *n);
int objtool_parse_symbols(const char *text, size_t len, const char *file, const regex_t *re,
                          uint64_t address, obj_sym **out, size_t *n);

#endif

/*
 * symbolize.h — address -> function, file:line and inline frames, in process,
 * with elfutils libdw; and the process's executable mappings with build IDs.
 *
 * One symbolizer cache serves every encoder. Results are cached per address
 * for the life of the process, so repeated scrapes cost a lookup each.
 * Thread-safe (one internal mutex around libdw, which is not). Call only from
 * profiler threads: it allocates, so never from a malloc hook or a signal
 * handler.
 */
#ifndef CPROF_SYMBOLIZE_H
#define CPROF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "common/symbolize_dwarf.h" /* symbol_info, symbol_line */

/*
 * Symbolize one address. `addr` is looked up as given: callers pass pc-1 for
 * return addresses. Strings in *out are interned and stay valid for the life
 * of the process. Returns 0 when a function was found, -1 otherwise (out is
 * then zeroed, n_lines == 0), always -1 when symbolization is off.
 */
int symbolize_addr(uint64_t addr, symbol_info *out);

/* CPROF_SYMBOLIZE. */
enum symbolize_mode {
    SYMBOLIZE_OFF = 0,  /* nothing: addresses, mappings and build IDs only */
    SYMBOLIZE_ON = 1,   /* the default: DWARF of the program and of modules
                         * with DWARF in their own file; names from the symbol
                         * table for libraries whose debug info is separate */
    SYMBOLIZE_FULL = 2, /* DWARF of every module, separate debug files too */
};

/*
 * The symbolization mode (enum symbolize_mode; another value is ON). Off,
 * every symbolize_addr fails at once without touching libdw, so the host
 * spends nothing on symbols: profiles carry addresses, mappings and build
 * IDs, and the analyzer symbolizes them from the binaries. Mappings are
 * still read. ON gives the frames of a library whose DWARF is only in a
 * separate debug file (libc with libc6-dbg) one line each, function name
 * without file:line, and never reads that file's (compressed) DWARF.
 */
void symbolize_set_mode(int mode);
/* 1 when symbolization is on. */
int symbolize_enabled(void);

/*
 * The byte budget for what the symbolizer keeps (CPROF_SYMBOL_CACHE_MB):
 * the per-address results and interned strings (kept for the life of the
 * process: they are handed out) count first, and the lookup indexes (one
 * per compilation unit and per module used so far) get the rest: beyond
 * it the least recently used are freed, and rebuilt when needed again.
 * Default 64 MiB.
 */
void symbolize_set_cache_budget(size_t bytes);

/*
 * Hand back to the kernel the file pages lookups touched since the last
 * call (libelf's mappings of the binaries and debug files: a unit's index
 * build reads all of its DIEs and line table once, and they would stay in
 * the host's RSS). MADV_PAGEOUT: nothing is lost, a page needed again is
 * read again. Called after each profile request.
 */
void symbolize_release_pages(void);

typedef struct symbolize_usage {
    size_t index_bytes;  /* what the indexes hold now */
    size_t kept_bytes;   /* the per-address results, names and their tables */
    size_t budget_bytes; /* symbolize_set_cache_budget's value */
    size_t units;        /* compilation units indexed */
    size_t modules;      /* modules whose symbol table is indexed */
    size_t addresses;    /* results cached per address */
} symbolize_usage;

/* What the symbolizer holds now (consistent snapshot, takes the lock). */
void symbolize_usage_read(symbolize_usage *u);

/* The same as one line of text for the index page, e.g. "1.5 of 64.0 MiB:
 * indexes 1.2 MiB (3 units, 2 modules), 4000 addresses and their names
 * 0.3 MiB; ..." (then the mode); always NUL-terminated. */
void symbolize_usage_summary(char *out, size_t len);

typedef struct mapping_info {
    uint64_t start, limit, offset; /* as in /proc/self/maps */
    const char *filename;          /* interned; "" for anonymous */
    const char *build_id;          /* interned lowercase hex; "" if none */
} mapping_info;

/*
 * The executable mappings of this process (from /proc/self/maps, 'x'
 * permission), with ELF build IDs. Returns a malloc'd array the caller frees
 * (the strings inside are interned, do not free them), or NULL with *n = 0.
 * Mappings of the main executable come first (pprof treats mapping 1 as the
 * main binary).
 */
mapping_info *mappings_read_self(size_t *n);

#endif

/*
 * symbolize.c — the analyzer's symbolizer (symbolize.h): addresses of an
 * unsymbolized profile -> functions, file:line and inline frames, read
 * from local files with elfutils libdwfl.
 *
 * Design:
 *   - Per mapping that needs it, one symbol file is chosen (find_file): the
 *     first candidate that is a regular ELF file with the mapping's build
 *     ID and DWARF; else the first with the build ID and a symbol table
 *     (names only). Each file is reported alone in a Dwfl of its own
 *     (dwfl_report_elf at bias 0), so a profile's addresses are turned into
 *     the file's addresses by the mapping's start and offset and the file's
 *     PT_LOAD headers (to_file_address), as pprof's elfexec.GetBase does.
 *     A separate .debug file keeps the program headers of its binary, so it
 *     serves as the module by itself.
 *   - The address lookup is the library's (common/symbolize_dwarf.c, with
 *     its per-unit indexes): cprof top names what an in-process symbolized
 *     profile of the same run names. Strings are interned (profile/intern.h).
 *   - Functions are deduplicated by (name, file) with the profile's own;
 *     new ones get the next ids. Mappings symbolized get has_functions, and
 *     the file/line/inline flags when DWARF served them.
 *   - Debuginfod only when asked (-debuginfod) and $DEBUGINFOD_URLS is set:
 *     libdwfl's standard debuginfo lookup, which includes its debuginfod
 *     client, is used for a file found without DWARF. Otherwise the lookup
 *     stays local (libdwfl's build-ID search of its debuginfo path).
 *
 * Untrusted input: mapping names and build IDs come from the profile. A
 * build ID that is not 2 to 128 hex digits matches no file; only regular files are
 * opened (O_NONBLOCK: a FIFO never blocks the check); at most
 * SYMBOLIZE_MAX_FILES files are tried per profile.
 */
#include "symbolize.h"

#include <ctype.h>
#include <dlfcn.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "hash_table.h"
#include "arena.h"
#include "intern.h"
#include "symbolize_dwarf.h"
#include "symbolize_index.h"

#define MAX_BUILD_ID_HEX 128
#define SYSTEM_DEBUG_DIR "/usr/lib/debug"

/* ---- candidate files --------------------------------------------------- */

/* What one candidate file offers. */
typedef struct candidate {
    char path[PATH_MAX];
    bool has_dwarf;
} candidate;

/* The search for one mapping's file. */
typedef struct search {
    const cp_mapping *m;
    const char *build_id; /* validated lowercase hex, or NULL */
    candidate best;       /* with DWARF when best_dwarf */
    bool found, best_dwarf;
    char mismatch[PATH_MAX]; /* a file at the mapped path with another build ID */
    char layout[PATH_MAX];   /* the first matching file with elf_has_layout */
    size_t *files_tried;
} search;

/* The mapping's build ID as lowercase hex when it is 2 to 128 hex digits
 * (even count), written to out; NULL otherwise. */
static const char *valid_build_id(const char *id, char *out)
{
    size_t n = strlen(id);
    if (n < 2 || n > MAX_BUILD_ID_HEX || n % 2)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)id[i]))
            return NULL;
        out[i] = (char)tolower((unsigned char)id[i]);
    }
    out[n] = 0;
    return out;
}

/* The ELF's GNU build ID as hex into out (cap >= 2 * 64 + 1); 0, or -1 when
 * it has none. */
static int elf_build_id_hex(Elf *elf, char *out, size_t cap)
{
    const void *bits;
    ssize_t n = dwelf_elf_gnu_build_id(elf, &bits);
    if (n <= 0 || (size_t)n * 2 + 1 > cap)
        return -1;
    static const char digits[] = "0123456789abcdef";
    for (ssize_t i = 0; i < n; i++) {
        out[2 * i] = digits[((const uint8_t *)bits)[i] >> 4];
        out[2 * i + 1] = digits[((const uint8_t *)bits)[i] & 15];
    }
    out[2 * n] = 0;
    return 0;
}

enum check { CHECK_NONE, CHECK_MISMATCH, CHECK_OK };

/* Whether the ELF's executable PT_LOAD has file contents: a binary, whose
 * file offsets place a mapping; a separate .debug file keeps the program
 * headers' addresses but not their offsets or file sizes. */
static bool elf_has_layout(Elf *elf)
{
    size_t n;
    if (elf_getphdrnum(elf, &n) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
            ph.p_filesz > 0)
            return true;
    }
    return false;
}

/* Open path if it is a regular ELF file and, when want_id is set, has that
 * build ID; *has_dwarf says whether it has DWARF, *has_layout whether its
 * program headers carry file offsets (elf_has_layout). */
static enum check check_file(const char *path, const char *want_id, bool *has_dwarf,
                             bool *has_layout)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return CHECK_NONE;
    struct stat st;
    enum check result = CHECK_NONE;
    Elf *elf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr))
        goto done;
    elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF)
        goto done;
    char id[2 * 64 + 1];
    int has_id = elf_build_id_hex(elf, id, sizeof id) == 0;
    if (want_id && (!has_id || strcmp(id, want_id) != 0)) {
        result = CHECK_MISMATCH;
        goto done;
    }
    *has_dwarf = elf_has_dwarf(elf) != 0;
    *has_layout = elf_has_layout(elf);
    result = CHECK_OK;
done:
    if (elf)
        elf_end(elf);
    close(fd);
    return result;
}

/* Try one candidate path; true when the search is over (a file with DWARF
 * was found, or the file budget is spent). */
static bool try_path(search *s, const char *path)
{
    if (!path[0] || (s->found && !strcmp(path, s->best.path)))
        return false;
    if (*s->files_tried >= SYMBOLIZE_MAX_FILES)
        return true;
    ++*s->files_tried;
    bool dwarf = false, layout = false;
    enum check c = check_file(path, s->build_id, &dwarf, &layout);
    if (c == CHECK_MISMATCH && !strcmp(path, s->m->file))
        snprintf(s->mismatch, sizeof s->mismatch, "%s", path);
    if (c == CHECK_OK && layout && !s->layout[0])
        snprintf(s->layout, sizeof s->layout, "%s", path);
    if (c != CHECK_OK || (s->found && !dwarf))
        return false;
    snprintf(s->best.path, sizeof s->best.path, "%s", path);
    s->best.has_dwarf = dwarf;
    s->found = true;
    s->best_dwarf = dwarf;
    return dwarf;
}

/* DIR/.build-id/xx/rest.debug into out (empty when there is no build ID or
 * it does not fit). */
static void build_id_path(const char *dir, const char *id, char *out, size_t cap)
{
    out[0] = 0;
    if (id && snprintf(out, cap, "%s/.build-id/%.2s/%s.debug", dir, id, id + 2) >= (int)cap)
        out[0] = 0;
}

/* The candidates under one symbol directory; true when the search is over. */
static bool try_dir(search *s, const char *dir)
{
    char path[PATH_MAX];
    const char *file = s->m->file, *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    build_id_path(dir, s->build_id, path, sizeof path);
    if (try_path(s, path))
        return true;
    if (!base[0])
        return false;
    const char *formats[] = {"%s/%s.debug", "%s/%s"};
    for (size_t i = 0; i < 2; i++)
        if (snprintf(path, sizeof path, formats[i], dir, base) < (int)sizeof path &&
            try_path(s, path))
            return true;
    if (file[0] == '/' && snprintf(path, sizeof path, "%s%s", dir, file) < (int)sizeof path &&
        try_path(s, path))
        return true;
    return false;
}

/* Every candidate in order, until one with DWARF. */
static void find_candidates(search *s, const symbolize_opts *o)
{
    for (size_t i = 0; i < o->dirs.n; i++)
        if (try_dir(s, o->dirs.v[i]))
            return;
    const char *env = getenv("CPROF_SYMBOL_PATH");
    if (env) {
        char *copy = xstrdup(env), *save = NULL;
        bool over = false;
        for (char *dir = strtok_r(copy, ":", &save); dir && !over; dir = strtok_r(NULL, ":", &save))
            over = try_dir(s, dir);
        free(copy);
        if (over)
            return;
    }
    if (s->m->file[0] == '/' && try_path(s, s->m->file))
        return;
    char path[PATH_MAX];
    build_id_path(SYSTEM_DEBUG_DIR, s->build_id, path, sizeof path);
    try_path(s, path);
}

/* find_candidates, then the mapped file for its layout when the search
 * stopped at a .debug file before reaching it. */
static void find_file(search *s, const symbolize_opts *o)
{
    find_candidates(s, o);
    bool dwarf, layout;
    if (s->found && !s->layout[0] && s->m->file[0] == '/' &&
        *s->files_tried < SYMBOLIZE_MAX_FILES && strcmp(s->m->file, s->best.path) != 0) {
        ++*s->files_tried;
        if (check_file(s->m->file, s->build_id, &dwarf, &layout) == CHECK_OK && layout)
            snprintf(s->layout, sizeof s->layout, "%s", s->m->file);
    }
}

/* ---- one module ------------------------------------------------------- */

static const Dwfl_Callbacks local_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_build_id_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* libdwfl's standard lookup: .gnu_debuglink, build ID, then debuginfod. */
static const Dwfl_Callbacks debuginfod_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* A symbol file reported alone. */
typedef struct module {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    Dwarf_Addr bias;  /* file address + bias = Dwfl address */
    GElf_Phdr *loads; /* PT_LOAD headers of the layout file, else the module's */
    size_t n_loads;
    bool layout; /* loads carry file offsets */
    bool dwarf;  /* DWARF reached (in the file, or found by libdwfl) */
} module;

static void module_close(module *mm)
{
    free(mm->loads);
    if (mm->dwfl)
        dwfl_end(mm->dwfl);
    memset(mm, 0, sizeof *mm);
}

/* The PT_LOAD headers of elf into mm->loads. */
static void read_loads(module *mm, Elf *elf)
{
    size_t n;
    if (elf_getphdrnum(elf, &n) != 0)
        return;
    mm->loads = xcalloc(n ? n : 1, sizeof *mm->loads);
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
            mm->loads[mm->n_loads++] = ph;
    }
}

/* The program headers of the binary at layout_path (checked by
 * check_file); false when it cannot be read again. */
static bool read_layout(module *mm, const char *layout_path)
{
    int fd = open(layout_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return false;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    bool ok = elf && elf_kind(elf) == ELF_K_ELF;
    if (ok)
        read_loads(mm, elf);
    if (elf)
        elf_end(elf);
    close(fd);
    return ok && mm->n_loads > 0;
}

/* Report path in a Dwfl of its own; the address layout from layout_path
 * (a binary with the same build ID, "" when none was found) or else from
 * the module's own headers. 0, or -1 (nothing to free). */
static int module_open(module *mm, const char *path, const char *layout_path, bool debuginfod)
{
    memset(mm, 0, sizeof *mm);
    mm->dwfl = dwfl_begin(debuginfod ? &debuginfod_callbacks : &local_callbacks);
    if (!mm->dwfl)
        return -1;
    dwfl_report_begin(mm->dwfl);
    const char *slash = strrchr(path, '/');
    mm->mod = dwfl_report_elf(mm->dwfl, slash ? slash + 1 : path, path, -1, 0, false);
    dwfl_report_end(mm->dwfl, NULL, NULL);
    Elf *elf = mm->mod ? dwfl_module_getelf(mm->mod, &mm->bias) : NULL;
    if (!elf) {
        module_close(mm);
        return -1;
    }
    mm->layout = layout_path[0] && read_layout(mm, layout_path);
    if (!mm->layout) {
        free(mm->loads);
        mm->loads = NULL;
        mm->n_loads = 0;
        read_loads(mm, elf);
    }
    Dwarf_Addr dbias;
    mm->dwarf = dwfl_module_getdwarf(mm->mod, &dbias) != NULL;
    return 0;
}

/* The file address of a profile address in mapping m. With the binary's
 * layout, the PT_LOAD holding the mapping's file offset (executable ones
 * first) gives addr - start + offset + (p_vaddr - p_offset), as pprof's
 * elfexec.GetBase. With only a .debug file's headers (no offsets), the
 * mapping is taken to be the executable segment, which the kernel maps at
 * its page-aligned p_vaddr. false when nothing fits. */
static bool to_file_address(const module *mm, const cp_mapping *m, uint64_t addr, uint64_t *out)
{
    if (m->start == 0 && m->offset == 0 && (m->limit == 0 || m->limit == ~(uint64_t)0)) {
        /* pprof's GetBase: a fake mapping over the whole address space
         * (legacy text without maps, a binary named on the command line)
         * holds addresses that are the file's already */
        *out = addr;
        return true;
    }
    const GElf_Phdr *hit = NULL;
    for (size_t i = 0; i < mm->n_loads; i++) {
        const GElf_Phdr *ph = &mm->loads[i];
        if (!mm->layout) {
            if (ph->p_flags & PF_X) {
                hit = ph;
                break;
            }
            continue;
        }
        uint64_t lo = ph->p_offset & ~(uint64_t)4095;
        if (m->offset < lo || m->offset >= ph->p_offset + ph->p_filesz)
            continue;
        if (!hit || ((ph->p_flags & PF_X) && !(hit->p_flags & PF_X)))
            hit = ph;
    }
    if (!hit || addr < m->start)
        return false;
    if (!mm->layout)
        *out = addr - m->start + (hit->p_vaddr & ~(uint64_t)4095);
    else
        *out = addr - m->start + m->offset + (hit->p_vaddr - hit->p_offset);
    return true;
}

/* ---- the profile's functions ----------------------------------------- */

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

/* symbol_strings.keep: interned; C++ names demangled when libstdc++'s
 * __cxa_demangle can be loaded (as the in-process symbolizer does with the
 * host's). */
static const char *keep_interned(void *ctx, const char *s, int function)
{
    (void)ctx;
    static demangle_fn demangle;
    static bool looked_up;
    if (!function || s[0] != '_' || s[1] != 'Z')
        return intern_cstr(s);
    if (!looked_up) {
        looked_up = true;
        void *lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        demangle = lib ? (demangle_fn)dlsym(lib, "__cxa_demangle") : NULL;
    }
    int status = -1;
    char *plain = demangle ? demangle(s, NULL, NULL, &status) : NULL;
    const char *kept = intern_cstr(status == 0 && plain ? plain : s);
    free(plain);
    return kept;
}

static const symbol_strings interned = {keep_interned, NULL};

/* The profile's functions, looked up by (name, filename), and the new ones. */
typedef struct function_set {
    cp_profile *p;
    htab by_name; /* cp_function * */
    cp_function **added;
    size_t n_added, cap_added;
    uint64_t next_id;
} function_set;

typedef struct function_key {
    const char *name, *filename; /* interned */
} function_key;

/* htab_eq_fn: the function has the key's name and file (interned). */
static int function_eq(const void *key, const void *item)
{
    const function_key *k = key;
    const cp_function *f = item;
    return f->name == k->name && f->filename == k->filename;
}

static uint64_t function_hash(const char *name, const char *filename)
{
    return hash_mix((uint64_t)(uintptr_t)name, (uint64_t)(uintptr_t)filename);
}

static void function_set_init(function_set *fs, cp_profile *p)
{
    memset(fs, 0, sizeof *fs);
    fs->p = p;
    fs->by_name.alloc = &htab_xalloc;
    for (size_t i = 0; i < p->n_functions; i++) {
        cp_function *f = p->functions[i];
        htab_insert(&fs->by_name, function_hash(f->name, f->filename), f);
        if (f->id >= fs->next_id)
            fs->next_id = f->id + 1;
    }
    if (!fs->next_id)
        fs->next_id = 1;
}

/* The function (name, filename), added to the profile when new. */
static cp_function *function_for(function_set *fs, const char *name, const char *filename)
{
    function_key k = {name, filename};
    uint64_t h = function_hash(name, filename);
    cp_function *f = htab_find(&fs->by_name, h, function_eq, &k);
    if (f)
        return f;
    f = arena_alloc(&fs->p->mem, 1, sizeof *f);
    f->id = fs->next_id++;
    f->name = f->system_name = name;
    f->filename = filename;
    htab_insert(&fs->by_name, h, f);
    if (fs->n_added == fs->cap_added) {
        fs->cap_added = fs->cap_added ? fs->cap_added * 2 : 64;
        fs->added = xrealloc(fs->added, fs->cap_added, sizeof *fs->added);
    }
    fs->added[fs->n_added++] = f;
    return f;
}

/* The new functions appended to the profile's array; fs freed. */
static void function_set_finish(function_set *fs)
{
    cp_profile *p = fs->p;
    if (fs->n_added) {
        cp_function **all = arena_alloc(&p->mem, p->n_functions + fs->n_added, sizeof *all);
        if (p->n_functions)
            memcpy(all, p->functions, p->n_functions * sizeof *all);
        memcpy(all + p->n_functions, fs->added, fs->n_added * sizeof *all);
        p->functions = all;
        p->n_functions += fs->n_added;
        cp_profile_reindex(p);
    }
    free(fs->added);
    htab_free(&fs->by_name);
}

/* ---- the mappings ------------------------------------------------------ */

/* Mappings pprof knows cannot be symbolized (profile.Mapping.Unsymbolizable). */
static bool unsymbolizable(const cp_mapping *m)
{
    const char *f = m->file;
    return !f[0] || f[0] == '[' || !strncmp(f, "linux-vdso", 10) || !strncmp(f, "/dev/dri/", 9) ||
           !strcmp(f, "//anon");
}

/* Give location l the lines of si. */
static void set_lines(function_set *fs, cp_location *l, const symbol_info *si)
{
    l->lines = arena_alloc(&fs->p->mem, si->n_lines, sizeof *l->lines);
    l->n_lines = si->n_lines;
    for (size_t i = 0; i < si->n_lines; i++) {
        const symbol_line *sl = &si->lines[i];
        l->lines[i].function = function_for(fs, sl->function, sl->filename ? sl->filename : "");
        l->lines[i].line = sl->line;
    }
}

/* Give named location l (one line, the host's name) the file:line of si's
 * outermost frame, keeping its name and adding no inline frames: the
 * profile reads as go tool pprof shows it (which keeps the names of a
 * mapping that has functions), with lines for -lines and list. */
static void fill_line(function_set *fs, cp_location *l, const symbol_info *si)
{
    const symbol_line *outer = &si->lines[si->n_lines - 1];
    cp_line *one = arena_alloc(&fs->p->mem, 1, sizeof *one);
    one->function = function_for(fs, l->lines[0].function->name, outer->filename);
    one->line = outer->line;
    l->lines = one;
    l->n_lines = 1;
}

/* The locations without lines of each mapping: those of mapping index i
 * are loc[first[i]] .. loc[first[i + 1] - 1]. */
typedef struct pending {
    cp_location **loc;
    size_t *first; /* n_mappings + 1 */
} pending;

/* Whether m names its frames without file:line (an in-process profile's
 * library whose debug info is a separate file): its lines are filled. */
static bool names_only(const cp_mapping *m)
{
    return m->has_functions && !m->has_line_numbers;
}

/* Whether l is to be symbolized: no lines in a mapping without functions,
 * or, in a names_only mapping, one line without a line number (a mapping
 * that has functions is otherwise left as it is, as pprof does). */
static bool location_pending(const cp_location *l)
{
    if (!l->mapping)
        return false;
    if (!l->mapping->has_functions)
        return !l->n_lines;
    return names_only(l->mapping) && l->n_lines == 1 && l->lines[0].line == 0;
}

/* One pass over the locations (a hostile profile's mappings x locations
 * would be quadratic). */
static void pending_init(pending *pd, const cp_profile *p)
{
    pd->first = xcalloc(p->n_mappings + 2, sizeof *pd->first);
    size_t n = 0;
    for (size_t i = 0; i < p->n_locations; i++) {
        const cp_location *l = p->locations[i];
        if (location_pending(l)) {
            pd->first[l->mapping->index + 2]++;
            n++;
        }
    }
    for (size_t i = 2; i < p->n_mappings + 2; i++)
        pd->first[i] += pd->first[i - 1];
    pd->loc = xcalloc(n ? n : 1, sizeof *pd->loc);
    for (size_t i = 0; i < p->n_locations; i++) {
        cp_location *l = p->locations[i];
        if (location_pending(l))
            pd->loc[pd->first[l->mapping->index + 1]++] = l;
    }
}

static void pending_free(pending *pd)
{
    free(pd->loc);
    free(pd->first);
}

/* "NAME (build id ID)" or "NAME" for messages. */
static void mapping_name(const cp_mapping *m, char *out, size_t cap)
{
    const char *slash = strrchr(m->file, '/');
    const char *base = slash && slash[1] ? slash + 1 : m->file;
    if (m->build_id[0])
        snprintf(out, cap, "%s (build id %.128s)", base, m->build_id);
    else
        snprintf(out, cap, "%s", base);
}

/* ---- results kept across profiles (cprof watch) ----------------------- */

enum memo_state { MEMO_UNKNOWN, MEMO_MISSING, MEMO_NAMES, MEMO_DWARF };

#define MEMO_MAPPING UINT64_MAX /* the address of a mapping's own entry */

/* One address's result, or (addr MEMO_MAPPING) a mapping's file state. */
typedef struct memo_entry {
    const char *file, *build_id; /* the mapping's, interned */
    uint64_t start, addr;
    int state; /* address: 1 found, 0 not; mapping: enum memo_state */
    size_t n_lines;
    symbol_line lines[]; /* strings interned (intern.h): valid for the run */
} memo_entry;

struct symbol_memo {
    htab entries; /* memo_entry * */
};

typedef struct memo_key {
    const cp_mapping *m;
    uint64_t addr;
} memo_key;

/* htab_eq_fn: the entry is for the key's mapping and address. */
static int memo_eq(const void *key, const void *item)
{
    const memo_key *k = key;
    const memo_entry *e = item;
    return e->addr == k->addr && e->start == k->m->start && e->file == k->m->file &&
           e->build_id == k->m->build_id;
}

static uint64_t memo_hash(const cp_mapping *m, uint64_t addr)
{
    return hash_mix(
        hash_mix(hash_mix((uint64_t)(uintptr_t)m->file, (uint64_t)(uintptr_t)m->build_id),
                 m->start),
        addr);
}

/* See symbolize.h: an empty memo (never NULL: xcalloc dies on OOM). */
symbol_memo *symbol_memo_new(void)
{
    symbol_memo *memo = xcalloc(1, sizeof *memo);
    memo->entries.alloc = &htab_xalloc;
    return memo;
}

/* See symbolize.h. */
void symbol_memo_free(symbol_memo *memo)
{
    if (!memo)
        return;
    size_t cursor = 0;
    for (void **it; (it = htab_next(&memo->entries, &cursor));)
        free(*it);
    htab_free(&memo->entries);
    free(memo);
}

/* The entry of (m, addr), or NULL; NULL when there is no memo. */
static memo_entry *memo_find(symbol_memo *memo, const cp_mapping *m, uint64_t addr)
{
    if (!memo)
        return NULL;
    memo_key k = {m, addr};
    return htab_find(&memo->entries, memo_hash(m, addr), memo_eq, &k);
}

/* Remember (m, addr): state and, for an address found, its lines. */
static void memo_store(symbol_memo *memo, const cp_mapping *m, uint64_t addr, int state,
                       const symbol_info *si)
{
    if (!memo)
        return;
    memo_entry *e = memo_find(memo, m, addr);
    if (e) { /* only a mapping's entry is stored again: a state, no lines */
        e->state = state;
        return;
    }
    size_t n = si ? si->n_lines : 0;
    e = xmalloc(sizeof *e + n * sizeof e->lines[0]);
    e->file = m->file;
    e->build_id = m->build_id;
    e->start = m->start;
    e->addr = addr;
    e->state = state;
    e->n_lines = n;
    if (n)
        memcpy(e->lines, si->lines, n * sizeof e->lines[0]);
    htab_insert(&memo->entries, memo_hash(m, addr), e); /* htab_xalloc: never fails */
}

/* ---- one mapping ------------------------------------------------------- */

/* The module of a mapping, opened when the first address the memo does not
 * know needs it. */
typedef struct mapping_job {
    cp_mapping *m;
    const symbolize_opts *o;
    size_t *files_tried;
    bool fill;  /* names_only mapping: frames already named, lines wanted */
    bool quiet; /* no messages: fill, or said for an earlier profile */
    int state;  /* enum memo_state */
    module mm;
} mapping_job;

/* Find and open the mapping's file: job->state MEMO_NAMES or MEMO_DWARF
 * with job->mm open, or MEMO_MISSING after one line on stderr saying why
 * (none when quiet). */
static void job_open(mapping_job *job)
{
    cp_mapping *m = job->m;
    char id_buf[MAX_BUILD_ID_HEX + 1], name[PATH_MAX + 160];
    search s = {
        .m = m, .build_id = valid_build_id(m->build_id, id_buf), .files_tried = job->files_tried};
    mapping_name(m, name, sizeof name);
    job->state = MEMO_MISSING;
    if (m->build_id[0] && !s.build_id) {
        if (!job->quiet)
            fprintf(stderr, "cprof: no debug info for %s: the build id is not hex\n", name);
        return;
    }
    find_file(&s, job->o);
    if (!s.found) {
        if (job->quiet)
            return;
        if (s.mismatch[0])
            fprintf(stderr,
                    "cprof: no debug info for %s: %s has another build id; use -symbol_dir\n", name,
                    s.mismatch);
        else
            fprintf(stderr,
                    "cprof: no debug info for %s: not found (the mapped file, " SYSTEM_DEBUG_DIR
                    "/.build-id, -symbol_dir, $CPROF_SYMBOL_PATH)\n",
                    name);
        return;
    }
    if (job->fill && !s.best_dwarf)
        return; /* names only: the profile has them already */
    const char *urls = getenv("DEBUGINFOD_URLS");
    bool ask_server = !s.best_dwarf && job->o->debuginfod && urls && urls[0];
    if (module_open(&job->mm, s.best.path, s.layout, ask_server) != 0) {
        if (!job->quiet)
            fprintf(stderr, "cprof: no debug info for %s: %s cannot be read: %s\n", name,
                    s.best.path, dwfl_errmsg(-1));
        return;
    }
    job->state = job->mm.dwarf ? MEMO_DWARF : MEMO_NAMES;
    if (!job->mm.dwarf && !job->quiet)
        fprintf(stderr, "cprof: no debug info for %s: function names from %s, no lines\n", name,
                s.best.path);
}

/* One mapping: found (or known from the memo), its pending locations
 * symbolized, flagged; or one line saying why not. Returns how many
 * locations got lines. */
static size_t symbolize_mapping(function_set *fs, const pending *pd, cp_mapping *m,
                                const symbolize_opts *o, size_t *files_tried)
{
    symbol_memo *memo = o->memo;
    bool fill = names_only(m);
    mapping_job job = {.m = m, .o = o, .files_tried = files_tried, .fill = fill, .quiet = fill};
    memo_entry *known = memo_find(memo, m, MEMO_MAPPING);
    job.state = known ? known->state : MEMO_UNKNOWN;
    bool opened = false;
    size_t done = 0;
    for (size_t i = pd->first[m->index]; i < pd->first[m->index + 1]; i++) {
        cp_location *l = pd->loc[i];
        memo_entry *e = memo_find(memo, m, l->address);
        symbol_info si;
        int found = 0;
        if (e) {
            found = e->state;
            si.n_lines = e->n_lines;
            memcpy(si.lines, e->lines, e->n_lines * sizeof si.lines[0]);
        } else {
            if (!opened && job.state != MEMO_MISSING) {
                if (job.state != MEMO_UNKNOWN)
                    job.quiet = true; /* found for an earlier profile: said so then */
                job_open(&job);
                opened = job.state != MEMO_MISSING;
                memo_store(memo, m, MEMO_MAPPING, job.state, NULL);
            }
            if (!opened)
                continue; /* missing (or known from the memo to be): nothing to look up */
            uint64_t file_addr;
            found =
                to_file_address(&job.mm, m, l->address, &file_addr) &&
                symbolize_module_addr(job.mm.mod, file_addr + job.mm.bias, 0, &interned, &si) == 0;
            memo_store(memo, m, l->address, found, found ? &si : NULL);
        }
        if (found && !job.fill) {
            set_lines(fs, l, &si);
            done++;
        } else if (found && si.lines[si.n_lines - 1].filename) {
            fill_line(fs, l, &si);
            done++;
        }
    }
    /* A filled mapping keeps its flags, as go tool pprof shows them (-raw);
     * its filled locations are no longer pending (they have a line). */
    if (!job.fill && (job.state == MEMO_NAMES || job.state == MEMO_DWARF)) {
        m->has_functions = true;
        m->has_filenames = m->has_line_numbers = m->has_inline_frames = job.state == MEMO_DWARF;
    }
    if (opened) {
        symbol_index_clear(); /* keyed by this Dwfl's pointers */
        module_close(&job.mm);
    }
    return done;
}

size_t profile_symbolize(cp_profile *p, const symbolize_opts *o)
{
    if (o->none)
        return 0;
    elf_version(EV_CURRENT); /* libelf's handshake, before any elf_begin */
    cp_profile_reindex(p);
    function_set fs;
    function_set_init(&fs, p);
    pending pd;
    pending_init(&pd, p);
    size_t done = 0, files_tried = 0;
    for (size_t i = 0; i < p->n_mappings; i++) {
        cp_mapping *m = p->mappings[i];
        if ((m->has_functions && !names_only(m)) || unsymbolizable(m) ||
            pd.first[i] == pd.first[i + 1])
            continue;
        if (files_tried >= SYMBOLIZE_MAX_FILES) {
            fprintf(stderr, "cprof: symbolization stopped after %d files\n", SYMBOLIZE_MAX_FILES);
            break;
        }
        done += symbolize_mapping(&fs, &pd, m, o, &files_tried);
    }
    pending_free(&pd);
    function_set_finish(&fs);
    return done;
}

void symbolize_opts_free(symbolize_opts *o)
{
    strlist_free(&o->dirs);
}

/* ---- a mapping's binary, for the disassembly reports ------------------ */

struct objfile {
    module mm;           /* the file's DWARF (or symbols) and its PT_LOADs */
    cp_mapping m;        /* the mapping's start, limit, offset */
    char path[PATH_MAX]; /* the file with the code: objdump's and nm's input */
};

/* ObjTool.Open (symbolize.h): the search of find_file, kept only when it
 * found a file with the code (s.layout); that file's DWARF, or the best
 * candidate's (a .debug file), opened as a module. NULL with err. */
objfile *objfile_open(const cp_mapping *m, const symbolize_opts *o, cp_err *err)
{
    elf_version(EV_CURRENT);
    char id_buf[MAX_BUILD_ID_HEX + 1], name[PATH_MAX + 160];
    size_t files_tried = 0;
    search s = {
        .m = m, .build_id = valid_build_id(m->build_id, id_buf), .files_tried = &files_tried};
    mapping_name(m, name, sizeof name);
    if (m->build_id[0] && !s.build_id) {
        cp_err_set(err, "%s: the build id is not hex", name);
        return NULL;
    }
    find_file(&s, o);
    if (!s.layout[0]) {
        if (s.mismatch[0])
            cp_err_set(err, "%s: %s has another build id; use -symbol_dir", name, s.mismatch);
        else
            cp_err_set(err,
                       "%s: no binary found (the mapped file, -symbol_dir, $CPROF_SYMBOL_PATH; "
                       "a separate .debug file has no code)",
                       name);
        return NULL;
    }
    objfile *f = xcalloc(1, sizeof *f);
    if (module_open(&f->mm, s.found ? s.best.path : s.layout, s.layout, false) != 0) {
        cp_err_set(err, "%s: %s cannot be read: %s", name, s.layout, dwfl_errmsg(-1));
        free(f);
        return NULL;
    }
    f->m = *m;
    snprintf(f->path, sizeof f->path, "%s", s.layout);
    return f;
}

/* objfile_say_once (symbolize.h): the messages said so far, kept for the
 * process's life (bounded: past SAID_MAX distinct ones, each is said). The
 * tool is single-threaded where reports run (the web UI's one thread). */
void objfile_say_once(const cp_err *err)
{
    enum { SAID_MAX = 256 };
    static char *said[SAID_MAX];
    static size_t n_said;
    for (size_t i = 0; i < n_said; i++)
        if (strcmp(said[i], err->msg) == 0)
            return;
    fprintf(stderr, "cprof: %s\n", err->msg);
    if (n_said < SAID_MAX)
        said[n_said++] = xstrdup(err->msg);
}

/* The binary nm and objdump read (symbolize.h). */
const char *objfile_path(const objfile *f)
{
    return f->path;
}

/* ObjAddr (symbolize.h): to_file_address with the mapping's layout. */
bool objfile_addr(const objfile *f, uint64_t addr, uint64_t *file_addr)
{
    return to_file_address(&f->mm, &f->m, addr, file_addr);
}

/* SourceLine (symbolize.h): the inline chain at addr, from DWARF (or the
 * symbol table's name alone); strings interned. 0, or -1. */
int objfile_frames(objfile *f, uint64_t addr, symbol_info *out)
{
    uint64_t file_addr;
    if (!objfile_addr(f, addr, &file_addr))
        return -1;
    return symbolize_module_addr(f->mm.mod, file_addr + f->mm.bias,
                                 f->mm.dwarf ? 0 : SYMBOLIZE_NAMES_ONLY, &interned, out);
}

/* Closes f (symbolize.h); the symbol indexes keyed by its Dwfl go too. */
void objfile_close(objfile *f)
{
    if (!f)
        return;
    symbol_index_clear(); /* keyed by this Dwfl's pointers */
    module_close(&f->mm);
    free(f);
}

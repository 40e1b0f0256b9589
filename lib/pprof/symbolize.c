/*
 * symbolize.c — in-process symbolization with elfutils libdwfl, and the
 * executable mappings of this process with their ELF build IDs.
 *
 * Design:
 *   - One Dwfl session for the process, created on first use from
 *     /proc/self/maps (dwfl_linux_proc_report). When an address falls in no
 *     known module and the dynamic loader's add/remove counters moved since
 *     the last report (a dlopen happened), the modules are re-reported once
 *     and the lookup retried; otherwise the miss is final.
 *   - Per address: common/symbolize_dwarf.c, which the analyzer shares
 *     (function names, file:line, inline frames as `addr2line -i -f`
 *     prints them, from per-unit indexes: a binary search per address).
 *   - What DWARF is read (CPROF_SYMBOLIZE): "full" reads every module's;
 *     "on" (the default) reads the main program's and that of the modules
 *     carrying DWARF in their own file, and names the frames of a shared
 *     library whose debug info is only in a separate debug file (libc,
 *     ld.so, libstdc++ with their -dbg packages) from its ELF symbol table:
 *     function and offset, no file:line. Such files are compressed
 *     (SHF_COMPRESSED), and libdw inflates all their debug sections on
 *     first use: 0.12 s of CPU and ~20 MB of host RSS for libc's, for the
 *     start_thread/clone3 frames of every stack. Their mappings then say
 *     has_functions without has_line_numbers, and the analyzer fills the
 *     lines from the same files (tool/symbolize/).
 *   - Debug info is found on this machine only: by build ID and
 *     .gnu_debuglink under /usr/lib/debug; never debuginfod.
 *   - C++ names are demangled with __cxa_demangle found at run time: it is
 *     there exactly when the host program is C++, and we never link
 *     libstdc++ ourselves.
 *
 * Invariants:
 *   - Every string handed out is interned: allocated once, never freed, so
 *     callers may keep pointers for the life of the process.
 *   - Results are cached per address forever (entries are never evicted);
 *     a profile references a bounded set of code addresses. The per-unit
 *     and per-module indexes live under a byte budget (least recently used
 *     evicted first) that also counts what the results and the interned
 *     strings hold: the indexes get what these leave of it.
 *   - One mutex guards libdwfl (not thread-safe), the cache and the intern
 *     table. Everything stays reachable from static pointers, so leak
 *     checkers see no leaks at exit.
 *   - Profiler threads only: this allocates and takes locks.
 */
#include "symbolize.h"
#include "common/symbolize_index.h"

#include <dlfcn.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <libelf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/hash_table.h"

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- interned strings -------------------------------------------------- */

static htab intern_table;  /* char * (strdup'd, never freed) by content */
static size_t kept_bytes;  /* interned strings and cached results, malloc'd */
#define MALLOC_OVERHEAD 16 /* glibc's chunk header and rounding, about */

/* htab_eq_fn: the interned string equals the key string. */
static int intern_eq(const void *key, const void *item)
{
    return strcmp(key, item) == 0;
}

/* The interned copy of s; NULL only when s is NULL or memory ran out. */
static const char *intern(const char *s)
{
    if (!s)
        return NULL;
    uint64_t h = hash_str(s);
    char *copy = htab_find(&intern_table, h, intern_eq, s);
    if (copy)
        return copy;
    copy = strdup(s);
    if (!copy)
        return NULL;
    if (htab_insert(&intern_table, h, copy) != 0) {
        free(copy);
        return NULL;
    }
    kept_bytes += strlen(copy) + 1 + MALLOC_OVERHEAD;
    return copy;
}

/* ---- C++ demangling ---------------------------------------------------- */

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

/* Interned, demangled when it is an Itanium C++ name and the host program
 * carries a demangler. */
static const char *intern_function_name(const char *name)
{
    static demangle_fn demangle;
    static int looked_up;
    if (!name)
        return NULL;
    if (name[0] != '_' || name[1] != 'Z')
        return intern(name);
    if (!looked_up) {
        demangle = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
        looked_up = 1;
    }
    int status = -1;
    char *plain = demangle ? demangle(name, NULL, NULL, &status) : NULL;
    const char *result = intern(status == 0 && plain ? plain : name);
    free(plain);
    return result;
}

/* ---- the Dwfl session -------------------------------------------------- */

/*
 * Separate debug info is looked up by build ID under /usr/lib/debug (where
 * Debian's -dbgsym packages put it) and nowhere else. Not the standard
 * callback: with DEBUGINFOD_URLS set (Debian sets it in /etc/profile.d),
 * libdw would fetch debug info over the network from inside the host
 * process, on a scrape, for every stripped library.
 */
static int find_debuginfo_locally(Dwfl_Module *mod, void **userdata, const char *modname,
                                  Dwarf_Addr base, const char *file_name,
                                  const char *debuglink_file, GElf_Word debuglink_crc,
                                  char **debuginfo_file_name)
{
    return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = find_debuginfo_locally,
};

static Dwfl *dwfl;
static int dwfl_unavailable; /* dwfl_begin or the first report failed */
static unsigned long long reported_adds, reported_subs;

typedef struct loader_counters {
    unsigned long long adds, subs;
} loader_counters;

static int read_counters_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    loader_counters *c = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c->adds = info->dlpi_adds;
        c->subs = info->dlpi_subs;
    }
    return 1; /* the counters are the same in every entry: stop at once */
}

/* The loader's count of objects loaded and unloaded so far. */
static loader_counters loader_generation(void)
{
    loader_counters c = {0, 0};
    dl_iterate_phdr(read_counters_cb, &c);
    return c;
}

/* (Re)report every module of /proc/self/maps. add != 0 keeps the modules
 * already known (dwfl_report_begin_add), so earlier lookups stay valid. */
static int report_modules(int add)
{
    loader_counters gen = loader_generation();
    if (add)
        dwfl_report_begin_add(dwfl);
    else
        dwfl_report_begin(dwfl);
    int rc = dwfl_linux_proc_report(dwfl, getpid());
    if (dwfl_report_end(dwfl, NULL, NULL) != 0)
        rc = -1;
    reported_adds = gen.adds;
    reported_subs = gen.subs;
    return rc == 0 ? 0 : -1;
}

/* The main program's address span: dl_iterate_phdr reports it first. */
static uint64_t main_lo, main_hi;

static int main_span_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    main_lo = UINT64_MAX;
    main_hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD)
            continue;
        if (start < main_lo)
            main_lo = start;
        if (start + ph->p_memsz > main_hi)
            main_hi = start + ph->p_memsz;
    }
    return 1; /* the first one only */
}

/* 0, or -1 (nothing reported) when libdwfl cannot start. */
static int dwfl_ensure(void)
{
    if (dwfl)
        return 0;
    if (dwfl_unavailable)
        return -1;
    dwfl = dwfl_begin(&dwfl_callbacks);
    if (!dwfl) {
        dwfl_unavailable = 1;
        return -1;
    }
    dl_iterate_phdr(main_span_cb, NULL);
    report_modules(0); /* a partial report still serves what it found */
    return 0;
}

/* The module containing addr, re-reporting once if something was loaded
 * since the last report. */
static Dwfl_Module *module_for(uint64_t addr)
{
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
    if (mod)
        return mod;
    loader_counters gen = loader_generation();
    if (gen.adds == reported_adds && gen.subs == reported_subs)
        return NULL;
    report_modules(1);
    return dwfl_addrmodule(dwfl, addr);
}

/* ---- pages of the files read ------------------------------------------ */

/* libelf maps the ELF and debug files it reads; the index builds touch
 * every page of a unit's DIEs and line table, and those file pages stay in
 * the host's RSS. The images looked up since the last release: */
#define MAX_TOUCHED 64
static struct {
    const char *base;
    size_t size;
} touched[MAX_TOUCHED];
static size_t n_touched;

/* Remember the raw image of elf (libelf's mapping of the file). */
static void note_image(Elf *elf)
{
    size_t size = 0;
    const char *base = elf ? elf_rawfile(elf, &size) : NULL;
    if (!base || !size)
        return;
    for (size_t i = 0; i < n_touched; i++)
        if (touched[i].base == base)
            return;
    if (n_touched < MAX_TOUCHED) {
        touched[n_touched].base = base;
        touched[n_touched++].size = size;
    }
}

void symbolize_release_pages(void)
{
    pthread_mutex_lock(&sym_lock);
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t mask = page > 0 ? (uintptr_t)page - 1 : 4095;
    for (size_t i = 0; i < n_touched; i++) {
        uintptr_t lo = (uintptr_t)touched[i].base & ~mask;
        uintptr_t hi = ((uintptr_t)touched[i].base + touched[i].size + mask) & ~mask;
        /* Reclaim, never discard: a page read again comes back as it was
         * (clean file pages are dropped; anything else is left alone when
         * there is no swap). */
        madvise((void *)lo, hi - lo, MADV_PAGEOUT);
    }
    n_touched = 0;
    pthread_mutex_unlock(&sym_lock);
}

static _Atomic int mode = SYMBOLIZE_ON; /* CPROF_SYMBOLIZE */

/* Per module (in libdwfl's userdata slot, which nothing else here uses):
 * whether its DWARF is read. */
static const char read_dwarf = 1, names_only = 0;

/* symbolize_module_addr's flags for mod under the current mode: DWARF for
 * the main program and for modules with DWARF in their own file; names
 * only for the others, unless CPROF_SYMBOLIZE=full. */
static int module_flags(Dwfl_Module *mod)
{
    if (mode == SYMBOLIZE_FULL)
        return 0;
    void **userdata = NULL;
    Dwarf_Addr start = 0, end = 0;
    dwfl_module_info(mod, &userdata, &start, &end, NULL, NULL, NULL, NULL);
    if (!userdata)
        return 0;
    if (!*userdata) {
        Dwarf_Addr bias;
        int own =
            (start <= main_lo && main_lo < end) || elf_has_dwarf(dwfl_module_getelf(mod, &bias));
        *userdata = (void *)(own ? &read_dwarf : &names_only);
    }
    return *userdata == &names_only ? SYMBOLIZE_NAMES_ONLY : 0;
}

/* symbol_strings.keep: interned (function names demangled). */
static const char *keep_interned(void *ctx, const char *s, int function)
{
    (void)ctx;
    return function ? intern_function_name(s) : intern(s);
}

static const symbol_strings interned_strings = {keep_interned, NULL};

/* The whole lookup, uncached. Returns 0 when a function was found. */
static int resolve(uint64_t addr, symbol_info *info)
{
    Dwfl_Module *mod = module_for(addr);
    if (!mod) {
        memset(info, 0, sizeof *info);
        return -1;
    }
    int flags = module_flags(mod);
    int rc = symbolize_module_addr(mod, addr, flags, &interned_strings, info);
    Dwarf_Addr bias;
    note_image(dwfl_module_getelf(mod, &bias));
    Dwarf *dbg = flags & SYMBOLIZE_NAMES_ONLY ? NULL : dwfl_module_getdwarf(mod, &bias);
    if (dbg)
        note_image(dwarf_getelf(dbg));
    return rc;
}

/* ---- the per-address cache --------------------------------------------- */

typedef struct cache_entry {
    uint64_t addr;
    int found;
    uint64_t func_offset;
    size_t n_lines;
    symbol_line lines[]; /* n_lines of them */
} cache_entry;

static htab cache;                       /* cache_entry * by address */
static size_t budget = (size_t)64 << 20; /* CPROF_SYMBOL_CACHE_MB, for everything kept */

/* htab_eq_fn: the entry is for the key address. */
static int cache_entry_eq(const void *key, const void *item)
{
    return ((const cache_entry *)item)->addr == *(const uint64_t *)key;
}

/* The cached result for addr, or NULL. */
static cache_entry *cache_find(uint64_t addr)
{
    return htab_find(&cache, hash_mix(0, addr), cache_entry_eq, &addr);
}

/* Remember a result; silently forgets it when memory is short. */
static void cache_store(uint64_t addr, int found, const symbol_info *info)
{
    cache_entry *e = malloc(sizeof *e + info->n_lines * sizeof e->lines[0]);
    if (!e)
        return;
    e->addr = addr;
    e->found = found;
    e->func_offset = info->func_offset;
    e->n_lines = info->n_lines;
    memcpy(e->lines, info->lines, info->n_lines * sizeof e->lines[0]);
    if (htab_insert(&cache, hash_mix(0, addr), e) != 0) {
        free(e);
        return;
    }
    kept_bytes += sizeof *e + info->n_lines * sizeof e->lines[0] + MALLOC_OVERHEAD;
}

/* The indexes get what the results and strings leave of the budget. */
static void index_budget_update(void)
{
    symbol_index_set_budget(budget > kept_bytes ? budget - kept_bytes : 0);
}

static int cache_copy_out(const cache_entry *e, symbol_info *out)
{
    memset(out, 0, sizeof *out);
    if (!e->found)
        return -1;
    out->n_lines = e->n_lines;
    out->func_offset = e->func_offset;
    memcpy(out->lines, e->lines, e->n_lines * sizeof e->lines[0]);
    return 0;
}

void symbolize_set_mode(int m)
{
    mode = m == SYMBOLIZE_OFF || m == SYMBOLIZE_FULL ? m : SYMBOLIZE_ON;
}

/* 1 unless symbolize_set_mode(SYMBOLIZE_OFF) was called. */
int symbolize_enabled(void)
{
    return mode != SYMBOLIZE_OFF;
}

int symbolize_addr(uint64_t addr, symbol_info *out)
{
    if (mode == SYMBOLIZE_OFF) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    pthread_mutex_lock(&sym_lock);
    cache_entry *e = cache_find(addr);
    int rc;
    if (e) {
        rc = cache_copy_out(e, out);
    } else if (dwfl_ensure() != 0) {
        memset(out, 0, sizeof *out);
        rc = -1; /* not cached: a later call may find libdw working */
    } else {
        index_budget_update();
        rc = resolve(addr, out);
        if (rc != 0)
            memset(out, 0, sizeof *out);
        cache_store(addr, rc == 0, out);
    }
    pthread_mutex_unlock(&sym_lock);
    return rc;
}

void symbolize_set_cache_budget(size_t bytes)
{
    pthread_mutex_lock(&sym_lock);
    budget = bytes;
    index_budget_update();
    pthread_mutex_unlock(&sym_lock);
}

void symbolize_usage_read(symbolize_usage *u)
{
    pthread_mutex_lock(&sym_lock);
    size_t index_budget;
    symbol_index_usage(&u->index_bytes, &u->units, &u->modules, &index_budget);
    u->budget_bytes = budget;
    u->kept_bytes = kept_bytes + (cache.cap + intern_table.cap) * sizeof(htab_slot);
    u->addresses = cache.len;
    pthread_mutex_unlock(&sym_lock);
}

void symbolize_usage_summary(char *out, size_t len)
{
    if (mode == SYMBOLIZE_OFF) {
        snprintf(out, len,
                 "off (CPROF_SYMBOLIZE=off): profiles carry addresses, mappings and "
                 "build IDs; the analyzer symbolizes them");
        return;
    }
    symbolize_usage u;
    symbolize_usage_read(&u);
    snprintf(
        out, len,
        "%.1f of %.1f MiB: indexes %.1f MiB (%zu units, %zu modules), %zu addresses %.1f MiB%s",
        (u.index_bytes + u.kept_bytes) / 1048576.0, u.budget_bytes / 1048576.0,
        u.index_bytes / 1048576.0, u.units, u.modules, u.addresses, u.kept_bytes / 1048576.0,
        mode == SYMBOLIZE_FULL ? "; DWARF of every module (CPROF_SYMBOLIZE=full)" : "");
}

/* ---- executable mappings and build IDs --------------------------------- */

/* One object loaded by the dynamic loader: its address span and build ID. */
typedef struct loaded_object {
    uint64_t lo, hi;
    char build_id[2 * 64 + 1]; /* hex; "" when none */
} loaded_object;

typedef struct object_list {
    loaded_object *v;
    size_t n, cap;
} object_list;

static void hex_encode(const uint8_t *bytes, size_t n, char *out, size_t out_len)
{
    static const char digits[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < out_len; i++) {
        out[k++] = digits[bytes[i] >> 4];
        out[k++] = digits[bytes[i] & 15];
    }
    out[k] = 0;
}

/* Scan one PT_NOTE segment (in memory) for NT_GNU_BUILD_ID. */
static int note_build_id(const uint8_t *p, size_t size, size_t align, char *out, size_t out_len)
{
    const size_t hdr = sizeof(ElfW(Nhdr));
    while (size >= hdr) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        size_t name_sz = (nh->n_namesz + align - 1) & ~(align - 1);
        size_t desc_sz = (nh->n_descsz + align - 1) & ~(align - 1);
        if (name_sz > size - hdr || desc_sz > size - hdr - name_sz)
            return -1;
        const uint8_t *name = p + hdr;
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            nh->n_descsz > 0) {
            hex_encode(name + name_sz, nh->n_descsz, out, out_len);
            return 0;
        }
        p += hdr + name_sz + desc_sz;
        size -= hdr + name_sz + desc_sz;
    }
    return -1;
}

static int collect_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    object_list *list = data;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        loaded_object *v = realloc(list->v, cap * sizeof *v);
        if (!v)
            return 1;
        list->v = v;
        list->cap = cap;
    }
    loaded_object *o = &list->v[list->n];
    memset(o, 0, sizeof *o);
    o->lo = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (start < o->lo)
                o->lo = start;
            if (start + ph->p_memsz > o->hi)
                o->hi = start + ph->p_memsz;
        } else if (ph->p_type == PT_NOTE && !o->build_id[0]) {
            size_t align = ph->p_align == 8 ? 8 : 4;
            note_build_id((const uint8_t *)(uintptr_t)start, ph->p_memsz, align, o->build_id,
                          sizeof o->build_id);
        }
    }
    if (o->lo < o->hi)
        list->n++;
    return 0;
}

/* Index of the loaded object containing addr, or -1. Object 0 is the main
 * program: dl_iterate_phdr always reports it first. */
static long object_containing(const object_list *list, uint64_t addr)
{
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i].lo <= addr && addr < list->v[i].hi)
            return (long)i;
    return -1;
}

typedef struct maps_line {
    uint64_t start, limit, offset, inode;
    char perms[5];
    const char *path; /* points into the line buffer */
} maps_line;

/* "start-limit perms offset dev inode   path" */
static int parse_maps_line(char *line, maps_line *out)
{
    unsigned long start, limit, offset, inode;
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %4s %lx %*s %lu %n", &start, &limit, out->perms, &offset, &inode,
               &path_at) < 5)
        return -1;
    out->start = start;
    out->limit = limit;
    out->offset = offset;
    out->inode = inode;
    char *path = path_at ? line + path_at : line + strlen(line);
    path[strcspn(path, "\n")] = 0;
    /* A replaced binary still maps the old file: name it as pprof would
     * look for it. */
    size_t len = strlen(path);
    const char deleted[] = " (deleted)";
    if (len >= sizeof deleted - 1 && strcmp(path + len - (sizeof deleted - 1), deleted) == 0)
        path[len - (sizeof deleted - 1)] = 0;
    out->path = path;
    return 0;
}

/*
 * The mappings worth reporting, as Go's runtime/pprof picks them: executable,
 * and not anonymous (inode 0 without a name: JIT code, or the unpopulated
 * head of a huge-page text mapping). [vdso] and [vsyscall] stay: go tool
 * pprof knows both as unsymbolizable and shows them by name, without
 * warnings (checked by hand with go 1.19, -raw/-top/-symbolize=force).
 */
static int is_reported_mapping(const maps_line *m)
{
    return m->perms[2] == 'x' && !(m->inode == 0 && m->path[0] == 0);
}

static int append_mapping(mapping_info **v, size_t *n, size_t *cap, const mapping_info *m)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        mapping_info *grown = realloc(*v, c * sizeof *grown);
        if (!grown)
            return -1;
        *v = grown;
        *cap = c;
    }
    (*v)[(*n)++] = *m;
    return 0;
}

/* Move the main program's mappings to the front, keeping the order within
 * both groups (address order, as in /proc/self/maps). */
static void main_program_first(mapping_info *v, const int *is_main, size_t n)
{
    size_t front = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_main[i])
            continue;
        mapping_info m = v[i];
        memmove(&v[front + 1], &v[front], (i - front) * sizeof *v);
        v[front++] = m;
    }
}

mapping_info *mappings_read_self(size_t *n)
{
    *n = 0;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return NULL;
    object_list objects = {0};
    dl_iterate_phdr(collect_object_cb, &objects);

    mapping_info *v = NULL;
    int *is_main = NULL;
    size_t count = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    int failed = 0;

    pthread_mutex_lock(&sym_lock);
    while (!failed && getline(&line, &line_cap, f) > 0) {
        maps_line ml;
        if (parse_maps_line(line, &ml) != 0 || !is_reported_mapping(&ml))
            continue;
        long obj = object_containing(&objects, ml.start);
        mapping_info m = {ml.start, ml.limit, ml.offset, intern(ml.path),
                          intern(obj >= 0 ? objects.v[obj].build_id : "")};
        if (!m.filename || !m.build_id || append_mapping(&v, &count, &cap, &m) != 0) {
            failed = 1;
            break;
        }
        int *grown = realloc(is_main, cap * sizeof *grown);
        if (!grown) {
            failed = 1;
            break;
        }
        is_main = grown;
        is_main[count - 1] = obj == 0;
    }
    pthread_mutex_unlock(&sym_lock);
    free(line);
    fclose(f);
    free(objects.v);

    if (failed || count == 0) {
        free(v);
        free(is_main);
        return NULL;
    }
    main_program_first(v, is_main, count);
    free(is_main);
    *n = count;
    return v;
}

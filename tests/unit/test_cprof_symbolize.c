/*
 * test_cprof_symbolize.c — the analyzer's symbolizer (tool/symbolize/) on
 * hand-made profiles: an address of this very program resolves to its
 * function and file:line from the mapped file, functions already in the
 * profile are reused and new ones get fresh ids; hostile mappings (a FIFO,
 * a device, /proc files, malformed build IDs, offsets and addresses no
 * segment holds) neither hang nor crash and leave the addresses as they are;
 * frames named without lines get them; a memo serves the next profile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "intern.h"
#include "profile/model.h"
#include "symbolize/symbolize.h"

__attribute__((noinline, used)) int symbolize_probe(int x)
{
    __asm__ volatile("" ::: "memory");
    return x * 3 + 1; /* PROBE_LINE */
}

/* The executable mapping of this program holding `addr`, from /proc/self/maps. */
static void own_mapping(uintptr_t addr, uint64_t *start, uint64_t *limit, uint64_t *offset,
                        char *path, size_t cap)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[PATH_MAX + 128];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long s, l, o;
        char perms[5];
        int at = 0;
        if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %n", &s, &l, perms, &o, &at) < 4)
            continue;
        if (addr < s || addr >= l)
            continue;
        *start = s, *limit = l, *offset = o;
        snprintf(path, cap, "%s", line + at);
        path[strcspn(path, "\n")] = 0;
        found = 1;
    }
    fclose(f);
    assert_true(found);
}

/* A profile of n mappings, each with one location of its own, no lines. */
static cp_profile *profile_with(size_t n)
{
    cp_profile *p = cp_profile_new();
    p->n_mappings = p->n_locations = n;
    p->mappings = arena_alloc(&p->mem, n, sizeof *p->mappings);
    p->locations = arena_alloc(&p->mem, n, sizeof *p->locations);
    for (size_t i = 0; i < n; i++) {
        cp_mapping *m = arena_alloc(&p->mem, 1, sizeof *m);
        m->id = i + 1;
        m->file = m->build_id = STR_EMPTY;
        cp_location *l = arena_alloc(&p->mem, 1, sizeof *l);
        l->id = i + 1;
        l->mapping = m;
        p->mappings[i] = m;
        p->locations[i] = l;
    }
    cp_profile_reindex(p);
    return p;
}

static void test_own_address(void **state)
{
    (void)state;
    uintptr_t addr = (uintptr_t)&symbolize_probe + 4;
    cp_profile *p = profile_with(2);
    char path[PATH_MAX];
    cp_mapping *m = p->mappings[0];
    own_mapping(addr, &m->start, &m->limit, &m->offset, path, sizeof path);
    m->file = intern_cstr(path);
    p->locations[0]->address = addr;
    /* the second mapping is the same file, but claims to have functions */
    *p->mappings[1] = *m;
    p->mappings[1]->id = 2;
    p->mappings[1]->has_functions = true;
    p->locations[1]->mapping = p->mappings[1];
    p->locations[1]->address = addr;
    /* a function the profile already has, with id 7 */
    p->n_functions = 1;
    p->functions = arena_alloc(&p->mem, 1, sizeof *p->functions);
    p->functions[0] = arena_alloc(&p->mem, 1, sizeof **p->functions);
    p->functions[0]->id = 7;
    p->functions[0]->name = p->functions[0]->system_name = intern_cstr("other");
    p->functions[0]->filename = STR_EMPTY;
    cp_profile_reindex(p);

    symbolize_opts o = {0};
    assert_int_equal(profile_symbolize(p, &o), 1);
    const cp_location *l = p->locations[0];
    assert_int_equal(l->n_lines, 1);
    assert_string_equal(l->lines[0].function->name, "symbolize_probe");
    assert_non_null(strstr(l->lines[0].function->filename, "test_cprof_symbolize.c"));
    assert_true(l->lines[0].line > 0);
    assert_int_equal(l->lines[0].function->id, 8);
    assert_int_equal(p->n_functions, 2);
    assert_int_equal(p->functions[1]->index, 1);
    assert_true(m->has_functions && m->has_filenames && m->has_line_numbers);
    assert_int_equal(p->locations[1]->n_lines, 0); /* has_functions: left alone */
    cp_profile_free(p);

    /* -symbolize=none: nothing */
    p = profile_with(1);
    own_mapping(addr, &p->mappings[0]->start, &p->mappings[0]->limit, &p->mappings[0]->offset, path,
                sizeof path);
    p->mappings[0]->file = intern_cstr(path);
    p->locations[0]->address = addr;
    o.none = true;
    assert_int_equal(profile_symbolize(p, &o), 0);
    assert_int_equal(p->locations[0]->n_lines, 0);
    assert_false(p->mappings[0]->has_functions);
    cp_profile_free(p);
}

/* A mapping that names its frames without lines (in-process CPROF_SYMBOLIZE
 * default, a library with separate debug info: has_functions, no
 * has_line_numbers; one line per location, line 0) gets its lines filled
 * from the file's DWARF; the frame keeps its function. */
static void test_names_only_lines_filled(void **state)
{
    (void)state;
    uintptr_t addr = (uintptr_t)&symbolize_probe + 4;
    cp_profile *p = profile_with(1);
    char path[PATH_MAX];
    cp_mapping *m = p->mappings[0];
    own_mapping(addr, &m->start, &m->limit, &m->offset, path, sizeof path);
    m->file = intern_cstr(path);
    m->has_functions = true;
    cp_location *l = p->locations[0];
    l->address = addr;
    p->n_functions = 1;
    p->functions = arena_alloc(&p->mem, 1, sizeof *p->functions);
    cp_function *f = p->functions[0] = arena_alloc(&p->mem, 1, sizeof **p->functions);
    f->id = 1;
    f->name = f->system_name = intern_cstr("symbolize_probe");
    f->filename = STR_EMPTY;
    l->n_lines = 1;
    l->lines = arena_alloc(&p->mem, 1, sizeof *l->lines);
    l->lines[0].function = f;
    cp_profile_reindex(p);

    symbolize_opts o = {0};
    assert_int_equal(profile_symbolize(p, &o), 1);
    assert_int_equal(l->n_lines, 1);
    assert_string_equal(l->lines[0].function->name, "symbolize_probe");
    assert_non_null(strstr(l->lines[0].function->filename, "test_cprof_symbolize.c"));
    assert_true(l->lines[0].line > 0);
    /* the mapping keeps its flags, as go tool pprof shows them (-raw) */
    assert_true(m->has_functions && !m->has_line_numbers);
    cp_profile_free(p);
}

/* Copy the file at from to to; 0 or -1. */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = in && out ? 0 : -1;
    char chunk[65536];
    size_t n;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, in)) > 0)
        if (fwrite(chunk, 1, n, out) != n)
            rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* With a memo (cprof watch), an address symbolized in one profile is not
 * looked up again in the next: after the file is gone, the addresses seen
 * before still get their lines. An address new in a later profile of a
 * mapping the memo knows is looked up in the file. */
static void test_memo_across_profiles(void **state)
{
    (void)state;
    char dir[] = "/tmp/cprof-memo-XXXXXX", copy[PATH_MAX], exe[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;
    snprintf(copy, sizeof copy, "%s/copy", dir);
    assert_int_equal(copy_file(exe, copy), 0);

    uintptr_t addrs[2] = {(uintptr_t)&symbolize_probe + 4, (uintptr_t)&copy_file + 4};
    const char *names[2] = {"symbolize_probe", "copy_file"};
    symbolize_opts o = {0};
    o.memo = symbol_memo_new();
    for (int round = 0; round < 3; round++) {
        size_t k = round == 2 ? 2 : 1; /* rounds 0 and 1: one address each; 2: both */
        cp_profile *p = profile_with(k);
        for (size_t i = 0; i < k; i++) {
            size_t which = round == 2 ? i : (size_t)round;
            char path[PATH_MAX];
            cp_mapping *m = p->mappings[i];
            own_mapping(addrs[which], &m->start, &m->limit, &m->offset, path, sizeof path);
            m->file = intern_cstr(copy);
            p->locations[i]->address = addrs[which];
        }
        assert_int_equal(profile_symbolize(p, &o), k);
        for (size_t i = 0; i < k; i++) {
            size_t which = round == 2 ? i : (size_t)round;
            assert_string_equal(p->locations[i]->lines[0].function->name, names[which]);
            assert_true(p->locations[i]->lines[0].line > 0);
            assert_true(p->mappings[i]->has_functions && p->mappings[i]->has_line_numbers);
        }
        cp_profile_free(p);
        if (round == 1)
            unlink(copy); /* the last round has the memo only */
    }
    symbol_memo_free(o.memo);
    rmdir(dir);
}

static void test_hostile_mappings(void **state)
{
    (void)state;
    char dir[] = "/tmp/cprof-sym-XXXXXX", fifo[PATH_MAX], exe[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;

    struct {
        const char *file, *build_id;
        uint64_t start, limit, offset, address;
    } cases[] = {
        {fifo, "", 0x1000, 0x2000, 0, 0x1100},
        {"/dev/zero", "", 0x1000, 0x2000, 0, 0x1100},
        {"/proc/self/mem", "", 0x1000, 0x2000, 0, 0x1100},
        {"/proc/self/maps", "", 0x1000, 0x2000, 0, 0x1100},
        {dir, "", 0x1000, 0x2000, 0, 0x1100},
        {exe, "zz", 0x1000, 0x2000, 0, 0x1100},
        {exe, "../../../../etc/passwd", 0x1000, 0x2000, 0, 0x1100},
        {exe, "00", 0x1000, 0x2000, 0, 0x1100},            /* another build id */
        {exe, "", 0x1000, 0x2000, UINT64_MAX - 5, 0x1100}, /* no segment */
        {exe, "", 0x5000, 0x6000, 0x1000, 0x10},           /* below start */
        {exe, "", 0, UINT64_MAX, 0x1000, UINT64_MAX},      /* far away */
        {"relative/path", "", 0x1000, 0x2000, 0, 0x1100},
        {"[vdso]", "", 0x1000, 0x2000, 0, 0x1100},
    };
    size_t nc = sizeof cases / sizeof cases[0];
    cp_profile *p = profile_with(nc);
    for (size_t i = 0; i < nc; i++) {
        cp_mapping *m = p->mappings[i];
        m->file = intern_cstr(cases[i].file);
        m->build_id = intern_cstr(cases[i].build_id);
        m->start = cases[i].start, m->limit = cases[i].limit, m->offset = cases[i].offset;
        p->locations[i]->address = cases[i].address;
    }
    symbolize_opts o = {0};
    strlist_push(&o.dirs, dir);
    strlist_push(&o.dirs, "/nonexistent");
    size_t done = profile_symbolize(p, &o);
    for (size_t i = 0; i < nc; i++)
        if (p->locations[i]->n_lines)
            assert_string_not_equal(p->locations[i]->lines[0].function->name, "");
    assert_true(done <= 1); /* only "far away" may land in some function */
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(p->locations[i]->n_lines, 0);
        assert_false(p->mappings[i]->has_functions);
    }
    symbolize_opts_free(&o);
    cp_profile_free(p);
    unlink(fifo);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_address),
        cmocka_unit_test(test_names_only_lines_filled),
        cmocka_unit_test(test_memo_across_profiles),
        cmocka_unit_test(test_hostile_mappings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

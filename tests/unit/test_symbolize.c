/*
 * test_symbolize.c — in-process symbolization of this very binary (plain and
 * inlined functions, exact call-site lines), of libc, of a library dlopen'ed
 * after the first lookup, of unmapped addresses; and mappings_read_self.
 *
 * Unit tests are built at -O2 and at -O1 under ASan: the probes are noinline
 * and noclone, and lines are checked at call sites captured through
 * __builtin_return_address, which every optimisation level keeps exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "pprof/symbolize.h"

#define PROBE __attribute__((noinline, noclone, used))

static volatile int sink;
static volatile uintptr_t captured_return;
static volatile int plain_call_line, inline_call_line, outer_call_line;

/* Every token of a macro expansion carries the line of the invocation, so the
 * call instruction and the recorded __LINE__ agree whatever the formatting. */
#define CALL_AT_THIS_LINE(call, line_var)                                                          \
    do {                                                                                           \
        call;                                                                                      \
        (line_var) = __LINE__;                                                                     \
    } while (0)

PROBE static void capture_return_address(void)
{
    captured_return = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

static const int plain_first_line = __LINE__;
PROBE static int plain_function(int x)
{
    sink += x;
    CALL_AT_THIS_LINE(capture_return_address(), plain_call_line);
    sink += x;
    return sink;
}
static const int plain_last_line = __LINE__;

static inline __attribute__((always_inline)) void inlined_callee(void)
{
    sink++;
    CALL_AT_THIS_LINE(capture_return_address(), inline_call_line);
    sink++;
}

PROBE static void outer_with_inline(void)
{
    sink++;
    CALL_AT_THIS_LINE(inlined_callee(), outer_call_line);
    sink++;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void assert_this_file(const symbol_line *l)
{
    assert_non_null(l->filename);
    if (!ends_with(l->filename, "test_symbolize.c"))
        fail_msg("filename %s", l->filename);
}

static void test_plain_function_entry(void **state)
{
    (void)state;
    symbol_info si;
    uint64_t addr = (uint64_t)(uintptr_t)&plain_function + 4;
    assert_int_equal(symbolize_addr(addr, &si), 0);
    assert_int_equal(si.n_lines, 1);
    assert_string_equal(si.lines[0].function, "plain_function");
    assert_this_file(&si.lines[0]);
    assert_in_range(si.lines[0].line, plain_first_line + 1, plain_last_line - 1);
    assert_int_equal(si.func_offset, 4);
}

static void test_plain_function_call_site_line(void **state)
{
    (void)state;
    plain_function(1);
    symbol_info si;
    assert_int_equal(symbolize_addr(captured_return - 1, &si), 0);
    assert_int_equal(si.n_lines, 1);
    assert_string_equal(si.lines[0].function, "plain_function");
    assert_this_file(&si.lines[0]);
    assert_int_equal(si.lines[0].line, plain_call_line);
    assert_int_equal(si.func_offset, captured_return - 1 - (uintptr_t)&plain_function);
}

static void test_inline_frames(void **state)
{
    (void)state;
    outer_with_inline();
    symbol_info si;
    assert_int_equal(symbolize_addr(captured_return - 1, &si), 0);
    assert_true(si.n_lines >= 2);
    /* Innermost inlined callee first, the real function last. */
    assert_string_equal(si.lines[0].function, "inlined_callee");
    assert_this_file(&si.lines[0]);
    assert_int_equal(si.lines[0].line, inline_call_line);
    const symbol_line *outer = &si.lines[si.n_lines - 1];
    assert_string_equal(outer->function, "outer_with_inline");
    assert_this_file(outer);
    assert_int_equal(outer->line, outer_call_line);
    assert_int_equal(si.func_offset, captured_return - 1 - (uintptr_t)&outer_with_inline);
}

static void test_results_are_cached_and_interned(void **state)
{
    (void)state;
    symbol_info a, b;
    uint64_t addr = (uint64_t)(uintptr_t)&plain_function + 1;
    assert_int_equal(symbolize_addr(addr, &a), 0);
    assert_int_equal(symbolize_addr(addr, &b), 0);
    assert_ptr_equal(a.lines[0].function, b.lines[0].function);
    assert_ptr_equal(a.lines[0].filename, b.lines[0].filename);
    /* Another address in the same function shares the interned strings. */
    assert_int_equal(symbolize_addr(addr + 1, &b), 0);
    assert_ptr_equal(a.lines[0].function, b.lines[0].function);
}

static void test_libc_function(void **state)
{
    (void)state;
    void *fn = dlsym(RTLD_DEFAULT, "getpid");
    assert_non_null(fn);
    symbol_info si;
    assert_int_equal(symbolize_addr((uint64_t)(uintptr_t)fn, &si), 0);
    assert_true(si.n_lines >= 1);
    /* glibc exports getpid as a weak alias of __getpid: either name is it;
     * with libc's debug info installed, DWARF names it by its internal
     * alias __GI_getpid (as addr2line -f does). */
    const char *name = si.lines[si.n_lines - 1].function;
    if (strcmp(name, "getpid") != 0 && strcmp(name, "__getpid") != 0 &&
        strcmp(name, "__GI_getpid") != 0)
        fail_msg("getpid symbolized as %s", name);
    assert_int_equal(si.func_offset, 0);
}

/* The default mode names a libc frame from its symbol table, without
 * reading libc's separate (compressed) debug file: no file:line; the main
 * program keeps its DWARF lines. CPROF_SYMBOLIZE=full reads libc's DWARF
 * too, when its debug file is installed (libc6-dbg). */
static void test_separate_debug_names_only(void **state)
{
    (void)state;
    symbol_info si;
    void *fn = dlsym(RTLD_DEFAULT, "getsid"); /* looked up by this test only */
    assert_non_null(fn);
    assert_int_equal(symbolize_addr((uint64_t)(uintptr_t)fn + 2, &si), 0);
    assert_int_equal(si.n_lines, 1);
    assert_null(si.lines[0].filename);
    assert_int_equal(si.lines[0].line, 0);
    assert_non_null(strstr(si.lines[0].function, "getsid"));
    assert_int_equal(si.func_offset, 2);
    assert_int_equal(symbolize_addr((uint64_t)(uintptr_t)&plain_function, &si), 0);
    assert_non_null(si.lines[0].filename);

    symbolize_set_mode(SYMBOLIZE_FULL);
    void *fn2 = dlsym(RTLD_DEFAULT, "getpgid");
    assert_non_null(fn2);
    assert_int_equal(symbolize_addr((uint64_t)(uintptr_t)fn2 + 1, &si), 0);
    symbolize_set_mode(SYMBOLIZE_ON);
    assert_non_null(strstr(si.lines[si.n_lines - 1].function, "getpgid"));
    if (access("/usr/share/doc/libc6-dbg", F_OK) == 0) /* libc's DWARF installed */
        assert_non_null(si.lines[0].filename);
}

/* Looked up by test_index_budget only, so its addresses are not cached. */
PROBE static int budget_probe(int x)
{
    sink += x;
    return sink * 3;
}

/* With no budget, only the index in use stays, and lookups still answer
 * right (rebuilding what was evicted); the usage report says so. */
static void test_index_budget(void **state)
{
    (void)state;
    symbolize_usage u;
    symbolize_set_cache_budget(0);
    symbolize_usage_read(&u);
    assert_int_equal(u.budget_bytes, 0);
    assert_true(u.units + u.modules <= 1);
    void *libc_fn = dlsym(RTLD_DEFAULT, "getpid");
    assert_non_null(libc_fn);
    for (int round = 1; round <= 3; round++) { /* new, uncached addresses each round */
        symbol_info si;
        assert_int_equal(symbolize_addr((uintptr_t)&budget_probe + round, &si), 0);
        assert_string_equal(si.lines[si.n_lines - 1].function, "budget_probe");
        assert_int_equal(si.func_offset, round);
        assert_int_equal(symbolize_addr((uintptr_t)libc_fn + round, &si), 0);
        assert_int_equal(si.func_offset, round);
        symbolize_usage_read(&u);
        assert_true(u.units + u.modules == 1);
        assert_true(u.index_bytes > 0);
    }
    symbolize_set_cache_budget((size_t)64 << 20);
    symbol_info si;
    assert_int_equal(symbolize_addr((uintptr_t)&budget_probe + 4, &si), 0);
    assert_int_equal(si.func_offset, 4);
    symbolize_usage_read(&u);
    assert_true(u.units >= 1 && u.modules >= 1);
    assert_true(u.index_bytes <= u.budget_bytes);
    assert_true(u.addresses >= 7);
    char line[160];
    symbolize_usage_summary(line, sizeof line);
    assert_non_null(strstr(line, "of 64.0 MiB: indexes"));
}

/* The debug files' pages handed back after a request come back when
 * needed: lookups of new addresses (which read the DIEs again) still answer
 * right, and so do cached ones. */
static void test_release_pages(void **state)
{
    (void)state;
    symbol_info si;
    assert_int_equal(symbolize_addr((uintptr_t)&budget_probe + 5, &si), 0);
    symbolize_release_pages();
    symbolize_release_pages(); /* nothing touched since: a no-op */
    assert_int_equal(symbolize_addr((uintptr_t)&budget_probe + 6, &si), 0);
    assert_string_equal(si.lines[si.n_lines - 1].function, "budget_probe");
    assert_this_file(&si.lines[si.n_lines - 1]);
    assert_int_equal(si.func_offset, 6);
    outer_with_inline();
    symbolize_release_pages();
    assert_int_equal(symbolize_addr(captured_return - 1, &si), 0);
    assert_string_equal(si.lines[0].function, "inlined_callee");
    assert_int_equal(si.lines[0].line, inline_call_line);
    assert_string_equal(si.lines[si.n_lines - 1].function, "outer_with_inline");
}

static void test_unmapped_address(void **state)
{
    (void)state;
    symbol_info si;
    memset(&si, 0x5a, sizeof si);
    assert_int_equal(symbolize_addr(0x10, &si), -1);
    assert_int_equal(si.n_lines, 0);
    assert_null(si.lines[0].function);
    assert_int_equal(symbolize_addr(0x10, &si), -1); /* the cached miss too */
}

/* A library loaded after the symbolizer's first report is found by
 * re-reporting the modules. */
static void test_library_loaded_later(void **state)
{
    (void)state;
    symbol_info si;
    assert_int_equal(symbolize_addr((uint64_t)(uintptr_t)&plain_function, &si), 0);
    assert_null(dlopen("libcrypt.so.1", RTLD_NOW | RTLD_NOLOAD)); /* really not loaded yet */
    void *h = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    void *fn = dlsym(h, "crypt");
    assert_non_null(fn);
    assert_int_equal(symbolize_addr((uint64_t)(uintptr_t)fn + 1, &si), 0);
    assert_string_equal(si.lines[si.n_lines - 1].function, "crypt");
    /* Deliberately not dlclose'd: its cache entries stay true. */
}

/* One mutex serialises libdw: threads hammering the same fresh addresses
 * all get the same interned answers. */
#define LOOKUP_THREADS 4
#define LOOKUP_ADDRS 64

static void *lookup_many(void *arg)
{
    const char **names = arg;
    for (int i = 0; i < LOOKUP_ADDRS; i++) {
        symbol_info si;
        /* Fresh addresses, half in this binary and half in libc. */
        uintptr_t base = i % 2 ? (uintptr_t)&capture_return_address : (uintptr_t)&getppid;
        uint64_t addr = base + 0x100 + (uint64_t)i;
        names[i] = symbolize_addr(addr, &si) == 0 ? si.lines[si.n_lines - 1].function : NULL;
    }
    return NULL;
}

static void test_concurrent_lookups(void **state)
{
    (void)state;
    static const char *names[LOOKUP_THREADS][LOOKUP_ADDRS];
    pthread_t threads[LOOKUP_THREADS];
    for (int t = 0; t < LOOKUP_THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, lookup_many, names[t]), 0);
    for (int t = 0; t < LOOKUP_THREADS; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    int resolved = 0;
    for (int i = 0; i < LOOKUP_ADDRS; i++) {
        resolved += names[0][i] != NULL;
        for (int t = 1; t < LOOKUP_THREADS; t++)
            assert_ptr_equal(names[t][i], names[0][i]);
    }
    assert_true(resolved > LOOKUP_ADDRS / 2);
}

static int is_lower_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static void test_mappings_main_binary_first(void **state)
{
    (void)state;
    char exe[PATH_MAX];
    ssize_t n_exe = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n_exe > 0);
    exe[n_exe] = 0;

    size_t n = 0;
    mapping_info *m = mappings_read_self(&n);
    assert_non_null(m);
    assert_true(n >= 2);
    assert_string_equal(m[0].filename, exe);
    assert_int_equal(strlen(m[0].build_id), 40);
    assert_true(is_lower_hex(m[0].build_id));
    uint64_t code = (uint64_t)(uintptr_t)&plain_function;
    assert_true(m[0].start <= code && code < m[0].limit);

    int saw_libc = 0, saw_vdso = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(m[i].start < m[i].limit);
        assert_non_null(m[i].filename);
        assert_non_null(m[i].build_id);
        assert_true(is_lower_hex(m[i].build_id));
        /* Anonymous code is left out, as Go does. */
        assert_true(m[i].filename[0] != 0);
        assert_null(strstr(m[i].filename, " (deleted)"));
        if (strcmp(m[i].filename, "[vdso]") == 0)
            saw_vdso = 1;
        if (strstr(m[i].filename, "/libc.so.6")) {
            saw_libc = 1;
            assert_int_equal(strlen(m[i].build_id), 40);
        }
    }
    assert_true(saw_libc);
    assert_true(saw_vdso); /* kept: CPU samples land in it */
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_function_entry),
        cmocka_unit_test(test_plain_function_call_site_line),
        cmocka_unit_test(test_inline_frames),
        cmocka_unit_test(test_results_are_cached_and_interned),
        cmocka_unit_test(test_libc_function),
        cmocka_unit_test(test_separate_debug_names_only),
        cmocka_unit_test(test_index_budget),
        cmocka_unit_test(test_release_pages),
        cmocka_unit_test(test_unmapped_address),
        cmocka_unit_test(test_library_loaded_later),
        cmocka_unit_test(test_concurrent_lookups),
        cmocka_unit_test(test_mappings_main_binary_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

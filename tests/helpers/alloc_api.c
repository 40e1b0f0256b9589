/*
 * alloc_api — every function of the malloc family, checked for its contract
 * while the preload samples them: alignment honoured, calloc zeroed, realloc
 * keeps contents (growing, shrinking, moving), reallocarray and calloc
 * overflow fail with ENOMEM, posix_memalign rejects bad alignments with
 * EINVAL, malloc_usable_size covers the request, and memory written through
 * one pointer reads back unchanged. Many rounds with varied sizes so that
 * sampled and unsampled blocks both pass through every path.
 * Exit 0 when every check held; prints the first failure otherwise.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

static void round_of_checks(size_t size, unsigned seed)
{
    unsigned char *a = malloc(size);
    CHECK(a && malloc_usable_size(a) >= size);
    fill(a, size, seed);

    unsigned char *z = calloc(size, 1);
    CHECK(z);
    for (size_t i = 0; i < size; i++)
        CHECK(z[i] == 0);

    a = realloc(a, size * 3 + 1); /* grow: contents kept */
    CHECK(a && same(a, size, seed));
    a = realloc(a, size / 2 + 1); /* shrink: prefix kept */
    CHECK(a && same(a, size / 2 + 1, seed));
    a = reallocarray(a, 2, size + 1);
    CHECK(a && same(a, size / 2 + 1, seed));

    void *pm = NULL;
    CHECK(posix_memalign(&pm, 64, size) == 0 && ((uintptr_t)pm & 63) == 0);
    fill(pm, size, seed + 1);
    void *aa = aligned_alloc(256, (size + 255) & ~(size_t)255);
    CHECK(aa && ((uintptr_t)aa & 255) == 0);
    void *ma = memalign(8192, size);
    CHECK(ma && ((uintptr_t)ma & 8191) == 0);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *va = valloc(size);
    CHECK(va && ((uintptr_t)va & (page - 1)) == 0);
    void *pv = pvalloc(size);
    CHECK(pv && ((uintptr_t)pv & (page - 1)) == 0 && malloc_usable_size(pv) >= page);
    CHECK(same(pm, size, seed + 1));

    free(a);
    free(z);
    free(pm);
    free(aa);
    free(ma);
    free(va);
    free(pv);
}

int main(void)
{
    /* contract checks that need no sampling luck */
    volatile size_t huge = SIZE_MAX / 2; /* volatile: keep gcc from flagging it */
    errno = 0;
    CHECK(calloc(huge, 4) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(reallocarray(NULL, huge, 4) == NULL && errno == ENOMEM);
    void *p = NULL;
    CHECK(posix_memalign(&p, 3, 16) == EINVAL);
    CHECK(malloc_usable_size(NULL) == 0);
    free(NULL);
    void *r = realloc(NULL, 100);
    CHECK(r);
    free(r);

    unsigned seed = 1;
    for (int round = 0; round < 3000; round++) {
        size_t size = 1 + (size_t)(seed % 20000);
        round_of_checks(size, seed);
        seed = seed * 1103515245u + 12345u;
    }
    /* a large block straight from mmap, sampled or not */
    unsigned char *big = malloc(64 << 20);
    CHECK(big);
    fill(big, 64 << 20, 3);
    big = realloc(big, 96 << 20);
    CHECK(big && same(big, 64 << 20, 3));
    free(big);
    printf("alloc_api ok\n");
    return 0;
}

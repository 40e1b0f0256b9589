/*
 * profile_model.c — a profile's life: creation, freeing, re-indexing (see
 * profile_model.h).
 */
#include "profile_model.h"

#include <stdlib.h>

#include "intern.h"

/* A new empty profile with its own arena (xcalloc: the arena's
 * out-of-memory handler on failure); the caller frees it with cp_profile_free. */
cp_profile *cp_profile_new(void)
{
    cp_profile *p = xcalloc(1, sizeof *p);
    arena_init(&p->mem);
    p->default_sample_type = p->drop_frames = p->keep_frames = p->doc_url = STR_EMPTY;
    p->period_type.type = p->period_type.unit = STR_EMPTY;
    return p;
}

/* Free p and everything in its arena; NULL is fine. */
void cp_profile_free(cp_profile *p)
{
    if (!p)
        return;
    arena_free(&p->mem);
    free(p);
}

/* Set every mapping, location and function index to its array position. */
void cp_profile_reindex(cp_profile *p)
{
    for (size_t i = 0; i < p->n_mappings; i++)
        p->mappings[i]->index = i;
    for (size_t i = 0; i < p->n_locations; i++)
        p->locations[i]->index = i;
    for (size_t i = 0; i < p->n_functions; i++)
        p->functions[i]->index = i;
}

/* scratch.c -- the pool of scratch blocks kept across calls (see scratch.h). */
#include <stdatomic.h>
#include <stdlib.h>

#include "../fastconv.h"
#include "scratch.h"

#if defined(__SANITIZE_ADDRESS__)
#define FC_SCRATCH_KEEP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FC_SCRATCH_KEEP 0
#endif
#endif
#ifndef FC_SCRATCH_KEEP
#define FC_SCRATCH_KEEP 1
#endif

struct fc_scratch_pool {
    void *p[FC_SCRATCH_THREADS][FC_SCRATCH_SLOTS];
    size_t size[FC_SCRATCH_THREADS][FC_SCRATCH_SLOTS];
};

static fc_scratch_pool pool_store;
static atomic_flag pool_busy = ATOMIC_FLAG_INIT;

fc_scratch_pool *fc_scratch_acquire(void)
{
    if (!FC_SCRATCH_KEEP || atomic_flag_test_and_set_explicit(&pool_busy, memory_order_acquire))
        return NULL;
    return &pool_store;
}

void fc_scratch_release(fc_scratch_pool *pool)
{
    if (pool)
        atomic_flag_clear_explicit(&pool_busy, memory_order_release);
}

static int kept(const fc_scratch_pool *pool, int thread, int slot)
{
    return pool && thread >= 0 && thread < FC_SCRATCH_THREADS && slot >= 0 &&
           slot < FC_SCRATCH_SLOTS;
}

void *fc_scratch_get(fc_scratch_pool *pool, int thread, int slot, size_t bytes)
{
    if (bytes == 0)
        bytes = 1; /* a valid, freeable pointer, as malloc(0) may not give */
    if (!kept(pool, thread, slot) || bytes > FC_SCRATCH_KEEP_MAX)
        return malloc(bytes);
    if (pool->size[thread][slot] < bytes) {
        free(pool->p[thread][slot]);
        pool->p[thread][slot] = malloc(bytes);
        pool->size[thread][slot] = pool->p[thread][slot] ? bytes : 0;
    }
    return pool->p[thread][slot];
}

void fc_scratch_put(fc_scratch_pool *pool, int thread, int slot, void *p)
{
    if (p && !(kept(pool, thread, slot) && pool->p[thread][slot] == p))
        free(p);
}

int fc_scratch_free_all(void)
{
    fc_scratch_pool *pool = fc_scratch_acquire();
    if (!pool)
        return FC_SCRATCH_KEEP ? -1 : 0;
    for (int t = 0; t < FC_SCRATCH_THREADS; t++)
        for (int s = 0; s < FC_SCRATCH_SLOTS; s++) {
            free(pool->p[t][s]);
            pool->p[t][s] = NULL;
            pool->size[t][s] = 0;
        }
    fc_scratch_release(pool);
    return 0;
}

int fc_release_scratch(void)
{
    return fc_scratch_free_all();
}

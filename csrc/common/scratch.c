/* scratch.c -- the pool of scratch blocks kept across calls (see scratch.h). */
#include <stdatomic.h>
#include <stdint.h>
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
    unsigned char *p[FC_SCRATCH_THREADS][FC_SCRATCH_SLOTS]; /* what fc_scratch_get returns */
    size_t size[FC_SCRATCH_THREADS][FC_SCRATCH_SLOTS];
};

static fc_scratch_pool pool_store;
static atomic_flag pool_busy = ATOMIC_FLAG_INIT;

/* 64-byte aligned blocks (without posix_memalign / aligned_alloc, which not
   every C runtime has): panels and packed weights are read with full vectors,
   and one split across two cache lines costs two.  The byte before the block
   says how far past malloc's pointer it starts. */
static unsigned char *alloc64(size_t bytes)
{
    unsigned char *raw = (unsigned char *)malloc(bytes + 64);
    if (!raw)
        return NULL;
    unsigned char *p = raw + (64 - ((uintptr_t)raw & 63)); /* 1..64 bytes further */
    p[-1] = (unsigned char)(p - raw);
    return p;
}

static void free64(unsigned char *p)
{
    if (p)
        free(p - p[-1]);
}

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
    if (bytes > SIZE_MAX - 64)
        return NULL;
    if (!kept(pool, thread, slot) || bytes > FC_SCRATCH_KEEP_MAX)
        return alloc64(bytes);
    if (pool->size[thread][slot] < bytes || !pool->p[thread][slot]) {
        free64(pool->p[thread][slot]);
        pool->p[thread][slot] = alloc64(bytes);
        pool->size[thread][slot] = pool->p[thread][slot] ? bytes : 0;
    }
    return pool->p[thread][slot];
}

void fc_scratch_put(fc_scratch_pool *pool, int thread, int slot, void *p)
{
    if (p && !(kept(pool, thread, slot) && pool->p[thread][slot] == p))
        free64((unsigned char *)p);
}

int fc_release_scratch(void)
{
    fc_scratch_pool *pool = fc_scratch_acquire();
    if (!pool)
        return FC_SCRATCH_KEEP ? -1 : 0;
    for (int t = 0; t < FC_SCRATCH_THREADS; t++)
        for (int s = 0; s < FC_SCRATCH_SLOTS; s++) {
            free64(pool->p[t][s]);
            pool->p[t][s] = NULL;
            pool->size[t][s] = 0;
        }
    fc_scratch_release(pool);
    return 0;
}

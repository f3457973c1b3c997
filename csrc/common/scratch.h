/* scratch.h -- scratch memory kept from one kernel call to the next.
 *
 * A call (conv2d, deform_conv2d, separable_conv2d) allocates its packed weights
 * and, per thread, a panel and a few tiles.
 * With malloc/free around every call glibc hands blocks of these sizes back to
 * the system (munmap, heap trimming) and the next call page-faults them in
 * again: 5% of a 64-channel 56x56 3x3 layer.  So the blocks are kept in one
 * process-wide pool: a call that finds the pool free takes it for its duration
 * (one atomic flag; a concurrent call uses malloc/free as before), and block
 * [thread][slot] grows to the largest size asked of it.  Blocks larger than
 * FC_SCRATCH_KEEP_MAX are never kept; fc_release_scratch() (fastconv.h)
 * returns everything (fastconv.release_memory()).  Built with AddressSanitizer
 * nothing is kept, so the sanitizer still sees each buffer's true size. */
#ifndef FC_SCRATCH_H
#define FC_SCRATCH_H

#include <stddef.h>

#define FC_SCRATCH_THREADS 64            /* threads with kept blocks           */
#define FC_SCRATCH_SLOTS 6               /* blocks per thread                  */
#define FC_SCRATCH_KEEP_MAX ((size_t)32 << 20) /* bytes; larger ones are freed */

/* Slots: call-wide blocks are taken by the calling thread (thread 0) before
   the parallel region, per-thread ones inside it, so their numbers differ. */
enum { FC_SLOT_WEIGHTS = 0, FC_SLOT_CALL2 = 1, FC_SLOT_PANEL = 2, FC_SLOT_TILE = 3,
       FC_SLOT_TILE2 = 4, FC_SLOT_TILE3 = 5 };

typedef struct fc_scratch_pool fc_scratch_pool;

/* The pool, or NULL when another call holds it (or nothing is kept in this
   build): every get then mallocs and every put frees. */
fc_scratch_pool *fc_scratch_acquire(void);
void fc_scratch_release(fc_scratch_pool *pool);
/* bytes of scratch for thread `thread` (omp_get_thread_num()) in `slot`,
   64-byte aligned; NULL when out of memory.  Contents are undefined. */
void *fc_scratch_get(fc_scratch_pool *pool, int thread, int slot, size_t bytes);
/* Gives back what fc_scratch_get returned (frees it unless the pool keeps it). */
void fc_scratch_put(fc_scratch_pool *pool, int thread, int slot, void *p);

#endif

/*
 * channel_shuffle.c -- ShuffleNet's channel permutation.
 *
 * Viewing the C channels of each of the `outer` leading items as (groups, C/g),
 * output channel j*groups + i is input channel i*(C/g) + j: the (g, C/g) ->
 * (C/g, g) transpose that lets the next grouped convolution see channels from
 * every group.  Each channel is one contiguous run of `inner` elements, so the
 * permutation is a parallel memcpy per channel; it only moves bytes, so any
 * element size works.
 */
#include <string.h>

#include "../fastconv.h"
#include "../conv2d/conv2d_plan.h"

/* below this many bytes one thread is faster than waking the others */
#define FC_SHUFFLE_PARALLEL_BYTES (256 * 1024)

int fc_channel_shuffle(const void *x, void *y, int64_t outer, int64_t c, int64_t inner,
                       int64_t groups, int64_t elsize, int nthreads)
{
    int64_t planes, run, total;
    if (outer < 0 || c < 1 || inner < 0 || groups < 1 || c % groups || elsize < 1)
        return FC_EINVAL;
    if (__builtin_mul_overflow(outer, c, &planes) || __builtin_mul_overflow(inner, elsize, &run) ||
        __builtin_mul_overflow(planes, run, &total) || total > (INT64_C(1) << 62))
        return FC_EOVERFLOW;
    if (total == 0)
        return FC_OK;
    const int64_t cpg = c / groups;
    const char *src = (const char *)x;
    char *dst = (char *)y;
    const int nt = total < FC_SHUFFLE_PARALLEL_BYTES ? 1 : fc_resolve_threads(nthreads, planes);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int64_t p = 0; p < planes; p++) {
        const int64_t n = p / c, oc = p % c;
        const int64_t ic = (oc % groups) * cpg + oc / groups;
        memcpy(dst + p * run, src + (n * c + ic) * run, (size_t)run);
    }
    return FC_OK;
}

/*
 * squeeze_excitation.c -- squeeze-and-excitation channel attention:
 *
 *     s = mean over H*W of x[n, c]                  (squeeze)
 *     h = relu(w1 . s + b1)        w1: (Cr, C)      (excitation, bottleneck)
 *     e = sigmoid(w2 . h + b2)     w2: (C, Cr)
 *     y[n, c] = e[n, c] * x[n, c]                   (channel-wise scale)
 *
 * The pool and the scale touch every element: they run in parallel over the
 * (image, channel) planes, the scale also over pieces of large planes, and the
 * pool sums in double in a fixed order.  The two FC layers are 1x1
 * convolutions over a 1 x N "image" of channels-last vectors (the pooled
 * (N, C) matrix is exactly that NHWC array), so they go through fc_conv2d and
 * its packed-weight micro-kernels instead of a hand-written matrix product.
 * Results do not depend on the thread count.  The scale reads each element
 * once, after the whole pool, so y may be x (in place).
 */
#include <math.h>
#include <stdlib.h>

#include "../fastconv.h"
#include "../conv2d/conv2d_plan.h"

/* scale work is cut into pieces of this many elements so that a few large
   planes still spread over every thread */
#define FC_SE_CHUNK 16384
/* below this many elements waking the other threads costs more than the work */
#define FC_SE_PARALLEL_ELEMS 32768
#define FC_SE_PARALLEL_MACS (1 << 20)

/* logistic function without overflow: exp() only ever sees a non-positive number */
static double stable_sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

/* an FC layer in -> out on n vectors as a 1x1 conv on an (1, 1, n, in) NHWC image */
static fc_conv2d_desc se_fc_desc(int64_t n, int64_t in, int64_t out)
{
    return (fc_conv2d_desc){.n = 1, .c = in, .h = 1, .w = n, .o = out, .kh = 1, .kw = 1,
                            .ho = 1, .wo = n, .stride_h = 1, .stride_w = 1, .dil_h = 1,
                            .dil_w = 1, .groups = 1, .layout = FC_LAYOUT_NHWC};
}

static int se_check(int64_t n, int64_t c, int64_t hw, int64_t cr)
{
    int64_t t;
    if (n < 0 || c < 1 || hw < 1 || cr < 1)
        return FC_EINVAL;
    if (__builtin_mul_overflow(n, c, &t) || __builtin_mul_overflow(t, hw, &t) ||
        t > (INT64_C(1) << 58) || __builtin_mul_overflow(n, cr, &t) || t > (INT64_C(1) << 58) ||
        __builtin_mul_overflow(c, cr, &t) || t > (INT64_C(1) << 58))
        return FC_EOVERFLOW;
    return FC_OK;
}

static int se_threads(int nthreads, int64_t planes, int64_t hw, int64_t items)
{
    return planes * hw < FC_SE_PARALLEL_ELEMS ? 1 : fc_resolve_threads(nthreads, items);
}

#define T float
#define SFX f32
#include "squeeze_excitation_impl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "squeeze_excitation_impl.h"
#undef T
#undef SFX

/* conv2d_naive.c -- the C-level oracle: seven nested loops, double accumulation,
 * bounds tested per tap.  Deliberately shares nothing with conv2d.c but the
 * descriptor, so the C tests compare two independent implementations. */
#include "../fastconv.h"

#define NAIVE(T, SFX)                                                                          \
    int fc_conv2d_naive_##SFX(const fc_conv2d_desc *d, const T *x, const T *w, const T *bias, \
                              T *y)                                                            \
    {                                                                                          \
        int rc = fc_conv2d_check(d);                                                           \
        if (rc != FC_OK)                                                                       \
            return rc;                                                                         \
        const int64_t Cg = d->c / d->groups, Og = d->o / d->groups;                            \
        for (int64_t n = 0; n < d->n; n++)                                                     \
            for (int64_t oc = 0; oc < d->o; oc++)                                              \
                for (int64_t oh = 0; oh < d->ho; oh++)                                         \
                    for (int64_t ow = 0; ow < d->wo; ow++) {                                   \
                        double acc = 0.0;                                                      \
                        const int64_t g = oc / Og;                                             \
                        for (int64_t c = 0; c < Cg; c++)                                       \
                            for (int64_t i = 0; i < d->kh; i++)                                \
                                for (int64_t j = 0; j < d->kw; j++) {                          \
                                    const int64_t ih = oh * d->stride_h - d->pad_h + i * d->dil_h; \
                                    const int64_t iw = ow * d->stride_w - d->pad_w + j * d->dil_w; \
                                    const int64_t ci = g * Cg + c;                             \
                                    double xv = 0.0;                                           \
                                    if (ih >= 0 && ih < d->h && iw >= 0 && iw < d->w)          \
                                        xv = d->layout == FC_LAYOUT_NCHW                       \
                                                 ? x[((n * d->c + ci) * d->h + ih) * d->w + iw] \
                                                 : x[((n * d->h + ih) * d->w + iw) * d->c + ci]; \
                                    acc += xv * (double)w[((oc * Cg + c) * d->kh + i) * d->kw + j]; \
                                }                                                              \
                        if (bias)                                                              \
                            acc += (double)bias[oc];                                           \
                        if (d->layout == FC_LAYOUT_NCHW)                                       \
                            y[((n * d->o + oc) * d->ho + oh) * d->wo + ow] = (T)acc;           \
                        else                                                                   \
                            y[((n * d->ho + oh) * d->wo + ow) * d->o + oc] = (T)acc;           \
                    }                                                                          \
        return FC_OK;                                                                          \
    }

NAIVE(float, f32)
NAIVE(double, f64)

/* deform_naive.c -- the C-level oracle of deformable convolution: one loop
 * nest per output element, torchvision's bilinear_interpolate with a bounds
 * test per corner, double accumulation.  Shares nothing with deform_conv2d.c
 * but the descriptor check, so the C tests compare two independent codes. */
#include <math.h>

#include "../fastconv.h"

#define NAIVE(T, SFX)                                                                             \
    static double naive_bilinear_##SFX(const T *plane, int64_t h, int64_t w, T y, T x)            \
    {                                                                                             \
        /* torchvision's early exit; written so that NaN also exits */                           \
        if (!(y > (T)-1 && y < (T)h && x > (T)-1 && x < (T)w))                                    \
            return 0.0;                                                                           \
        const int64_t y0 = (int64_t)floor((double)y), x0 = (int64_t)floor((double)x);             \
        const T ly = y - (T)y0, lx = x - (T)x0, hy = (T)1 - ly, hx = (T)1 - lx;                   \
        double v = 0.0;                                                                           \
        for (int dy = 0; dy < 2; dy++)                                                            \
            for (int dx = 0; dx < 2; dx++) {                                                      \
                const int64_t yy = y0 + dy, xx = x0 + dx;                                         \
                if (yy < 0 || yy >= h || xx < 0 || xx >= w)                                       \
                    continue;                                                                     \
                const T wt = (dy ? ly : hy) * (dx ? lx : hx);                                     \
                v += (double)wt * (double)plane[yy * w + xx];                                     \
            }                                                                                     \
        return v;                                                                                 \
    }                                                                                             \
                                                                                                  \
    int fc_deform_conv2d_naive_##SFX(const fc_deform_desc *d, const T *x, const T *offset,        \
                                     const T *mask, const T *w, const T *bias, T *y)              \
    {                                                                                             \
        int rc = fc_deform_check(d);                                                              \
        if (rc != FC_OK)                                                                          \
            return rc;                                                                            \
        const int64_t Cg = d->c / d->groups, Og = d->o / d->groups;                               \
        const int64_t Cog = d->c / d->offset_groups, KK = d->kh * d->kw, HW = d->ho * d->wo;      \
        for (int64_t n = 0; n < d->n; n++)                                                        \
            for (int64_t oc = 0; oc < d->o; oc++)                                                 \
                for (int64_t oh = 0; oh < d->ho; oh++)                                            \
                    for (int64_t ow = 0; ow < d->wo; ow++) {                                      \
                        double acc = bias ? (double)bias[oc] : 0.0;                               \
                        const int64_t g = oc / Og, pix = oh * d->wo + ow;                         \
                        for (int64_t c = 0; c < Cg; c++) {                                        \
                            const int64_t ci = g * Cg + c, og = ci / Cog;                         \
                            const T *plane = x + (n * d->c + ci) * d->h * d->w;                   \
                            for (int64_t i = 0; i < d->kh; i++)                                   \
                                for (int64_t j = 0; j < d->kw; j++) {                             \
                                    const int64_t k = i * d->kw + j;                              \
                                    const T *o2 = offset + ((n * d->offset_groups + og) * 2 * KK  \
                                                            + 2 * k) * HW + pix;                  \
                                    const T yy = (T)(oh * d->stride_h - d->pad_h + i * d->dil_h)  \
                                                 + o2[0];                                         \
                                    const T xx = (T)(ow * d->stride_w - d->pad_w + j * d->dil_w)  \
                                                 + o2[HW];                                        \
                                    const T m = mask ? mask[((n * d->offset_groups + og) * KK     \
                                                             + k) * HW + pix] : (T)1;             \
                                    const double v = (double)m *                                  \
                                        naive_bilinear_##SFX(plane, d->h, d->w, yy, xx);          \
                                    acc += v * (double)w[((oc * Cg + c) * d->kh + i) * d->kw + j]; \
                                }                                                                 \
                        }                                                                         \
                        y[((n * d->o + oc) * d->ho + oh) * d->wo + ow] = (T)acc;                  \
                    }                                                                             \
        return FC_OK;                                                                             \
    }

NAIVE(float, f32)
NAIVE(double, f64)

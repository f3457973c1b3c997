/*
 * separable.c -- fused depthwise-separable convolution:
 *     y = pointwise_1x1(depthwise(x, dw_w) + dw_b, pw_w) + pw_b
 *
 * The unfused pair writes the whole depthwise result (N x C*mult x Ho x Wo) to
 * memory and the 1x1 convolution reads it back.  Here each work item (image,
 * band of R output rows) computes the depthwise result of its band into a
 * per-thread buffer D[C*mult][R*Wo] sized to stay in L2, and the pointwise GEMM
 * consumes it at once, so the intermediate never leaves cache:
 *
 *   depthwise stage: conv2d's input panel (fc_build_panel, fc_panel_offset) and
 *     its depthwise row kernels (fc_depthwise_rows: weights in registers, row
 *     pairs sharing their loads), one input channel at a time, straight into D;
 *   pointwise stage: D is a (C*mult) x (R*Wo) matrix with no gaps, so the GEMM
 *     runs over the band's pixels as one flat row (tiles never stop at row ends),
 *     in the form the conv2d planner picks for that 1x1 shape: packed weights x
 *     broadcast pixels (oc-vector, stored with fc_store_tile) or pixel vectors x
 *     broadcast weights (pixel-vector, few output channels).
 *
 * The depthwise bias is folded into the pointwise one (pw_b + pw_w . dw_b,
 * exact in real arithmetic since nothing non-linear sits between the two).
 * Every output element is reduced in the same order whatever the band size,
 * so results do not depend on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "../fastconv.h"
#include "../ukernel/ukernel.h"
#include "../conv2d/conv2d_plan.h"

/* one thread's depthwise band buffer: inside L2 next to the packed pointwise
   weights (64K..1M measured; 256K fastest on MobileNet shapes with the
   depthwise row kernels, 128K with the earlier micro-kernel depthwise stage) */
#define FC_SEP_BAND_BYTES (256 * 1024)

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/* everything the two dtypes share: tile shapes, band size, scratch sizes */
typedef struct sep_plan {
    fc_conv2d_desc out;     /* y as a 1x1 conv output with one row of Ho*Wo pixels   */
    fc_conv2d_plan_t dpl;   /* depthwise stage: the band's panel                     */
    fc_conv2d_plan_t ppl;   /* pointwise stage: the conv2d planner's choice          */
    int64_t mult, Cm;       /* channel multiplier, depthwise output channels         */
    int64_t ldD;            /* channel stride of the band buffer D                   */
    int64_t R, nb, items;   /* rows per band, bands per image, work items           */
} sep_plan;

/* channel stride of a buffer holding `elems` per channel: an odd number of cache
   lines, so that reading one run from every channel does not crowd a few L1 sets
   (an even stride made the pointwise GEMM 2.4x slower at 144 channels) */
static int64_t odd_lines(int64_t elems, int elsize)
{
    const int64_t line = 64 / elsize;
    int64_t ld = cdiv(elems, line) * line;
    return (ld / line) % 2 ? ld : ld + line;
}

static int sep_plan_make(const fc_conv2d_desc *dw, int64_t o, const fc_ukernel_set *ks,
                         int elsize, int nthreads, sep_plan *sp)
{
    int rc = fc_conv2d_check(dw);
    if (rc != FC_OK)
        return rc;
    if (dw->groups != dw->c || o < 1)
        return FC_EINVAL;
    memset(sp, 0, sizeof *sp);
    const int V = elsize == 4 ? ks->vlen_f32 : ks->vlen_f64;
    const int64_t wo = dw->wo, hw = dw->ho * dw->wo;
    sp->mult = dw->o / dw->c;
    sp->Cm = dw->o;
    sp->out = (fc_conv2d_desc){.n = dw->n, .c = dw->o, .h = 1, .w = hw, .o = o, .kh = 1,
                               .kw = 1, .ho = 1, .wo = hw, .stride_h = 1, .stride_w = 1,
                               .dil_h = 1, .dil_w = 1, .groups = 1, .layout = dw->layout};
    if ((rc = fc_conv2d_check(&sp->out)) != FC_OK)
        return rc;

    /* bands: at most as many rows as the buffer budget allows; among those, the
       band height that finishes first on nthreads threads, counting each band's
       fixed cost (weights streamed again, the panel's halo rows) as half a row.
       Equal-looking splits differ: 28 rows in 7 bands of 4 leave one of two
       threads idle a quarter of the time, 10 bands of 3 do not. */
    const int64_t rows_fit = imax(1, FC_SEP_BAND_BYTES / imax(1, sp->Cm * wo * elsize));
    const int64_t nt = imax(1, nthreads);
    double best = -1.0;
    for (int64_t R = imin(dw->ho, rows_fit); R >= 1; R--) {
        const double cost = (double)cdiv(dw->n * cdiv(dw->ho, R), nt) * ((double)R + 0.5);
        if (best < 0 || cost < best - 1e-9) {
            best = cost;
            sp->R = R;
        }
    }
    sp->nb = cdiv(dw->ho, sp->R);
    sp->items = dw->n * sp->nb;

    /* pointwise stage: a 1x1 conv over one flat row of a band's pixels, in the
       form (and tiles) conv2d picks for the whole image's 1x1 convolution: the
       same for every band size, so for every thread count (the forms add the
       bias at different points of the sum) */
    fc_conv2d_desc band = sp->out;
    if ((rc = fc_conv2d_plan(&band, ks, elsize, 1, &sp->ppl)) != FC_OK)
        return rc;

    /* depthwise stage: the band's panel, one channel, every input row of the
       band, one slot per stride phase; rows room for whole vectors past Wo (the
       row kernels load them).  Absurd strides must fail cleanly. */
    fc_conv2d_plan_t *pl = &sp->dpl;
    pl->ks = ks;
    pl->V = V;
    pl->K = dw->kh * dw->kw;
    pl->Lp = cdiv(wo, V) * V + ((dw->kw - 1) * dw->dil_w) / dw->stride_w;
    pl->phase_per_tap = 0;
    pl->row_step = 1;
    pl->orp = dw->stride_h;
    pl->PR = (sp->R - 1) * dw->stride_h + (dw->kh - 1) * dw->dil_h + 1;
    if (__builtin_mul_overflow(dw->stride_w, pl->Lp, &pl->Wp) ||
        __builtin_mul_overflow(pl->PR, pl->Wp, &pl->panel_elems))
        return FC_EOVERFLOW;
    /* + V: the pixel-vector GEMM loads whole vectors past the band's last pixel */
    sp->ldD = odd_lines(sp->R * wo + V, elsize);
    int64_t t;
    if (__builtin_mul_overflow(sp->ldD, sp->Cm, &t) || t > (INT64_C(1) << 58) ||
        pl->panel_elems > (INT64_C(1) << 58))
        return FC_EOVERFLOW;
    return FC_OK;
}

/* ---- the two dtypes ---------------------------------------------------------- */
#define T float
#define SFX f32
#include "separable_impl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "separable_impl.h"
#undef T
#undef SFX

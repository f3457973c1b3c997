/*
 * deform_conv2d.c -- deformable 2-D convolution (v1 offsets, v2 masks) with the
 * semantics of torchvision.ops.deform_conv2d, driving the same oc-vector
 * micro-kernel as conv2d (ukernel.h): one GEMM engine, not two.
 *
 * torchvision's CPU kernel builds a (C*kh*kw) x (N*Ho*Wo) column buffer with a
 * scalar gather that re-derives the bilinear corners for every channel, then
 * calls a GEMM.  Here, for each image:
 *
 *  1. the image is copied once (in parallel, by register transposes) into a
 *     channels-last, zero-bordered copy xp[(H+3)][(W+2)][C]: the four
 *     corners of a sample are then four contiguous channel vectors, and
 *     corners outside the image read real zeros (no per-corner branch).  The
 *     two extra bottom rows give samples that contribute nothing a 2x2 block
 *     of zeros to point at.
 *  2. work items are chunks of Q output pixels (flattened over Ho*Wo) times a
 *     chunk of output-channel blocks.  For each offset group and tap the
 *     sampling plan of the chunk -- the top-left corner and four bilinear
 *     weights with the mask folded in -- is computed once, vectorised across
 *     pixels, and reused by every channel of the offset group.  Coordinates
 *     are tested against (-1, H) x (-1, W) in floating point before any
 *     conversion to int, so NaN, Inf and huge offsets simply give a
 *     zero-weight sample.
 *  3. per weight group the samples of a few pixels at a time are gathered
 *     into a per-thread panel [pixel][tap][channel] (channel vectors: 4
 *     vector loads and FMAs per V channels), sized to stay in L1 until
 *     the micro-kernel has read it;
 *  4. the panel is the b-operand of the oc-vector micro-kernel, exactly as
 *     conv2d's input panel is: weights permuted to the panel's reduction order
 *     (tap-major) and packed with fc_pack_weights, tiles from fc_conv2d_plan,
 *     results written by fc_store_tile.
 *
 * Copy, plan and gather are compiled per ISA like the micro-kernels
 * (deform_sampling_*.c).  Every output element is reduced in the same order
 * whatever the chunking, so results do not depend on the thread count.  The
 * type-generic driver is deform_conv2d_impl.h.
 */
#include <stdlib.h>
#include <string.h>

#include "../fastconv.h"
#include "../ukernel/ukernel.h"
#include "../conv2d/conv2d_plan.h"
#include "deform_sampling.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int64_t dcdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t dmin(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t dmax(int64_t a, int64_t b) { return a > b ? a : b; }

/* the plain convolution with the same shapes: checks, tiles and the store */
static fc_conv2d_desc deform_as_conv(const fc_deform_desc *d)
{
    fc_conv2d_desc cd = {
        .n = d->n, .c = d->c, .h = d->h, .w = d->w, .o = d->o, .kh = d->kh, .kw = d->kw,
        .ho = d->ho, .wo = d->wo, .stride_h = d->stride_h, .stride_w = d->stride_w,
        .pad_h = d->pad_h, .pad_w = d->pad_w, .dil_h = d->dil_h, .dil_w = d->dil_w,
        .groups = d->groups, .layout = FC_LAYOUT_NCHW,
    };
    return cd;
}

/* product of the factors, or -1 when it leaves [0, 2**58] */
static int64_t dprod(const int64_t *f, int nf)
{
    int64_t r = 1;
    for (int i = 0; i < nf; i++)
        if (f[i] < 0 || __builtin_mul_overflow(r, f[i], &r) || r > (INT64_C(1) << 58))
            return -1;
    return r;
}

int fc_deform_check(const fc_deform_desc *d)
{
    const fc_conv2d_desc cd = deform_as_conv(d);
    int rc = fc_conv2d_check(&cd);
    if (rc != FC_OK)
        return rc;
    if (d->offset_groups < 1 || d->c % d->offset_groups)
        return FC_EINVAL;
    /* sample corners are found with 32-bit conversions: keep h, w and the
       zero-bordered copy's rows well inside int32 */
    if (d->h > INT32_MAX - 4 || d->w > INT32_MAX - 4)
        return FC_EOVERFLOW;
    const int64_t off[] = {d->n, 2 * d->offset_groups, d->kh * d->kw, d->ho, d->wo};
    const int64_t xp[] = {d->h + 3, d->w + 2, d->c};
    if (dprod(off, 5) < 0 || dprod(xp, 3) < 0)
        return FC_EOVERFLOW;
    return FC_OK;
}

/* One thread's sample panel is sized to stay in L1 between the gather that
 * writes it and the micro-kernel that reads it -- unless a weight group's
 * packed weights are too large to stay in L2: they are streamed once per
 * panel, so the panel then grows (to L2 size) to be reused more.  At most
 * FC_DEFORM_CHUNK_PANELS panels per work item. */
#define FC_DEFORM_PANEL_L1_BYTES (32 * 1024)
#define FC_DEFORM_PANEL_L2_BYTES (384 * 1024)
#define FC_DEFORM_WEIGHTS_L2_BYTES (512 * 1024)
#define FC_DEFORM_CHUNK_PANELS 8

typedef struct deform_plan_t {
    int planar;           /* pixel-vector form from NCHW planes, else oc-vector */
    int P, M, V;
    int64_t OB, nob;      /* blocks of OB output channels: M*V (oc-vector form) */
                          /*   or P (pixel-vector form, M*V pixels per call)   */
    int64_t QP;           /* output pixels per panel                         */
    int64_t Q, nqc;       /* output pixels per chunk, chunks per image       */
    int64_t nchunk, ob_per_chunk;
    int64_t nog;          /* most offset groups one weight group touches     */
    int64_t items;        /* work items per image: nqc * nchunk              */
} deform_plan_t;

static int deform_plan(const fc_deform_desc *d, const fc_ukernel_set *ks, int elsize,
                       int nthreads, deform_plan_t *dp)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, KK = d->kh * d->kw;
    const int64_t HW = d->ho * d->wo, Cog = d->c / d->offset_groups;
    /* tiles as conv2d picks them for the plain convolution of these shapes */
    const fc_conv2d_desc cd = deform_as_conv(d);
    fc_conv2d_plan_t pl;
    int rc = fc_conv2d_plan(&cd, ks, elsize, nthreads, &pl);
    if (rc != FC_OK)
        return rc;
    dp->V = pl.V;
    const int64_t K = Cg * KK;
    int64_t unit; /* pixels per micro-kernel call */
    /* conv2d's pixel-vector form (few output channels per group) pays off
       here only when so few input channels per group that the channels-last
       gather is mostly scalar anyway (measured: 4 channels per group gain
       25-40% with AVX-512, 8 lose 20%): then samples come from NCHW planes */
    dp->planar = pl.pixel_form && 2 * Cg < pl.V;
    if (dp->planar) {
        dp->P = pl.P;
        dp->M = pl.M;
        dp->OB = pl.P; /* output channels per tile */
        unit = (int64_t)pl.M * pl.V;
    } else {
        if (!pl.pixel_form) {
            dp->P = pl.P;
            dp->M = pl.M;
        } else {
            /* the oc-vector tile by conv2d's rule for it */
            const int lim = ks->max_acc;
            int64_t M = dmax(1, dmin(dmin(dcdiv(Og, pl.V), lim / dmax(1, dmin(HW, lim / 2))),
                                     FC_UK_MAX_M));
            dp->M = (int)M;
            dp->P = (int)dmin(dmin(lim / M, FC_UK_MAX_P), HW);
        }
        dp->OB = (int64_t)dp->M * dp->V;
        unit = dp->P;
    }
    dp->nob = dcdiv(Og, dp->OB);

    /* pixels per panel: a multiple of the unit that fits the budget; pixels
       per chunk (work item): a multiple of that, small enough to give every
       thread several chunks, large enough to amortise the item's set-up */
    const int64_t wf[] = {dp->nob, K, dp->OB, elsize};
    const int64_t wbytes = dprod(wf, 4) < 0 ? INT64_MAX : dprod(wf, 4);
    int64_t qfit = (wbytes <= FC_DEFORM_WEIGHTS_L2_BYTES ? FC_DEFORM_PANEL_L1_BYTES
                                                         : FC_DEFORM_PANEL_L2_BYTES) / dmax(1, K * elsize);
    dp->QP = dmin(dmax(unit, qfit / unit * unit), dcdiv(HW, unit) * unit);
    const int64_t want = nthreads > 1 ? 4 * (int64_t)nthreads : 1;
    const int64_t qthr = dcdiv(dcdiv(HW, want), dp->QP) * dp->QP;
    dp->Q = dmin(dmin(qthr, FC_DEFORM_CHUNK_PANELS * dp->QP), dcdiv(HW, dp->QP) * dp->QP);
    dp->nqc = dcdiv(HW, dp->Q);
    dp->nchunk = 1;
    dp->ob_per_chunk = dp->nob;
    if (dp->nqc < want && dp->nob > 1) {
        int64_t nchunk = dmin(dp->nob, dcdiv(want, dp->nqc));
        dp->ob_per_chunk = dcdiv(dp->nob, nchunk);
        dp->nchunk = dcdiv(dp->nob, dp->ob_per_chunk);
    }
    dp->items = dp->nqc * dp->nchunk;
    dp->nog = 1;
    for (int64_t g = 0; g < G; g++)
        dp->nog = dmax(dp->nog, ((g + 1) * Cg - 1) / Cog - (g * Cg) / Cog + 1);
    /* per-thread scratch: panel, plan (corners + 4 weights), coordinate table */
    const int64_t panel_f[] = {dp->QP, K}, plan_f[] = {6, dp->nog, KK, dp->Q};
    const int64_t coord_f[] = {d->kh + d->kw, dp->Q};
    if (dprod(panel_f, 2) < 0 || dprod(plan_f, 4) < 0 || dprod(coord_f, 2) < 0)
        return FC_EOVERFLOW;
    return FC_OK;
}

/* ---- sampling steps per instruction set ------------------------------------ */
extern const fc_deform_sampling fc_deform_sampling_generic;
#if defined(__x86_64__)
extern const fc_deform_sampling fc_deform_sampling_avx2;
extern const fc_deform_sampling fc_deform_sampling_avx512;
#endif

const fc_deform_sampling *fc_deform_sampling_for(int isa)
{
    if (!fc_ukernels(isa))
        return NULL;
    switch (isa) {
#if defined(__x86_64__)
    case FC_ISA_AVX2: return &fc_deform_sampling_avx2;
    case FC_ISA_AVX512: return &fc_deform_sampling_avx512;
#endif
    default: return &fc_deform_sampling_generic; /* NEON is the aarch64 baseline */
    }
}

/* ---- the two dtypes ---------------------------------------------------------- */
#define T float
#define SFX f32
#include "deform_conv2d_impl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "deform_conv2d_impl.h"
#undef T
#undef SFX

/*
 * conv2d.c -- direct 2-D convolution (dense, 1x1, grouped, depthwise, dilated,
 * strided, asymmetric kernels) driving the shared micro-kernel (ukernel.h).
 *
 * Forms, chosen per call (fc_conv2d_plan), mostly by which one wastes fewer
 * SIMD lanes:
 *
 *  oc-vector form (dense, and grouped with many channels per group)
 *     Weights are packed into blocks of OB = M*V output channels,
 *     [group][block][c][tap][OB], zero-padded.  For each work item (image, group,
 *     block of output rows, chunk of output-channel blocks) the needed input
 *     rows are copied into a zero-padded per-thread panel (see build_panel in
 *     conv2d_impl.h); the micro-kernel broadcasts panel pixels against the packed
 *     weight vectors, the reduction in L1-sized chunks of channels, padding-only
 *     taps skipped through per-class tap tables.  No im2col buffer.  Unpadded
 *     NCHW layers with wide strides or small images skip the panel and read
 *     the input's planes in place (pl->in_place).  NHWC
 *     with few padding taps (conv2d_nhwc) reads the input in place when
 *     unpadded (a tile's pixels are stride_w*C apart for every channel and
 *     tap), else a channels-last panel of row copies, and sums whole channel
 *     blocks straight into the output's rows of channels.
 *
 *  pixel-vector form (groups with few output channels)
 *     The same panel, read as vectors of consecutive output pixels; the
 *     micro-kernel broadcasts weights packed [tap][c][Og], starts its sums from
 *     the bias and stores whole-vector tiles straight into NCHW output rows (a
 *     last vector past the row's end spills into the next row, written later).
 *
 *  depthwise (one input channel per group): per-ISA kernels.  5x5 and 7x7,
 *     and 3x3 on rows of at most 8 outputs (float: input rows of up to 28, or
 *     wider ones that would leave a fifth of the in-place kernels' lanes idle,
 *     when the data fits L2; with 16 registers of 32 bytes, AVX2, rows of at
 *     most 16 outputs), with stride 1 or 2 and one output channel per
 *     channel, run on channel vectors (fc_dwc_applies, conv2d_depthwise_cvec):
 *     blocks of V channels transposed (NHWC: copied) into a panel of pixel
 *     vectors, aligned loads each feeding up to K accumulators, and back.
 *     Other 3x3 NCHW with stride 1, or horizontal stride 2 and padding 1, read
 *     the input rows in place (no panel): unaligned loads with the edge lanes
 *     masked, and for stride 2 a deinterleave in registers (AVX2 float: in
 *     shufps's lane order) (conv2d_depthwise_inplace).  The rest run over the
 *     panel, weights in registers for 3x3 and 5x5, row pairs sharing their
 *     loads when the vertical stride equals the dilation (fc_depthwise_rows).
 *
 *  1x1, unit stride, unpadded, NCHW: a blocked GEMM per image (conv2d_pointwise)
 *     in the pixel-vector form, reading the input in place, storing in place.
 *
 * Panel rows and weight packing run the instruction set's own vector code
 * (panel_rows, pack_rows in the ukernel set); when the stride is taller than
 * the kernel the panel holds only the kh rows of each output row.  Work items
 * are one per thread when that divides the work evenly, else 2-4 per thread;
 * the depthwise and pixel-vector drivers, whose items are equal, schedule them
 * statically, the dense one dynamically.
 * Padding is the zeros of the panel: no per-element branches, and padded taps
 * multiply real zeros exactly like the oracle.  Every output element is reduced
 * in the same order whatever the thread count, so results are bit-identical
 * across thread counts.  Packed weights and per-thread panels come from the
 * scratch pool kept between calls (common/scratch.h).  The type-generic body is
 * conv2d_impl.h.
 */
#include <stdlib.h>
#include <string.h>

#include "../fastconv.h"
#include "../ukernel/ukernel.h"
#include "conv2d_plan.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/* a*b, or -1 when it overflows (all operands here are non-negative) */
static int64_t mul_ok(int64_t a, int64_t b)
{
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
        return -1;
    return r;
}

static int64_t mul3(int64_t a, int64_t b, int64_t c) { int64_t t = mul_ok(a, b); return t < 0 ? -1 : mul_ok(t, c); }
static int64_t mul4(int64_t a, int64_t b, int64_t c, int64_t d) { int64_t t = mul3(a, b, c); return t < 0 ? -1 : mul_ok(t, d); }

int fc_conv2d_check(const fc_conv2d_desc *d)
{
    if (d->n < 0 || d->c < 1 || d->h < 1 || d->w < 1 || d->o < 1 || d->kh < 1 || d->kw < 1 ||
        d->ho < 1 || d->wo < 1 || d->stride_h < 1 || d->stride_w < 1 || d->dil_h < 1 ||
        d->dil_w < 1 || d->pad_h < 0 || d->pad_w < 0 || d->groups < 1 ||
        d->c % d->groups || d->o % d->groups ||
        (d->layout != FC_LAYOUT_NCHW && d->layout != FC_LAYOUT_NHWC))
        return FC_EINVAL;
    /* every element count and the furthest padded coordinate must fit in 63 bits
       with room for the sizeof() factor of byte sizes */
    const int64_t lim = INT64_C(1) << 58;
    int64_t spans[] = {
        mul4(d->n, d->c, d->h, d->w), mul4(d->n, d->o, d->ho, d->wo),
        mul4(d->o, d->c / d->groups, d->kh, d->kw),
        mul_ok(d->ho - 1, d->stride_h), mul_ok(d->wo - 1, d->stride_w),
        mul_ok(d->kh - 1, d->dil_h), mul_ok(d->kw - 1, d->dil_w),
    };
    int64_t total_h = 0, total_w = 0;
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (spans[i] < 0 || spans[i] > lim)
            return FC_EOVERFLOW;
    if (__builtin_add_overflow(spans[3], spans[5], &total_h) || total_h > lim ||
        __builtin_add_overflow(spans[4], spans[6], &total_w) || total_w > lim ||
        d->pad_h > lim || d->pad_w > lim)
        return FC_EOVERFLOW;
    return FC_OK;
}

/* ---- planning (type-free) -------------------------------------------------- */

/* Scratch budget of one thread's input panel: it and the item's results stay in
 * L2 beside the streaming input and output (measured: 256 KB beats 1 MB by ~10%
 * on 64-128-channel 28x28-56x56 layers) ... */
#define FC_PANEL_BUDGET_BYTES (256 * 1024)
/* ... unless an item would then cover fewer than FC_MIN_ITEM_PIXELS output pixels:
 * each L1-sized chunk of packed weights should meet that many (a 256-channel
 * dilated 33x33 layer, 46 KB per panel row, runs ~1.3x faster with 8 rows per
 * item than with 1); the panel may then grow to FC_PANEL_BUDGET_MAX_BYTES. */
#define FC_MIN_ITEM_PIXELS 256
#define FC_PANEL_BUDGET_MAX_BYTES (1024 * 1024)
/* Input block of the 1x1 GEMM path (conv2d_pointwise). */
#define FC_POINTWISE_BLOCK_BYTES (64 * 1024)
/* Packed weights of one reduction chunk, sized to stay in L1 with the panel lines. */
#define FC_WCHUNK_BYTES (32 * 1024)
/* No scratch buffer may exceed this many elements (2^58, as for arrays): its
 * byte size then always fits in size_t, and malloc fails cleanly above it. */
#define FC_MAX_SCRATCH_ELEMS (INT64_C(1) << 58)

/* The oc-vector form's tile of M vectors of output channels: the most pixels
 * the register budget lim leaves (fc_row_tiles balances them: 33 = 3 x 11),
 * and the blocks of M*V output channels of a group. */
static void set_oc_tile(const fc_conv2d_desc *d, fc_conv2d_plan_t *pl, int64_t M, int lim)
{
    pl->M = (int)M;
    pl->P = (int)imin(imin(lim / M, FC_UK_MAX_P), d->wo);
    pl->OB = M * pl->V;
    pl->nob = cdiv(d->o / d->groups, pl->OB);
}

/* Cuts the output into about `want` work items (image x group x row block x
 * channel chunk) and returns the busiest of nthreads threads' share of the
 * work (rounds of its largest item) over the mean. */
static double split_items(const fc_conv2d_desc *d, fc_conv2d_plan_t *pl, int64_t base,
                          int64_t r_budget, int weight_heavy, int64_t want, int nthreads)
{
    int64_t nchunk = 1;
    if (weight_heavy && pl->nob > 1)
        nchunk = imin(pl->nob, cdiv(want, base));
    const int64_t nrb = imax(cdiv(d->ho, r_budget), imin(d->ho, cdiv(want, base * nchunk)));
    pl->R = cdiv(d->ho, nrb);
    pl->nrb = cdiv(d->ho, pl->R);
    if (!pl->pixel_form && base * pl->nrb * nchunk < want && pl->nob > 1)
        nchunk = imin(pl->nob, cdiv(want, base * pl->nrb));
    pl->ob_per_chunk = cdiv(pl->nob, nchunk);
    pl->nchunk = cdiv(pl->nob, pl->ob_per_chunk);
    const double rounds = (double)cdiv(base * pl->nrb * pl->nchunk, imax(1, nthreads));
    return rounds * (double)(pl->R * pl->ob_per_chunk) * nthreads /
           ((double)base * (double)d->ho * (double)pl->nob);
}

/* Kernel taps inside the image along one axis, summed over its nout outputs. */
static double valid_taps_along(int64_t nout, int64_t stride, int64_t pad, int64_t dil,
                               int64_t k, int64_t size)
{
    double v = 0;
    for (int64_t o = 0; o < nout; o++) {
        int64_t lo, hi;
        fc_valid_taps(o * stride - pad, dil, k, size, &lo, &hi);
        v += (double)imax(0, hi - lo);
    }
    return v;
}

/* The share of the kernel columns, over a row's output pixels, that fall inside
 * the image. */
static double valid_col_share(const fc_conv2d_desc *d)
{
    if (d->pad_w == 0) /* every window inside (a 1x1 layer's flattened rows) */
        return 1.0;
    return valid_taps_along(d->wo, d->stride_w, d->pad_w, d->dil_w, d->kw, d->w) /
           ((double)d->wo * (double)d->kw);
}

int fc_conv2d_plan(const fc_conv2d_desc *d, const fc_ukernel_set *ks, int elsize,
                   int nthreads, fc_conv2d_plan_t *pl)
{
    const int V = elsize == 4 ? ks->vlen_f32 : ks->vlen_f64;
    const int lim = ks->max_acc;
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G;
    memset(pl, 0, sizeof *pl);
    pl->ks = ks;
    pl->V = V;
    pl->K = Cg * d->kh * d->kw;

    /* lanes doing useful work in each form */
    const double eff_dense = (double)Og / (double)(cdiv(Og, V) * V);
    const double eff_pixel = (double)d->wo / (double)(cdiv(d->wo, V) * V);
    /* The oc-vector form has the better load/FMA ratio; the pixel-vector form
       writes NCHW results without a transpose, so it wins ties there (in NHWC
       the oc-vector form is the one that stores without a transpose).  But a
       tie needs rows of 2 vectors or more: with one, each broadcast weight
       feeds a single FMA, and all of a group's weights pass by for every output
       row (256x16x16 3x3: 2.15x faster in the oc-vector form, 64x16x16 1.18x;
       32x64x64 -> 64 stays 1.12x faster in the pixel form).  And the pixel form
       multiplies the horizontal padding's zeros, which the oc-vector form skips:
       its useful lanes count only the kernel columns inside the image (7x7 on
       16x16 1.39x in the oc-vector form; float64 7x7 on 8x8 2.67x).  Nor may
       the tie cost the pixel tile its width: with 16 registers (AVX2, SSE2)
       the 2-vector pixel tile holds 6 output channels where the oc-vector
       tile holds 6 pixels of 2 vectors of channels, and there the oc-vector
       form won every tie measured (Zen 3, AVX2 float, 1 thread: 64x56x56 3x3
       1.29x, 64x112x112 1.43x, 32x112x112 -> 32 g2 1.46x, 32x56x56 -> 64
       1.33x); with 28 accumulators (AVX-512) both tiles keep 14.  Except
       for 1x1 GEMMs (fc_conv2d's flattened rows) on inputs over 2 MB: the
       oc-vector form streams the input once per block of output channels,
       the GEMM path keeps blocks of it in L2 (oc-vector form, float / double:
       0.8 MB 64 -> 256 1.40x / 1.42x, 1024x14x14 -> 256 1.76x / 1.92x, 1.6 MB
       512x28x28 -> 128 1.35x; 3.2 MB: 256x56x56 -> 64 float 0.96x,
       512x28x28 -> 128 double 0.96x; 6.4 MB, 256 -> 64 double, 0.38x). */
    /* a 1x1 unpadded unit-stride NCHW convolution on one (flattened) row: in the
       pixel form, a plain GEMM (conv2d_pointwise, pl->direct below) */
    const int gemm_row = d->kh == 1 && d->kw == 1 && d->stride_h == 1 && d->stride_w == 1 &&
                         d->pad_h == 0 && d->pad_w == 0 && d->h == 1 && d->wo == d->w &&
                         d->layout == FC_LAYOUT_NCHW;
    const double image_bytes = (double)d->c * (double)d->h * (double)d->w * (double)elsize;
    pl->pixel_form = eff_pixel > 1.25 * eff_dense ||
                     (d->wo % V == 0 && d->wo >= 2 * V && d->layout == FC_LAYOUT_NCHW &&
                      (lim >= 2 * imin(Og, 14) || (gemm_row && image_bytes > 2.0 * (1 << 20))) &&
                      eff_pixel * valid_col_share(d) >= 0.95 * eff_dense);

    int64_t row_elems; /* panel elements per input row, all channels of a group */
    if (!pl->pixel_form) {
        int64_t pcap = imax(1, imin(d->wo, lim / 2));
        int64_t M = imin(imin(cdiv(Og, V), lim / pcap), FC_UK_MAX_M);
        M = imax(M, 1);
        set_oc_tile(d, pl, M, lim);
        /* reduction chunk: its packed weights fit in L1 beside the panel lines */
        const int64_t kc_max = imax(16, FC_WCHUNK_BYTES / imax(1, pl->OB * elsize));
        const int64_t cpc_max = imax(1, kc_max / (d->kh * d->kw));
        pl->cpc = cdiv(Cg, cdiv(Cg, cpc_max)); /* balanced: 64 = 4 x 16, not 3 x 21 + 1 */
        pl->Lp = d->wo + ((d->kw - 1) * d->dil_w) / d->stride_w;
    } else {
        /* enough pixel vectors to cover the row, but leave room for up to 14
           broadcast output channels (the load/FMA ratio of the dense form); at
           least 2 vectors where the row has them, so that each broadcast weight
           feeds two FMAs: with 12 accumulators (AVX2) the 12x1 tile became
           6x2 (Zen 3, 1x1 GEMMs 256 -> 64 on 56x56 and 64 -> 256: 1.08-1.23x
           in a first run, 0.98-1.01x in a longer one; the guest is noisy) */
        int64_t M = imin(imin(cdiv(d->wo, V), FC_UK_MAX_M), imax(2, lim / imin(Og, 14)));
        int64_t pmax = imin(lim / M, FC_UK_MAX_P);
        int64_t ntile = cdiv(Og, pmax);
        pl->M = (int)M;
        pl->P = (int)cdiv(Og, ntile);
        pl->OB = pl->P;  /* output channels per tile */
        pl->nob = cdiv(Og, pl->P);
        /* whole vectors of pixels are loaded: room for the last one to overrun Wo */
        pl->Lp = cdiv(d->wo, V) * V + ((d->kw - 1) * d->dil_w) / d->stride_w;
    }
    /* A panel row holds one slot of Lp elements per stride phase, or, when the
       stride is wider than the kernel, one slot per kernel column (only the
       phases the taps use): scratch never grows with the stride. */
    pl->phase_per_tap = d->kw < d->stride_w;
    pl->Wp = mul_ok(pl->phase_per_tap ? d->kw : d->stride_w, pl->Lp);
    row_elems = mul_ok(Cg, pl->Wp);
    if (pl->Wp < 0 || row_elems < 0)
        return FC_EOVERFLOW;
    if (row_elems > FC_MAX_SCRATCH_ELEMS)
        return FC_ENOMEM;

    /* rows per work item: as many as the panel budget allows, but enough work
       items (image x group x row block x channel chunk) for every thread */
    const int64_t ext_h = (d->kh - 1) * d->dil_h + 1;
    /* rows per item within the panel budget; but at least enough rows for
       FC_MIN_ITEM_PIXELS output pixels (so each L1 chunk of packed weights meets
       that many pixels) when the large budget allows it */
    const int64_t row_bytes = imax(1, row_elems * elsize);
    const int64_t rows_fit = FC_PANEL_BUDGET_BYTES / row_bytes;
    const int64_t rows_fit_max = FC_PANEL_BUDGET_MAX_BYTES / row_bytes;
    /* When the stride is taller than the kernel (1x1 stride 2), output rows read
       disjoint sets of input rows: the panel then holds just the kh rows of each
       output row (pl->orp), never the rows in between. */
    const int disjoint = d->stride_h > ext_h;
    int64_t r_budget = disjoint ? rows_fit / d->kh
                                : rows_fit > ext_h ? (rows_fit - ext_h) / d->stride_h + 1 : 1;
    const int64_t r_max = disjoint ? rows_fit_max / d->kh
                                   : rows_fit_max > ext_h ? (rows_fit_max - ext_h) / d->stride_h + 1 : 1;
    r_budget = imax(1, imax(r_budget, imin(cdiv(FC_MIN_ITEM_PIXELS, d->wo), r_max)));
    const int64_t base = imax(1, d->n * G);
    /* Threads split the output channels first when the weights clearly outweigh
       the input (each thread then streams only its share of the weights, once),
       the output rows first otherwise (each thread copies only its rows).
       Measured at 2 threads: 512-channel 7x7 layers 1.2x faster; a 1x7 layer
       with only 2.3x more weight than input is faster split by rows. */
    const double w_bytes = (double)Og * (double)pl->K;
    const double in_bytes =
        (double)row_elems * (double)(disjoint ? d->ho * d->kh : d->h + 2 * d->pad_h);
    const int weight_heavy = !pl->pixel_form && w_bytes > 3 * in_bytes;
    /* More threads than output-channel blocks on such a layer: narrower blocks
       (down to 2 vectors, still 2 FMAs per load) until each thread has one.
       Splitting the rows instead makes every row block stream all the weights
       again: 512x512 7x7 3x3 on 16 threads cut into 56 one-row items read its
       9.4 MB of weights 7 times and ran 2.2x slower than on 8 threads.  The
       reduction chunks (cpc) stay: they set the summation order, which must not
       depend on the thread count (and narrower blocks' chunks fit L1 anyway). */
    while (weight_heavy && nthreads > 1 && pl->M > 2 && base * pl->nob < nthreads) {
        set_oc_tile(d, pl, imax(2, pl->M / 2), lim);
    }
    /* Work items: one per thread when that splits the work evenly (fewer items:
       fewer panels and weight passes), else 2 or 4 per thread so that dynamic
       scheduling evens out the remainders (a 112-row stem in 3 blocks of 38 keeps
       one of 2 threads idle a third of the time; 8 blocks of 14 do not).  The
       imbalance measure assumes the worst for unequal items, which dynamic
       scheduling mostly evens out: taking the split it rates best instead of
       the finest measured 0.80x on 160x17x17 7x1 on 4 threads (a 16-core Xeon). */
    int64_t want = nthreads > 1 ? nthreads : 1;
    while (split_items(d, pl, base, r_budget, weight_heavy, want, nthreads) > 1.1 &&
           nthreads > 1 && want < 4 * (int64_t)nthreads)
        want *= 2;
    /* panel rows: the input rows the item's output rows read, every row_step-th
       one (a dilated kernel on one output row reads only kh rows).  With one
       kernel row, every stride_h-th: then the panel rows of consecutive output
       rows are consecutive, disjoint or not (orp = 1), and one pass per channel
       builds an item's panel (build_row_block_panel; a call per output row and
       channel, copying one row each, was half of 24x17x17 -> 24 1x1 stride 2). */
    pl->row_step = d->kh == 1 ? d->stride_h
                   : pl->R == 1 || disjoint ? d->dil_h
                                            : gcd64(d->stride_h, d->dil_h);
    /* output row r of an item starts at panel row r*orp */
    pl->disjoint = disjoint;
    pl->orp = disjoint ? d->kh : d->stride_h / pl->row_step;
    pl->PR = disjoint ? pl->R * d->kh
                      : ((pl->R - 1) * d->stride_h + (d->kh - 1) * d->dil_h) / pl->row_step + 1;
    pl->panel_elems = mul_ok(pl->PR, row_elems);
    if (pl->panel_elems < 0)
        return FC_EOVERFLOW;
    /* A 1x1 unpadded unit-stride convolution on one (flattened) row is a plain
       GEMM (conv2d_pointwise): the row is cut into pixel blocks of about
       FC_POINTWISE_BLOCK_BYTES of input (all channels); enough blocks that one
       image feeds every thread. */
    pl->ncc = 1;
    pl->cc_len = d->wo;
    pl->direct = pl->pixel_form && gemm_row;
    if (pl->direct) {
        const int64_t MV = (int64_t)pl->M * V;
        /* measured: blocks of about 64 KB beat L2-sized ones (prefetched to L1) */
        int64_t chunks_fit = imax(1, FC_POINTWISE_BLOCK_BYTES / imax(1, pl->K * MV * elsize));
        int64_t ncc = imax(cdiv(d->wo, chunks_fit * MV), imin(cdiv(d->wo, MV), cdiv(want, base)));
        pl->cc_len = cdiv(cdiv(d->wo, ncc), MV) * MV;
        pl->ncc = cdiv(d->wo, pl->cc_len);
        pl->nrb = 1;
    }
    /* Unpadded NCHW layers whose panel would cost more than reading the input
       where it is: conv2d_dense then broadcasts straight from the input's
       channel planes, pixels stride_w apart (fc_panel_offset).  1 thread:
     - one input row per image read at unit stride (a 1x1 layer that
       fc_conv2d flattened, a 1xk one on a single row): the panel would be the
       input itself (192x17x17 -> 16 1x1 1.58x, 512x14x14 -> 48 1.23x,
       1024x14x14 -> 256 1.12x);
     - strides of 3 and more, whose panel splits every row into its phases
       element by element: patchify stems 3x224x224 4x4 s4 -> 96 1.25x, 8x8
       s8 1.33x, 3x3 s3 1.27x, 48x56x56 4x4 s4 1.30x, 16x16 s16 1.03x;
     - stride 2 on images of up to 512 KB, which the kernel finds in L2
       (96x13x13 1x1 s2 1.45x, 128x14x14 1.20x, 64x28x28 1.08x); from L3 the
       panel's compact copy is worth its cost (512x28x28 1x1 s2 in place
       0.79x, 256x56x56 0.88x, 96x56x56 2x2 s2 0.97x).
       A single row's tiles are split between items where images, groups and
       channel chunks are fewer than the threads. */
    /* (no padding on any side, right and bottom included) */
    const int unpadded = d->pad_h == 0 && d->pad_w == 0 && fc_pad_right(d) == 0 &&
                         fc_pad_bottom(d) == 0;
    pl->in_place = !pl->pixel_form && d->layout == FC_LAYOUT_NCHW && unpadded &&
                   ((d->h == 1 && d->ho == 1 && d->kh == 1 && d->stride_w == 1) ||
                    d->stride_w >= 3 ||
                    (d->stride_w == 2 && image_bytes <= 512.0 * 1024));
    if (pl->in_place && d->ho == 1 && base * pl->nchunk < nthreads)
        pl->ncc = imin(cdiv(d->wo, pl->P), cdiv(nthreads, base * pl->nchunk));
    pl->items = mul4(d->n, G, pl->nrb, mul_ok(pl->nchunk, pl->ncc));
    if (pl->panel_elems < 0 || pl->items < 0)
        return FC_EOVERFLOW;
    if (pl->panel_elems > FC_MAX_SCRATCH_ELEMS)
        return FC_ENOMEM;
    return FC_OK;
}

int fc_dw_inplace_geometry(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                           const fc_ukernel_set *ks, int elsize, fc_dw_inplace_t *ip)
{
    if (d->layout != FC_LAYOUT_NCHW || d->kh != 3 || d->kw != 3 || d->c != d->groups)
        return 0;
    const int s2 = d->stride_w == 2 && d->pad_w == 1 && d->dil_w == 1;
    const int s1 = d->stride_h == 1 && d->stride_w == 1 && d->dil_h == 1 && d->dil_w == 1;
    const int dbl = elsize == 8;
    if (s2 ? !(dbl ? (void *)ks->dw3x3s2p1_f64 : (void *)ks->dw3x3s2p1_f32)
           : !s1 || !(dbl ? (void *)ks->dwi3_f64 : (void *)ks->dwi3_f32))
        return 0;
    const int64_t V = pl->V, nch = cdiv(d->wo, V), W = d->w;
    /* stride 2 masks only its last chunk: the others must read real columns,
       which more padding on the right than on the left (the C API's implied
       right padding) can break */
    if (s2 && 2 * (nch - 1) * V > W)
        return 0;
    /* the AVX2 float kernel (8 lanes) masks only columns -1 and W */
    if (s2 && V == 8 && elsize == 4 && 2 * (d->wo - 1) + 1 > W)
        return 0;
    if (!s2) { /* output chunks of V columns that reach outside [0, W) need masks */
        int64_t edges = 0;
        for (int64_t c = 0; c < nch; c++)
            edges += c * V - d->pad_w < 0 || c * V - d->pad_w + V + d->kw - 2 >= W;
        if (edges > FC_DWI_MAX_EDGE)
            return 0;
    }
    ip->s2 = s2;
    ip->lo = s2 ? -2 : -d->pad_w; /* AVX2 stride 2 loads from column -2 */
    ip->hi = s2 ? 2 * V * nch : V * nch - d->pad_w + d->kw - 1;
    /* copied rows: those within hi - W elements of the input's end or -lo of its
       start; a stride-2 call may point at one row three times */
    const int64_t nslot = (s2 ? 3 : 1) * (cdiv(imax(ip->hi - W, 0), W) + cdiv(-ip->lo, W) + 1);
    ip->buf_elems = (nslot + 1) * (ip->hi - ip->lo);
    return 1;
}

/* A call whose input and output, per thread, fit in about this many bytes (a
 * 2 MB L2 and a little of L3) finds them in cache (see fc_dwc_applies). */
#define FC_DWC_WARM_BYTES (5 << 19) /* 2.5 MB */

/* A vector of zeros of either dtype: the bias a kernel probe on no rows reads. */
static const double fc_zero_vector[FC_UK_MAX_VLEN];

int fc_dwc_applies(const fc_conv2d_desc *d, const fc_ukernel_set *ks, int elsize, int nthreads,
                   int inplace)
{
    const int64_t k = d->kh, s = d->stride_h, dil = d->dil_h;
    /* whether the set compiled a kernel for (k, s, dil) at this width, asked of
       the set itself: dwc_rows on no rows computes nothing and says so (it reads
       a bias vector: zeros) */
    const double *zd = fc_zero_vector;
    const float *zf = (const float *)fc_zero_vector;
    const int compiled =
        elsize == 8 ? ks->dwc_rows_f64 && ks->dwc_rows_f64(0, d->wo, k, s, dil, zd, 0, zd, zd, NULL)
                    : ks->dwc_rows_f32 && ks->dwc_rows_f32(0, d->wo, k, s, dil, zf, 0, zf, zf, NULL);
    if ((d->layout != FC_LAYOUT_NCHW && d->layout != FC_LAYOUT_NHWC) || d->c != d->groups ||
        d->o != d->c || d->kw != k || d->stride_w != s || d->dil_w != dil || !compiled)
        return 0;
    const double V = elsize == 8 ? ks->vlen_f64 : ks->vlen_f32;
    const int64_t ext = (k - 1) * dil + 1; /* rows and columns the kernel spans */
    const double panel_row = (double)(d->pad_w + d->w + (d->wo - 1) * s + ext) * V * elsize;
    if (panel_row * (double)ext > (double)(32 << 20)) /* rows of millions of pixels */
        return 0;
    /* Measured against the width-vector kernels (bench/conv2d_bench.c and with the
       caches flushed between calls, AVX-512 and AVX2, float and double): 5x5 is
       1.1-5x faster at every size from 7x7 to 112x112, stride 1 and 2.  7x7
       (ConvNeXt) too: AVX-512 float 96x56x56 1.6x, 384x14x14 3.3x, 768x7x7 7.5x,
       64x112x112 1.5x, stride 2 2.0x; AVX2 1.4-2.2x, SSE2 1.3-1.5x; double
       1.4-2.3x; NHWC 3.5-4x (against the panel kernels, 1 thread).  3x3 gains
       on rows of at most 8 outputs (7x7 planes: 1.1-1.35x cold, 1.9x hot).  From
       14 columns on the in-place kernels waste few lanes: at 56 and 112 they win
       (dwc 0.65-0.9x); at 14 and 28 dwc wins for float with 8 or more lanes when
       the data is in cache (since the transposes' half-vector stage: AVX-512
       1.1-1.5x, 1 and 2 threads, AVX2 1.24-1.6x), not when it streams from
       memory (0.77-1.07x with the caches flushed).  By the bytes of input and
       output per thread (1 and 2 threads, N=1-8): 14 columns 1.8 MB 1.34-1.39x,
       2.1 MB 1.20x, 2.4 MB 1.08x, 2.9 MB 0.91x, 3.6 MB 0.92-0.96x; 28 columns
       1.5-2.0 MB 1.13-1.18x, 2.4 MB 1.08x, 3.0 MB 0.91x.  So there only where
       they fit in FC_DWC_WARM_BYTES, as a layer's input does when the layer
       before produced it.  Counted in input columns, not output: with stride 2
       on 56 columns (28 outputs) the in-place kernel's deinterleave wins (dwc
       0.74-0.8x at 64-144 channels), on 28 columns dwc does (1.16x).  Not for
       double (AVX-512: 0.8-1.05x) nor with 4 lanes (SSE2: 0.8-0.9x at stride
       1).  NHWC always: the other NHWC path computes each channel's row apart
       and scatters it with a stride of C (6-8x the NCHW time; this path 4-9x
       faster than it).  Wider rows with stride 1 whose last vector leaves more
       than a fifth of the in-place kernels' lanes idle likewise: 33, 35, 37, 38
       and 50 columns 1.03-1.15x (AVX-512, 1 and 2 threads), where 40 (83% of
       the lanes busy) ties and 48, 56 and 60 lose (0.66-0.89x).  3x3 dilated by
       2 or 4 (against the panel kernels, AVX-512 float, 1 / 2 threads): 28x28
       1.53x / 1.53x, 14x14 2.47x, 33x33 1.34-1.41x / 1.40-1.45x, 56x56 1.30x /
       1.19x, AVX2 1.32-1.61x; but 65x65 0.96-1.05x and 112x112 0.92-0.95x (1 and
       2 threads, measured again after the bands were evened out, which had cost
       these 40% at 2 threads), and with 4 lanes (SSE2) 0.78-0.88x: so with 8
       lanes or more, up to 56 columns.  Other dilations (5x5 and 7x7 by 2 or 3,
       3x3 by 3 or with stride 2) run the run-time-dilation kernels, against the
       panel kernels (1 thread, AVX-512 / AVX2 / SSE2 float): 7x7 d2 960x19x19
       1.97x / 1.66x / 1.33x, 5x5 d2 960x33x33 1.77x / 1.28x / 1.27x, 3x3 d3
       576x14x14 2.56x / 2.50x / 1.62x, 3x3 s2 d2 256x28x28 1.96x / 1.64x /
       1.19x; double 1.0-1.4x (AVX2), 0.91-1.16x (SSE2).  At 112 columns 5x5
       and 7x7 still gain for float (1.07-1.31x, double 0.96-1.18x), 3x3 loses
       (AVX-512 3x3 s2 d2 0.80x, d3 0.88x), at 224 5x5 too (0.81x).  NHWC
       always, as undilated. */
    if (dil > 1) { /* see the dilated kernels' measurements above */
        if (d->layout == FC_LAYOUT_NHWC)
            return 1;
        if (k == 3 && s == 1 && (dil == 2 || dil == 4))
            return V >= 8 && d->w <= 56;
        return d->w <= 56 || (d->w <= 112 && k >= 5 && elsize == 4);
    }
    /* With 16 vector registers and 32-byte vectors (AVX2) the in-place
       kernels' groups of four rows (ukernel_impl.h) win from 3 vectors a row
       on, dwc below.  Stride 2, float (its own kernel), dwc against it: Zen 3,
       1 thread, 144x56x56 0.85x, 32x112x112 0.75x, 256x28x28 1.15x, 512x14x14
       1.2-1.4x; double stays in place (the generic stride-2 kernel: dwc
       0.87x).  Stride 1 (dwc against the in-place kernel, Zen 3, float, 1 /
       2 threads: 960x7x7 1.73x / 1.58x, 192x14x14 1.78x / 1.56x, 576x14x14 x4
       1.69x / 1.84x; 256x19x19 1.17x / 0.96x, 96x28x28 0.98x / 0.83x,
       384x28x28 1.00x / 0.97x, 256x33x33 1.04x / 0.87x, 128x50x50 0.84x /
       0.82x, 144x56x56 0.80x, 64x112x112 0.72x / 0.70x, 16x224x224 0.60x /
       0.58x; double 576x14x14 1.38x, 64x28x28 0.73x, 144x56x56 0.72x,
       32x112x112 0.76x).  With 16-byte vectors (SSE2) the in-place kernels
       mostly stay ahead (dwc 0.65-0.99x on 56- and 112-column planes, 1.2x on
       14x14).  Where the in-place kernels cannot run (NHWC, other kernel
       sizes, very wide padding), dwc rather than the panel path. */
    if (ks->max_acc < 24 && V * elsize >= 32 && (elsize == 4 || s == 1))
        return !inplace || d->wo <= 16;
    const double bytes = ((double)d->n * (double)d->c * (double)(d->h * d->w + d->ho * d->wo)) *
                         (double)elsize / (double)(nthreads > 0 ? nthreads : 1);
    const double lanes = (double)d->wo / (double)(cdiv(d->wo, (int64_t)V) * (int64_t)V);
    return k >= 5 || d->wo <= 8 || d->layout == FC_LAYOUT_NHWC ||
           (elsize == 4 && V >= 8 && (d->w <= 28 || (s == 1 && lanes < 0.8)) &&
            bytes <= FC_DWC_WARM_BYTES);
}

void fc_valid_taps(int64_t start, int64_t dil, int64_t k, int64_t size, int64_t *lo, int64_t *hi)
{
    /* start + t*dil >= 0  and  start + t*dil <= size - 1 */
    int64_t l = start >= 0 ? 0 : cdiv(-start, dil);
    int64_t h = size - 1 - start >= 0 ? (size - 1 - start) / dil + 1 : 0;
    *lo = imin(l, k);
    *hi = imin(h, k);
}

int64_t fc_row_tiles(const fc_conv2d_desc *d, int64_t pmax, int clip, fc_row_tile_t *tiles)
{
    /* 1. runs of pixels with the same valid kernel columns */
    int64_t nrun = 0;
    for (int64_t ow = 0; ow < d->wo; ow++) {
        int64_t lo = 0, hi = d->kw;
        if (clip) {
            fc_valid_taps(ow * d->stride_w - d->pad_w, d->dil_w, d->kw, d->w, &lo, &hi);
            if (lo >= hi) { lo = d->kw; hi = 0; } /* empty: neutral for the union below */
        }
        if (nrun && tiles[nrun - 1].jlo == lo && tiles[nrun - 1].jhi == hi) {
            tiles[nrun - 1].np++;
        } else {
            tiles[nrun++] = (fc_row_tile_t){ow, 1, lo, hi, 0};
        }
    }
    /* 2. runs too short to fill a micro-kernel decently join a neighbour, with the
       union of the columns (the panel's zeros cover the rest) */
    const int64_t minlen = imax(4, pmax / 4);
    for (int64_t r = 0; r < nrun && nrun > 1;) {
        if (tiles[r].np >= minlen) { r++; continue; }
        int64_t into = r + 1 < nrun ? r + 1 : r - 1;
        fc_row_tile_t *a = &tiles[into];
        a->ow0 = imin(a->ow0, tiles[r].ow0);
        a->np += tiles[r].np;
        a->jlo = imin(a->jlo, tiles[r].jlo);
        a->jhi = imax(a->jhi, tiles[r].jhi);
        memmove(&tiles[r], &tiles[r + 1], (size_t)(nrun - r - 1) * sizeof *tiles);
        nrun--;
        r = 0;
    }
    /* 3. balanced tiles of at most pmax pixels within each run (in place, from the back) */
    int64_t total = 0;
    for (int64_t r = 0; r < nrun; r++)
        total += cdiv(tiles[r].np, pmax);
    for (int64_t r = nrun - 1, out = total; r >= 0; r--) {
        const fc_row_tile_t run = tiles[r];
        const int64_t nt = cdiv(run.np, pmax);
        for (int64_t k = nt - 1; k >= 0; k--) {
            const int64_t lo = run.np * k / nt, hi = run.np * (k + 1) / nt;
            tiles[--out] = (fc_row_tile_t){run.ow0 + lo, hi - lo, run.jlo, run.jhi, 0};
        }
    }
    return total;
}

fc_slot_range_t fc_slot_range(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, int64_t slot)
{
    const int64_t sw = d->stride_w, pw = d->pad_w, Lp = pl->Lp;
    const int64_t q = pl->phase_per_tap ? (slot * d->dil_w) % sw : slot;
    fc_slot_range_t r;
    r.tlo = imin(Lp, pw > q ? cdiv(pw - q, sw) : 0);
    r.thi = imax(r.tlo, imin(Lp, cdiv(d->w + pw - q, sw)));
    r.iw0 = r.tlo * sw + q - pw;
    return r;
}

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define FC_HAVE_SHUFFLEVECTOR 1
#endif
#endif

void fc_transpose_bias_f32(const float *src, int64_t lds, int64_t np, int64_t nl,
                           const float *bias, float *dst, int64_t ldd, int64_t *p_done,
                           int64_t *l_done)
{
    *p_done = 0;
    *l_done = 0;
#ifdef FC_HAVE_SHUFFLEVECTOR
    typedef float v4 __attribute__((vector_size(16)));
    const int64_t np4 = np - np % 4, nl4 = nl - nl % 4;
    for (int64_t p = 0; p < np4; p += 4)
        for (int64_t l = 0; l < nl4; l += 4) {
            v4 r0, r1, r2, r3;
            memcpy(&r0, src + (p + 0) * lds + l, sizeof r0);
            memcpy(&r1, src + (p + 1) * lds + l, sizeof r1);
            memcpy(&r2, src + (p + 2) * lds + l, sizeof r2);
            memcpy(&r3, src + (p + 3) * lds + l, sizeof r3);
            const v4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
            const v4 t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
            const v4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
            const v4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
            v4 c[4] = {__builtin_shufflevector(t0, t2, 0, 1, 4, 5),
                       __builtin_shufflevector(t0, t2, 2, 3, 6, 7),
                       __builtin_shufflevector(t1, t3, 0, 1, 4, 5),
                       __builtin_shufflevector(t1, t3, 2, 3, 6, 7)};
            for (int k = 0; k < 4; k++) {
                if (bias) /* (not + 0: a copy stays exact, -0.0 + 0.0 is +0.0) */
                    c[k] += bias[l + k];
                memcpy(dst + (l + k) * ldd + p, &c[k], sizeof c[k]);
            }
        }
    *p_done = np4;
    *l_done = nl4;
#else
    (void)src; (void)lds; (void)np; (void)nl; (void)bias; (void)dst; (void)ldd;
#endif
}

/* Clipped tap tables above this many entries are not worth their memory. */
#define FC_TAP_TABLE_MAX_ENTRIES (INT64_C(1) << 21)

void fc_tap_tables_free(fc_tap_tables_t *tt)
{
    free(tt->tiles_all);
    free(tt->vclass);
    free(tt->count);
    free(tt->tab);
    free(tt->full);
    memset(tt, 0, sizeof *tt);
}

/* Index of range [lo, hi) in lo_hi[0..2n), appended when new. */
static int64_t find_or_add(int64_t *lo_hi, int64_t *n, int64_t lo, int64_t hi)
{
    for (int64_t k = 0; k < *n; k++)
        if (lo_hi[2 * k] == lo && lo_hi[2 * k + 1] == hi)
            return k;
    lo_hi[2 * *n] = lo;
    lo_hi[2 * *n + 1] = hi;
    return (*n)++;
}

/* Fills tab with the (c, i in [ilo,ihi), j in [jlo,jhi)) entries: packed-weight
 * offsets, then (K further) panel offsets; returns the taps per channel. */
static int64_t fill_tap_table(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, int64_t ilo,
                              int64_t ihi, int64_t jlo, int64_t jhi, int64_t *tab)
{
    const int64_t Cg = d->c / d->groups, taps = d->kh * d->kw, K = pl->K;
    int64_t r = 0;
    /* chunk by chunk of channels (the cache blocking of the driver); inside a
       chunk tap-major, so consecutive steps walk the panel with one stride
       (fc_panel_offset: a panel row's channel slots, or the input's planes
       when the panel is the input).  Channel c of a tap is c*taps*OB further
       in the packed weights. */
    for (int64_t c0 = 0; c0 < Cg; c0 += pl->cpc)
        for (int64_t i = ilo; i < ihi; i++)
            for (int64_t j = jlo; j < jhi; j++) {
                const int64_t w0 = (i * d->kw + j) * pl->OB;
                for (int64_t c = c0; c < imin(Cg, c0 + pl->cpc); c++, r++) {
                    tab[r] = w0 + c * taps * pl->OB;
                    tab[K + r] = fc_panel_offset(d, pl, c, i, j);
                }
            }
    return Cg ? r / Cg : 0;
}

int fc_tap_tables(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, fc_tap_tables_t *tt)
{
    const int64_t K = pl->K, ho = d->ho;
    memset(tt, 0, sizeof *tt);
    tt->tiles_all = (fc_row_tile_t *)malloc((size_t)(2 * d->wo) * sizeof(fc_row_tile_t));
    tt->full = (int64_t *)malloc((size_t)(2 * K) * sizeof(int64_t));
    tt->vclass = (int64_t *)malloc((size_t)ho * sizeof(int64_t));
    int64_t *ranges = (int64_t *)malloc((size_t)(2 * (ho + d->wo)) * sizeof(int64_t));
    if (!tt->tiles_all || !tt->full || !tt->vclass || !ranges) {
        free(ranges);
        fc_tap_tables_free(tt);
        return FC_ENOMEM;
    }
    tt->tiles_clip = tt->tiles_all + d->wo;
    tt->ntiles_all = fc_row_tiles(d, pl->P, 0, tt->tiles_all);
    tt->ntiles_clip = fc_row_tiles(d, pl->P, 1, tt->tiles_clip);
    fill_tap_table(d, pl, 0, d->kh, 0, d->kw, tt->full);

    /* distinct kernel-row ranges over the output rows, kernel-column ranges over
       the tiles (an empty range: a pixel that sees only padding) */
    int64_t *vr = ranges, *hr = ranges + 2 * ho;
    for (int64_t oh = 0; oh < ho; oh++) {
        int64_t lo, hi;
        fc_valid_taps(oh * d->stride_h - d->pad_h, d->dil_h, d->kh, d->h, &lo, &hi);
        if (lo >= hi)
            lo = hi = 0;
        tt->vclass[oh] = find_or_add(vr, &tt->nv, lo, hi);
    }
    for (int64_t ti = 0; ti < tt->ntiles_clip; ti++) {
        fc_row_tile_t *tl = &tt->tiles_clip[ti];
        const int64_t lo = tl->jlo < tl->jhi ? tl->jlo : 0, hi = tl->jlo < tl->jhi ? tl->jhi : 0;
        tl->hclass = find_or_add(hr, &tt->nh, lo, hi);
    }
    const int64_t ncls = tt->nv * tt->nh, entries = mul_ok(mul_ok(ncls, 2), K);
    tt->clip_ok = entries >= 0 && entries <= FC_TAP_TABLE_MAX_ENTRIES;
    if (tt->clip_ok) {
        tt->tab = (int64_t *)malloc((size_t)entries * sizeof(int64_t));
        tt->count = (int64_t *)malloc((size_t)ncls * sizeof(int64_t));
        if (!tt->tab || !tt->count) {
            free(ranges);
            fc_tap_tables_free(tt);
            return FC_ENOMEM;
        }
        for (int64_t v = 0; v < tt->nv; v++)
            for (int64_t h = 0; h < tt->nh; h++) {
                const int64_t cls = v * tt->nh + h;
                tt->count[cls] = fill_tap_table(d, pl, vr[2 * v], vr[2 * v + 1], hr[2 * h],
                                                hr[2 * h + 1], tt->tab + 2 * cls * K);
            }
    }
    free(ranges);
    return FC_OK;
}

/* Offset of tap (i, j) of panel channel c, relative to the panel row of an output
 * row's first pixel (see build_panel in conv2d_impl.h for the layout). */
int64_t fc_panel_offset(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, int64_t c,
                        int64_t i, int64_t j)
{
    if (pl->in_place) /* the input itself */
        return (c * d->h + i * d->dil_h) * d->w + j * d->dil_w;
    const int64_t col = j * d->dil_w;
    const int64_t Cg = d->c / d->groups;
    const int64_t slot = pl->phase_per_tap ? j : col % d->stride_w;
    return ((i * d->dil_h / pl->row_step) * Cg + c) * pl->Wp + slot * pl->Lp + col / d->stride_w;
}

int64_t fc_sched_chunk(int64_t items, int nt)
{
    return imax(1, items / (16 * (int64_t)nt));
}

/* Threads that repay their start.  On the project's 2-core guest a parallel
 * region cost 5-15 us beyond its work (waking the other core, the barriers,
 * packed weights and results moving between the cores' caches), and layers of
 * under ~20 us on one thread ran slower on two: 32x7x7 3x3 0.58x, 16x28x28 1x1
 * 0.69x, 64x14x14 depthwise 0.79x; from ~25 us two threads won (128x14x14
 * depthwise 1.22x, 128x7x7 1x1 1.17x).  The work is estimated as flops at
 * FC_THREAD_EST_GFLOPS (float; double at half) plus input, output and weight
 * bytes at FC_THREAD_EST_GBS; every thread past the first needs
 * FC_THREAD_MIN_US of it. */
#define FC_THREAD_EST_GFLOPS 100.0
#define FC_THREAD_EST_GBS 10.0
#define FC_THREAD_MIN_US 20.0
int fc_conv2d_threads(const fc_conv2d_desc *d, int elsize, int nthreads)
{
    const int nt = fc_resolve_threads(nthreads, INT64_MAX);
    if (nt == 1 || fc_conv2d_check(d) != FC_OK || (elsize != 4 && elsize != 8))
        return nt;
    const double taps = (double)(d->c / d->groups) * (double)d->kh * (double)d->kw;
    const double outs = (double)d->n * (double)d->o * (double)d->ho * (double)d->wo;
    const double elems = (double)d->n * (double)d->c * (double)d->h * (double)d->w + outs +
                         (double)d->o * taps;
    const double us = 2.0 * outs * taps / (FC_THREAD_EST_GFLOPS * 1e3) * (elsize / 4) +
                      elems * elsize / (FC_THREAD_EST_GBS * 1e3);
    const double fit = 1.0 + us / FC_THREAD_MIN_US; /* (a double: no int overflow) */
    return fit < (double)nt ? (int)fit : nt;
}

int fc_resolve_threads(int nthreads, int64_t items)
{
#ifdef _OPENMP
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
#else
    int nt = 1;
    (void)nthreads;
#endif
    if (nt < 1)
        nt = 1;
    if ((int64_t)nt > items)
        nt = (int)imax(1, items);
    return nt;
}

/* Whether the oc-vector drivers pack each weight block in the work item that
 * uses it, into a per-thread buffer, rather than all blocks up front.  When
 * each item holds all the output rows (nrb == 1), no two items use the same
 * block: large weights (512 x 512 x 3 x 3) then go from memory to the cache and
 * are consumed there, instead of a packed copy making a round trip.  But not
 * for a batch on one thread, which would pack every block once per image (8 x
 * 512x7x7 3x3 1.21-1.29x, 8 x 2048x7x7 1x1 1.11-1.18x; on 2 threads packing per
 * item measured 6% faster, as before). */
static int fc_pack_lazily(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, int nt)
{
    return pl->nrb == 1 && (d->n == 1 || nt > 1);
}

/* The share of the kernel taps, over all output pixels, that fall on padding.
 * The NHWC panel path multiplies them (its panel holds the zeros); the NCHW-style
 * panel path skips them through its tap tables, which wins where they are many:
 * against it, 3x3 on 64x56x56 (2% padding taps) 1.09x, 128x56x56 s2 1.17x, but
 * 256x14x14 (9%) 0.92x, 512x7x7 (18%) 0.91x, 33x33 dilated by 6 0.67x. */
static double fc_padding_tap_share(const fc_conv2d_desc *d)
{
    const double vh = valid_taps_along(d->ho, d->stride_h, d->pad_h, d->dil_h, d->kh, d->h);
    const double vw = valid_taps_along(d->wo, d->stride_w, d->pad_w, d->dil_w, d->kw, d->w);
    return 1.0 - vh * vw / ((double)d->ho * (double)d->kh * (double)d->wo * (double)d->kw);
}

/* ---- the two dtypes ---------------------------------------------------------- */
#define T float
#define SFX f32
#include "conv2d_impl.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "conv2d_impl.h"
#undef T
#undef SFX

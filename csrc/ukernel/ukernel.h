/*
 * ukernel.h -- the register-blocked micro-kernel shared by every convolution
 * family (dense, grouped, depthwise, 1x1, deformable).
 *
 * One micro-kernel computes a tile  C[P][M*V]  (V = SIMD lanes) as
 *
 *     for r in 0..k-1:                    # the reduction (channel, tap, ...)
 *         A_m = vector load  a + aoff[r] + m*V        for m < M
 *         for p < P:
 *             s = b[boff[r] + p*bs]                   # one broadcast scalar
 *             C[p][m*V : m*V+V] += s * A_m            # one FMA per accumulator
 *
 * and stores C row by row (row p at c + p*ldc).  With `accumulate` set, the
 * accumulators start from the C already stored there instead of zero (for
 * reductions split into cache-sized chunks or around padding); otherwise, with
 * rbias given, row p starts from rbias[p] (the pixel-vector forms then store
 * finished output rows straight into the result).  The P*M accumulators stay in
 * registers for the whole reduction.  The two offset tables make it layout-free:
 *   - "oc-vector" form (dense conv): a = packed weights (SIMD-width of output
 *     channels innermost), b = an input panel, P = output pixels;
 *   - "pixel-vector" form (depthwise, small groups): a = an input panel row
 *     (V consecutive output pixels), b = the OIHW weights, P = output channels;
 *   - deformable conv feeds a panel of bilinear samples into the oc-vector form.
 *
 * Each instruction set provides the same table of (P, M) instantiations,
 * generated from ukernel_impl.h with its own vector width and register budget.
 */
#ifndef FC_UKERNEL_H
#define FC_UKERNEL_H

#include <stdint.h>

#define FC_UK_MAX_P 28
#define FC_UK_MAX_M 8
/* most SIMD lanes of any set (float on AVX-512) */
#define FC_UK_MAX_VLEN 16

typedef void (*fc_uk_f32)(int64_t k, const float *a, const int64_t *aoff,
                          const float *b, const int64_t *boff, int64_t bs,
                          float *c, int64_t ldc, int accumulate, const float *rbias);
typedef void (*fc_uk_f64)(int64_t k, const double *a, const int64_t *aoff,
                          const double *b, const int64_t *boff, int64_t bs,
                          double *c, int64_t ldc, int accumulate, const double *rbias);

/* Depthwise row kernel, for nrows rows r of one channel:
 *   out[r*out_pitch + ow] = bias + sum_t wt[t] * in[r*in_pitch + toff[t] + ow],  ow < wo,
 * the taps' inputs unit-stride in a panel with room to load whole vectors past wo. */
typedef void (*fc_dw_f32)(int64_t nrows, int64_t wo, int64_t ntap, const float *in,
                          int64_t in_pitch, const int64_t *toff, const float *wt, float bias,
                          float *out, int64_t out_pitch);
typedef void (*fc_dw_f64)(int64_t nrows, int64_t wo, int64_t ntap, const double *in,
                          int64_t in_pitch, const int64_t *toff, const double *wt, double bias,
                          double *out, int64_t out_pitch);

/* Depthwise row pairs sharing their input rows (vertical stride == dilation):
 * taps (i, j) of output row r at in + (r + i)*pitch + coff[j]; nrows even. */
typedef void (*fc_dws_f32)(int64_t nrows, int64_t wo, int64_t kh, int64_t kw, const float *in,
                           int64_t pitch, const int64_t *coff, const float *wt, float bias,
                           float *out, int64_t out_pitch);
typedef void (*fc_dws_f64)(int64_t nrows, int64_t wo, int64_t kh, int64_t kw, const double *in,
                           int64_t pitch, const int64_t *coff, const double *wt, double bias,
                           double *out, int64_t out_pitch);

/* The depthwise kernels that read the input rows themselves (no panel), for
 * nplanes channel planes q at once: plane q's output row r is
 * out + q*out_cstride + r*wo (its rows back to back), from weights wt + 9q and
 * bias[q] (bias may be NULL).  Columns < 0 or >= W are the padding (0).
 *   3x3, horizontal stride 2, padding 1, dilation 1: row r of plane q is
 *     sum_{i,j} wt[9q + 3i + j] * rp[3*(nrows*q + r) + i][2*ow - 1 + j],
 *     each rp[] row readable from column -2 to 2*V*ceil(wo/V) (V lanes);
 *     the AVX2 float kernel masks only columns -1 and W: 2*(wo - 1) + 1 <= W;
 *   3x3, stride 1, dilation 1, horizontal padding pw:
 *     sum_{i,j} wt[9q + 3i + j] * rp[(nrows + 2)*q + r + i][ow - pw + j],
 *     each rp[] row readable from column -pw to V*ceil(wo/V) - pw + 2, and at
 *     most FC_DWI_MAX_EDGE chunks of V output columns reaching outside [0, W). */
typedef void (*fc_dw3x3s2p1_f32)(int64_t nplanes, int64_t nrows, int64_t wo, int64_t w,
                                 const float *const *rp, const float *wt, const float *bias,
                                 float *out, int64_t out_cstride);
typedef void (*fc_dw3x3s2p1_f64)(int64_t nplanes, int64_t nrows, int64_t wo, int64_t w,
                                 const double *const *rp, const double *wt, const double *bias,
                                 double *out, int64_t out_cstride);
typedef void (*fc_dwi_f32)(int64_t nplanes, int64_t nrows, int64_t wo, int64_t w, int64_t pw,
                           const float *const *rp, const float *wt, const float *bias,
                           float *out, int64_t out_cstride);
typedef void (*fc_dwi_f64)(int64_t nplanes, int64_t nrows, int64_t wo, int64_t w, int64_t pw,
                           const double *const *rp, const double *wt, const double *bias,
                           double *out, int64_t out_cstride);
#define FC_DWI_MAX_EDGE 6

/* Depthwise on channel vectors (dwc): V channels of one image as pixel vectors.
 *   pack: pixels f < npix (f = r*w + x) of channels c < nc (channel c at
 *     src + c*cstride) -> the V-vector at dst + r*dst_pitch + x*V (lanes past
 *     nc: don't care);
 *   rows: nrows output rows of wo pixels, stride s and dilation d (both ways),
 *     a k x k kernel, from a panel of pixel vectors (row pitch `pitch` elements;
 *     output row r, column ox reads panel row r*s + i*d, column ox*s + j*d for
 *     tap (i, j)) with weights w[(i*k + j)*V + lane] and bias[lane], into
 *     out[(r*wo + ox)*V + lane]; k in {3, 5, 7} and s in {1, 2} with any d >= 1
 *     (d = 1, 3x3 s1 with d in {2, 4}, 5x5 and 7x7 s1 with d = 2 are compiled
 *     in, sharing each loaded pixel between taps; other d at run time, a load
 *     per FMA); returns 0 (doing nothing) for other (k, s, d) or where no
 *     chunk width fits wo (so a call on 0 rows asks whether a kernel exists;
 *     only the bias is read);
 *   unpack: the pixel vectors src[f*V ...] for f < npix -> lanes c < nc at
 *     dst + c*cstride + f;
 *   gather, scatter (NHWC, where pixels are channel vectors already): pixel f
 *     at src + f*pix_stride -> dst + f*V (lanes past nc zero), and back (lanes
 *     c < nc; scatter has unpack's signature). */
typedef void (*fc_dwc_pack_f32)(const float *src, int64_t cstride, int64_t nc, int64_t npix,
                                int64_t w, float *dst, int64_t dst_pitch);
typedef void (*fc_dwc_pack_f64)(const double *src, int64_t cstride, int64_t nc, int64_t npix,
                                int64_t w, double *dst, int64_t dst_pitch);
typedef int (*fc_dwc_rows_f32)(int64_t nrows, int64_t wo, int64_t k, int64_t s, int64_t d,
                               const float *panel, int64_t pitch, const float *w,
                               const float *bias, float *out);
typedef int (*fc_dwc_rows_f64)(int64_t nrows, int64_t wo, int64_t k, int64_t s, int64_t d,
                               const double *panel, int64_t pitch, const double *w,
                               const double *bias, double *out);
/* NHWC depthwise rows in place (dwcn): as rows (the same kernels), but pixel
 * vectors ps elements apart in the panel (row pitch `pitch`) and written os
 * elements apart into out, output row r at out + r*opitch. */
typedef int (*fc_dwcn_rows_f32)(int64_t nrows, int64_t wo, int64_t k, int64_t s, int64_t d,
                                const float *panel, int64_t pitch, int64_t ps, const float *w,
                                const float *bias, float *out, int64_t opitch, int64_t os);
typedef int (*fc_dwcn_rows_f64)(int64_t nrows, int64_t wo, int64_t k, int64_t s, int64_t d,
                                const double *panel, int64_t pitch, int64_t ps, const double *w,
                                const double *bias, double *out, int64_t opitch, int64_t os);
typedef void (*fc_dwc_unpack_f32)(const float *src, int64_t npix, float *dst, int64_t cstride,
                                  int64_t nc);
typedef void (*fc_dwc_unpack_f64)(const double *src, int64_t npix, double *dst,
                                  int64_t cstride, int64_t nc);
/* The oc-vector form's result store, a transpose (with the dwc kernels): for
 * f < npix and c < nc <= V, dst[c*cstride + f] = src[f*lds + c] + bias[c]
 * (bias may be NULL). */
typedef void (*fc_tile_unpack_f32)(const float *src, int64_t lds, int64_t npix,
                                   const float *bias, float *dst, int64_t cstride, int64_t nc);
typedef void (*fc_tile_unpack_f64)(const double *src, int64_t lds, int64_t npix,
                                   const double *bias, double *dst, int64_t cstride,
                                   int64_t nc);
typedef void (*fc_dwc_gather_f32)(const float *src, int64_t pix_stride, int64_t nc, int64_t npix,
                                  float *dst);
typedef void (*fc_dwc_gather_f64)(const double *src, int64_t pix_stride, int64_t nc,
                                  int64_t npix, double *dst);

/* Output pixels per dwc chunk for a k x k kernel, stride s, dilation d, rows of
 * wo pixels: of the widths compiled (16 and 14 only in `wide` sets, those with
 * 32 vector registers), the one with the least work per row -- each chunk's
 * FMAs plus its loads, a last chunk overlapping the one before; 0 when wo < 4. */
static inline int fc_dwc_width(int64_t k, int64_t s, int64_t d, int64_t wo, int wide)
{
    static const int widths[5] = {16, 14, 8, 7, 4};
    int best = 0;
    int64_t best_cost = 0;
    for (int i = wide ? 0 : 2; i < 5; i++) {
        const int64_t cw = widths[i];
        const int64_t cost = (wo + cw - 1) / cw * (cw * k + (cw - 1) * s + (k - 1) * d + 1);
        if (cw <= wo && (best == 0 || cost < best_cost)) {
            best = (int)cw;
            best_cost = cost;
        }
    }
    return best;
}

/* The run-time-dilation dwc kernels' chunk width (0: none fits): chunks of
 * cw pixels cost k*k*max(cw, 8) cycles -- fewer than 8 accumulators leave the
 * FMA pipes idle -- and the last one overlaps the one before it. */
static inline int fc_dwcg_width(int64_t k, int64_t wo, int wide)
{
    static const int widths[3] = {16, 8, 4};
    int best = 0;
    int64_t best_cost = 0;
    for (int i = wide ? 0 : 1; i < 3; i++) {
        const int64_t cw = widths[i];
        const int64_t cost = (wo + cw - 1) / cw * k * k * (cw > 8 ? cw : 8);
        if (cw <= wo && (best == 0 || cost < best_cost)) {
            best = (int)cw;
            best_cost = cost;
        }
    }
    return best;
}

typedef struct fc_ukernel_set {
    const char *name;
    int vlen_f32, vlen_f64;  /* SIMD lanes per vector                        */
    int max_acc;             /* P*M may not exceed this (register budget)     */
    /* [P][M]; NULL where P*M > max_acc */
    fc_uk_f32 f32[FC_UK_MAX_P + 1][FC_UK_MAX_M + 1];
    fc_uk_f64 f64[FC_UK_MAX_P + 1][FC_UK_MAX_M + 1];
    fc_dw_f32 dw_f32;
    fc_dw_f64 dw_f64;
    fc_dw_f32 dw3_f32; /* the same for exactly 9 taps (3x3): weights in registers */
    fc_dw_f64 dw3_f64;
    fc_dw_f32 dw5_f32; /* ... and for exactly 25 taps (5x5) */
    fc_dw_f64 dw5_f64;
    /* 3x3 and 5x5 with output rows one kernel row apart (vertical stride ==
       dilation): row pairs share their loads; taps (i, j) at i*in_pitch + toff[j] */
    fc_dw_f32 dw3s_f32;
    fc_dw_f64 dw3s_f64;
    fc_dw_f32 dw5s_f32;
    fc_dw_f64 dw5s_f64;
    fc_dws_f32 dws_f32;
    fc_dws_f64 dws_f64;
    /* NULL where the compiler has no vector shuffles */
    fc_dw3x3s2p1_f32 dw3x3s2p1_f32;
    fc_dw3x3s2p1_f64 dw3x3s2p1_f64;
    fc_dwi_f32 dwi3_f32;
    fc_dwi_f64 dwi3_f64;
    fc_dwc_pack_f32 dwc_pack_f32;
    fc_dwc_pack_f64 dwc_pack_f64;
    fc_dwc_unpack_f32 dwc_unpack_f32;
    fc_dwc_unpack_f64 dwc_unpack_f64;
    fc_tile_unpack_f32 tile_unpack_f32; /* NULL without vector shuffles */
    fc_tile_unpack_f64 tile_unpack_f64;
    fc_dwc_gather_f32 dwc_gather_f32;
    fc_dwc_gather_f64 dwc_gather_f64;
    fc_dwc_unpack_f32 dwc_scatter_f32;
    fc_dwc_unpack_f64 dwc_scatter_f64;
    fc_dwc_rows_f32 dwc_rows_f32;
    fc_dwc_rows_f64 dwc_rows_f64;
    fc_dwcn_rows_f32 dwcn_rows_f32; /* NULL without vector shuffles */
    fc_dwcn_rows_f64 dwcn_rows_f64;
    /* Rows of conv2d's input panels, with this ISA's vectors: for r < nrows,
       row = dst + r*dst_pitch gets zeros in [0, tlo) and [thi, len) and
       row[t] = src[r*src_pitch + (t - tlo)*stride] in between (stride 1 and 2
       vectorise: a copy, a deinterleave).  Reads stay below src_end; row[len]
       .. row[len + slack - 1] may be overwritten (the caller writes them later). */
    void (*panel_rows_f32)(const float *src, int64_t src_pitch, int64_t stride, int64_t nrows,
                           int64_t tlo, int64_t thi, int64_t len, float *dst, int64_t dst_pitch,
                           const float *src_end, int64_t slack);
    void (*panel_rows_f64)(const double *src, int64_t src_pitch, int64_t stride, int64_t nrows,
                           int64_t tlo, int64_t thi, int64_t len, double *dst, int64_t dst_pitch,
                           const double *src_end, int64_t slack);
    /* Both stride phases of stride-2 rows in one pass over the input: row r's
       slot q (q = 0, 1) at dst + r*dst_pitch + q*len gets input column 2t + q + e
       of src + r*src_pitch (src: column 0) for t in [tlo[q], thi[q]), zeros
       elsewhere in [0, len).  Reads stay in [src + e, src_end); the row's
       slot 1 may overrun into [2*len, 2*len + slack), which the caller writes
       later. */
    void (*panel_rows2_f32)(const float *src, int64_t src_pitch, int64_t e, int64_t nrows,
                            const int64_t *tlo, const int64_t *thi, int64_t len, float *dst,
                            int64_t dst_pitch, const float *src_end, int64_t slack);
    void (*panel_rows2_f64)(const double *src, int64_t src_pitch, int64_t e, int64_t nrows,
                            const int64_t *tlo, const int64_t *thi, int64_t len, double *dst,
                            int64_t dst_pitch, const double *src_end, int64_t slack);
    /* Weight packing, a transpose: dst[k*OB + l] = src[l*ld + k] for l < nl,
       k < K, and 0 for nl <= l < OB; returns 1 when every weight read is finite */
    int (*pack_rows_f32)(const float *src, int64_t ld, int64_t nl, int64_t K, int64_t OB,
                         float *dst);
    int (*pack_rows_f64)(const double *src, int64_t ld, int64_t nl, int64_t K, int64_t OB,
                         double *dst);
    /* FMA throughput probe: iters rounds of max_acc independent vector FMAs;
       returns the flops done (bench/compare.py turns them into the machine's peak) */
    double (*fma_probe_f32)(int64_t iters, float *sink);
} fc_ukernel_set;

/* NULL when the set is not compiled into this build. */
const fc_ukernel_set *fc_ukernels(int isa);

#endif

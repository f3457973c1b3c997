/* conv2d_plan.h -- how one conv2d call is cut into tiles and work items
 * (shared by the conv2d driver and the deformable driver). */
#ifndef FC_CONV2D_PLAN_H
#define FC_CONV2D_PLAN_H

#ifdef _OPENMP
#include <omp.h>
#endif
#include "../common/scratch.h"
#include <stdint.h>
#include "../fastconv.h"
#include "../ukernel/ukernel.h"

typedef struct fc_conv2d_plan_t {
    int V;              /* SIMD lanes for this dtype                                */
    int pixel_form;     /* 0: oc-vector form, 1: pixel-vector form                  */
    int P, M;           /* micro-kernel tile                                        */
    int64_t K;          /* reduction length: Cg*kh*kw                               */
    int64_t OB;         /* output channels per block (M*V), or per tile (pixel form) */
    int64_t nob;        /* blocks per group                                         */
    int64_t Wp, Lp;     /* panel row length, = slots of Lp elements: one per stride */
    int phase_per_tap;  /*   phase, or (phase_per_tap) one per kernel column          */
    int64_t R, nrb;     /* output rows per work item, number of row blocks          */
    int64_t PR;         /* input rows in a panel                                    */
    int64_t row_step;   /* panel row k holds input row ih0 + k*row_step             */
    int64_t orp;        /* panel rows from one output row's rows to the next's:    */
                        /*   stride_h/row_step, or kh when they are disjoint        */
    int disjoint;       /* (stride taller than the kernel) then kh rows per output  */
    int64_t nchunk, ob_per_chunk; /* output-channel chunks per work item            */
    int64_t cpc;            /* oc-vector form: channels per cache chunk of the      */
                            /*   reduction (tap tables are laid out chunk by chunk) */
    int64_t ncc, cc_len;    /* 1x1 GEMM path: pixel blocks per image, their length; */
                            /*   in_place: blocks of the row's tiles (cc_len unused)*/
    int direct;             /* take the 1x1 GEMM path (input read in place)         */
    int in_place;           /* oc-vector form, unpadded NCHW: no panel, the input's */
                            /*   planes are read where they are (fc_panel_offset),  */
                            /*   pixels stride_w apart; a single row may be split  */
                            /*   between items (ncc blocks of its tiles)            */
    int64_t panel_elems;
    int64_t items;      /* total work items                                         */
    const fc_ukernel_set *ks; /* the instruction set's kernels                      */
} fc_conv2d_plan_t;

/* A run of output pixels along a row and the kernel columns [jlo, jhi) that can
 * touch real input for all of them (others meet only padding). */
typedef struct fc_row_tile_t {
    int64_t ow0, np, jlo, jhi;
    int64_t hclass; /* index of [jlo, jhi) among the distinct column ranges */
} fc_row_tile_t;

/* Splits an output row into micro-kernel tiles of at most pmax pixels; with
 * `clip`, edge runs long enough to be worth it get their padding taps removed.
 * Returns the number of tiles (at most d->wo). */
int64_t fc_row_tiles(const fc_conv2d_desc *d, int64_t pmax, int clip, fc_row_tile_t *tiles);

/* Kernel taps [lo, hi) along one axis whose input coordinate start + t*dil lies in
 * [0, size); lo >= hi when none does. */
void fc_valid_taps(int64_t start, int64_t dil, int64_t k, int64_t size, int64_t *lo, int64_t *hi);

/* Slot `slot` of a panel row holds input columns t*stride_w + q - pad_w for t in
 * [0, Lp); those with t in [tlo, thi) are real pixels (the first is column iw0),
 * the rest padding. */
typedef struct fc_slot_range_t {
    int64_t tlo, thi, iw0;
} fc_slot_range_t;
fc_slot_range_t fc_slot_range(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, int64_t slot);

/* Reduction tables of the oc-vector form.  The reduction runs over (channel, tap)
 * in OIHW order; an output row whose kernel rows partly fall into padding (a
 * vertical class) and a tile whose kernel columns do (a horizontal class) see
 * fewer taps, and skip the others through a table of their own:
 * tab + 2*cls*K holds the packed-weight offsets of the valid (c, tap) pairs,
 * K further on their panel offsets, count[cls] taps per channel, with
 * cls = vclass[oh] * nh + tile.hclass.  `full` is the table of every tap. */
typedef struct fc_tap_tables_t {
    int clip_ok;                    /* the clipped tables exist (not too large) */
    fc_row_tile_t *tiles_all, *tiles_clip;
    int64_t ntiles_all, ntiles_clip;
    int64_t nv, nh;
    int64_t *vclass, *count, *tab, *full;
} fc_tap_tables_t;

int fc_tap_tables(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, fc_tap_tables_t *tt);
void fc_tap_tables_free(fc_tap_tables_t *tt);

int fc_conv2d_plan(const fc_conv2d_desc *d, const fc_ukernel_set *ks, int elsize,
                   int nthreads, fc_conv2d_plan_t *pl);
int fc_resolve_threads(int nthreads, int64_t items);
/* Items per dynamic-scheduling grab, about 16 grabs per thread: thousands of
 * tiny items (depthwise planes) would otherwise spend more time in the
 * scheduler than in the kernels. */
int64_t fc_sched_chunk(int64_t items, int nt);
int64_t fc_panel_offset(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, int64_t c,
                        int64_t i, int64_t j);

/* Depthwise rows of one channel from its panel (conv2d_impl.h). */
void fc_depthwise_rows_f32(const fc_ukernel_set *ks, const fc_conv2d_desc *d, int64_t nr,
                           int64_t ntap, int64_t t0, const float *prow, int64_t in_pitch,
                           const int64_t *toff, const float *wt, float b, float *out);
void fc_depthwise_rows_f64(const fc_ukernel_set *ks, const fc_conv2d_desc *d, int64_t nr,
                           int64_t ntap, int64_t t0, const double *prow, int64_t in_pitch,
                           const int64_t *toff, const double *wt, double b, double *out);

/* Packs OIHW weights into the oc-vector micro-kernel's a-operand
 * [g][block][k][OB] (zero-padded past Og); wp holds G*nob*K*OB elements. */
void fc_pack_weights_f32(const fc_ukernel_set *ks, const float *w, int64_t G, int64_t Og,
                         int64_t K, int64_t OB, int64_t nob, float *wp);
void fc_pack_weights_f64(const fc_ukernel_set *ks, const double *w, int64_t G, int64_t Og,
                         int64_t K, int64_t OB, int64_t nob, double *wp);

/* The depthwise kernels that read the NCHW input rows in place (no panel; see
 * ukernel.h): 3x3 with horizontal stride 2 and padding 1 (any vertical stride,
 * padding, dilation), and 3x3 with stride and dilation 1 (any padding).  Each
 * row pointer is read over columns [lo, hi); rows above or below the image
 * point into a zero row and rows the kernel would read outside the input array
 * (its first and last) are copied, with zeros around them, into a per-thread
 * buffer of buf_elems elements. */
#define FC_DWI_ROWS 32  /* output rows per kernel call */
#define FC_DWI_PLANES 8 /* channel planes per kernel call (small planes) */
typedef struct {
    int s2;                 /* the stride-2 kernel, else the stride-1 one */
    int64_t lo, hi;         /* columns read from each row pointer         */
    int64_t buf_elems;      /* a zero row and the slots for copied rows   */
} fc_dw_inplace_t;
/* 1 (and *ip filled in) when these kernels run d: NCHW, 3x3, the ISA has them
   (vector shuffles) and at most FC_DWI_MAX_EDGE chunks of output need masks */
int fc_dw_inplace_geometry(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                           const fc_ukernel_set *ks, int elsize, fc_dw_inplace_t *ip);
void fc_depthwise_inplace_rows_f32(const fc_ukernel_set *ks, const fc_conv2d_desc *d,
                                   const fc_dw_inplace_t *ip, const float *x, int64_t n,
                                   int64_t g, int64_t ng, int64_t oh0, int64_t nr,
                                   const float *w, const float *b, float *out, int64_t ch_pitch,
                                   float *buf);
void fc_depthwise_inplace_rows_f64(const fc_ukernel_set *ks, const fc_conv2d_desc *d,
                                   const fc_dw_inplace_t *ip, const double *x, int64_t n,
                                   int64_t g, int64_t ng, int64_t oh0, int64_t nr,
                                   const double *w, const double *b, double *out,
                                   int64_t ch_pitch, double *buf);

/* Depthwise on channel vectors (the dwc kernels, ukernel.h): 1 when they run d --
 * NCHW or NHWC, one output channel per channel, a 3x3 or 5x5 kernel, stride 1 or
 * 2 both ways, no dilation, the ISA has them -- and d is a shape where they
 * measured faster than the other depthwise kernels (on nthreads threads);
 * inplace: whether the in-place kernels can run d (fc_dw_inplace_geometry). */
int fc_dwc_applies(const fc_conv2d_desc *d, const fc_ukernel_set *ks, int elsize, int nthreads,
                   int inplace);

/* This thread's number in the parallel region (0 outside one). */
static inline int fc_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Records an error code from inside a parallel region (any thread may). */
static inline void fc_set_error(int *err, int code)
{
#ifdef _OPENMP
#pragma omp atomic write
#endif
    *err = code;
}

/* Work item it of the pixel-vector and depthwise forms (one per image, group
 * and block of R output rows; no channel chunks), or panel it of the oc-vector
 * form (its items / nchunk): which of each, and the output rows [oh0, oh1) of
 * the block. */
typedef struct {
    int64_t n, g, oh0, oh1;
} fc_row_item_t;
/* Padding past the input's right and bottom edges that the output size
 * implies ('same' with an even kernel pads there only; pad_w and pad_h are the
 * left and top). */
static inline int64_t fc_pad_right(const fc_conv2d_desc *d)
{
    const int64_t r = (d->wo - 1) * d->stride_w + (d->kw - 1) * d->dil_w + 1 - d->w - d->pad_w;
    return r > 0 ? r : 0;
}
static inline int64_t fc_pad_bottom(const fc_conv2d_desc *d)
{
    const int64_t b = (d->ho - 1) * d->stride_h + (d->kh - 1) * d->dil_h + 1 - d->h - d->pad_h;
    return b > 0 ? b : 0;
}

static inline fc_row_item_t fc_row_item(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                                        int64_t it)
{
    const int64_t rb = it % pl->nrb, oh0 = rb * pl->R;
    const fc_row_item_t r = {it / (pl->nrb * d->groups), (it / pl->nrb) % d->groups, oh0,
                             oh0 + pl->R < d->ho ? oh0 + pl->R : d->ho};
    return r;
}

/* dst[l*ldd + p] = src[p*lds + l] + bias[l] (bias may be NULL: a plain copy)
 * for p < *p_done, l < *l_done: the largest multiples of 4 of np and nl when the
 * compiler has vector shuffles (4x4 register transposes), else nothing; the
 * caller does the rest (conv2d_impl.h's transpose_bias). */
void fc_transpose_bias_f32(const float *src, int64_t lds, int64_t np, int64_t nl,
                           const float *bias, float *dst, int64_t ldd, int64_t *p_done,
                           int64_t *l_done);

/* Writes an oc-vector result tile (tile[p*ldc + l]: the p-th pixel from pixel
 * ow0 of output row oh on, in row-major order, channel oc0+l) plus bias into y,
 * in the layout of d, for p < np, l < nl. */
void fc_store_tile_f32(const fc_ukernel_set *ks, const fc_conv2d_desc *d, float *y, int64_t n,
                       int64_t oh, int64_t ow0, int64_t oc0, const float *tile, int64_t ldc,
                       int64_t np, int64_t nl, const float *bias);
void fc_store_tile_f64(const fc_ukernel_set *ks, const fc_conv2d_desc *d, double *y, int64_t n,
                       int64_t oh, int64_t ow0, int64_t oc0, const double *tile, int64_t ldc,
                       int64_t np, int64_t nl, const double *bias);

/* The input panel of one work item (layout in conv2d_impl.h):
 * panel[row][c][q][t] = input(c0 + c, ih0 + row, t*stride_w + q - pad_w),
 * zero outside, for cb <= c < ce (of the panel's Cg) and row < nrows: several
 * threads may build one panel, each its channels.  Shared with the fused
 * separable convolution (csrc/blocks/separable.c). */
void fc_build_panel_f32(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const float *x,
                        int64_t n, int64_t c0, int64_t Cg, int64_t cb, int64_t ce, int64_t ih0,
                        int64_t nrows, float *panel);
void fc_build_panel_f64(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const double *x,
                        int64_t n, int64_t c0, int64_t Cg, int64_t cb, int64_t ce, int64_t ih0,
                        int64_t nrows, double *panel);

#endif

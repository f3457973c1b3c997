/* deform_sampling.h -- the two sampling steps of deformable convolution (the
 * sampling plan and the channel gather), compiled once per instruction set
 * like the micro-kernels, so that the gather uses the widest vectors the
 * chosen ISA has.  See deform_conv2d.c for the design. */
#ifndef FC_DEFORM_SAMPLING_H
#define FC_DEFORM_SAMPLING_H

#include <stdint.h>
#include "../fastconv.h"

/* channels [lo, lo + len) of a weight group use local offset group ogl */
typedef struct fc_deform_seg {
    int64_t ogl, lo, len;
} fc_deform_seg;

/* Sampling plan of one offset group and tap for q consecutive output pixels:
 * yb[p] and xb[p] are the tap's undisplaced coordinates of pixel p
 * (oh*stride_h - pad_h + i*dil_h, likewise for x) as T; off_y, off_x, msk
 * the group's and tap's offsets and mask at those pixels (msk NULL for v1).
 * Writes the floor (iy, ix) of the sample point -- the top-left corner -- and
 * the bilinear weights of the corners (top-left, top-right, bottom-left,
 * bottom-right) times the mask.  A point outside (-1, h) x (-1, w) or with a
 * non-finite coordinate gets weights mask*0 and the corner (h, -1), whose 2x2
 * block lies in the zero border of the image copy. */
#define FC_DEFORM_PLAN_ARGS(T)                                                                  \
    const T *yb, const T *xb, int64_t h, int64_t w, const T *off_y, const T *off_x,            \
        const T *msk, int64_t q, int32_t *iy, int32_t *ix, T *w1, T *w2, T *w3, T *w4

/* panel[p][t][c] (c < Cg) = sample of channel c of the weight group starting
 * at xg, a channels-last image copy with C channels per pixel, Wp pixels per
 * row and a one-pixel zero border (so corner (y, x) is pixel (y+1, x+1)), for
 * the q pixels and KK taps of a chunk; plan entry (ogl, t, p) at
 * (ogl*KK + t)*Q + p, weights k at wts + k*plan_n. */
#define FC_DEFORM_GATHER_ARGS(T)                                                                \
    const T *xg, int64_t C, int64_t Wp, const fc_deform_seg *segs, int64_t nseg,               \
        const int32_t *iy, const int32_t *ix, const T *wts, int64_t plan_n, int64_t KK,        \
        int64_t Q, int64_t q, int64_t Cg, T *panel

/* The same samples for the pixel-vector form, from zero-bordered NCHW planes
 * (plane elements per channel, Wp per row, xg at the group's first plane):
 * panel[(c*KK + t)*ld + p] for the group's channels c, taps t and q pixels. */
#define FC_DEFORM_GATHER_PLANAR_ARGS(T)                                                         \
    const T *xg, int64_t plane, int64_t Wp, const fc_deform_seg *segs, int64_t nseg,           \
        const int32_t *iy, const int32_t *ix, const T *wts, int64_t plan_n, int64_t KK,        \
        int64_t Q, int64_t q, int64_t ld, T *panel

/* Rows [r0, r1) of the channels-last, zero-bordered copy xp[(h+3)][(w+2)][C]
 * of one NCHW image img: xp[1 + ih][1 + iw][c] = img[c][ih][iw], 0 elsewhere
 * (the two bottom rows are zeros for the samples that contribute nothing). */
#define FC_DEFORM_COPY_ARGS(T)                                                                  \
    const T *img, int64_t C, int64_t h, int64_t w, int64_t r0, int64_t r1, T *xp

typedef struct fc_deform_sampling {
    void (*copy_f32)(FC_DEFORM_COPY_ARGS(float));
    void (*copy_f64)(FC_DEFORM_COPY_ARGS(double));
    void (*plan_f32)(FC_DEFORM_PLAN_ARGS(float));
    void (*gather_f32)(FC_DEFORM_GATHER_ARGS(float));
    void (*plan_f64)(FC_DEFORM_PLAN_ARGS(double));
    void (*gather_f64)(FC_DEFORM_GATHER_ARGS(double));
    void (*gather_planar_f32)(FC_DEFORM_GATHER_PLANAR_ARGS(float));
    void (*gather_planar_f64)(FC_DEFORM_GATHER_PLANAR_ARGS(double));
} fc_deform_sampling;

/* NULL when the ISA is not compiled into this build. */
const fc_deform_sampling *fc_deform_sampling_for(int isa);

#endif

/*
 * fastconv.h -- the one shared header of the C core: types, error codes and the
 * entry point of every kernel family.  No Python in here: the Cython layer
 * validates arguments, makes the arrays C-contiguous and native-endian, and then
 * calls these functions with the GIL released.
 *
 * Conventions
 *   - every size and index is int64_t;
 *   - a function returns FC_OK or a negative FC_E* code, never aborts;
 *   - no global mutable state: the ISA to use is an argument of every call;
 *   - `nthreads` <= 0 means "OpenMP default" (honours OMP_NUM_THREADS and
 *     threadpoolctl); results never depend on the thread count.
 */
#ifndef FASTCONV_H
#define FASTCONV_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes ------------------------------------------------------- */
enum {
    FC_OK = 0,
    FC_ENOMEM = -1,     /* a scratch allocation failed                    */
    FC_EINVAL = -2,     /* inconsistent sizes (Python should have caught) */
    FC_EOVERFLOW = -3,  /* a size product does not fit in 64 bits         */
    FC_EISA = -4        /* the requested ISA is not compiled in / absent  */
};

/* ---- instruction sets ---------------------------------------------------- */
typedef enum {
    FC_ISA_GENERIC = 0, /* 16-byte vectors, 12 accumulators: any CPU        */
    FC_ISA_AVX2 = 1,    /* x86 AVX2 + FMA, 32-byte vectors                  */
    FC_ISA_AVX512 = 2,  /* x86 AVX-512F, 64-byte vectors, 28 accumulators   */
    FC_ISA_NEON = 3,    /* aarch64 Advanced SIMD, 16-byte vectors, 24 acc.  */
    FC_ISA_COUNT = 4
} fc_isa;

const char *fc_isa_name(int isa);
int fc_isa_compiled(int isa);  /* 1 if this build contains the kernel set  */
int fc_isa_supported(int isa); /* 1 if compiled and the CPU/OS can run it  */
int fc_isa_best(void);         /* the widest supported ISA                 */

/* ---- layouts ------------------------------------------------------------- */
enum { FC_LAYOUT_NCHW = 0, FC_LAYOUT_NHWC = 1 };

/* ---- direct / grouped / depthwise / dilated 2-D convolution ------------- */
typedef struct fc_conv2d_desc {
    int64_t n, c, h, w;             /* input  (N, C, H, W)                       */
    int64_t o, kh, kw;              /* weight (O, C/groups, kh, kw), always OIHW */
    int64_t ho, wo;                 /* output (N, O, Ho, Wo)                     */
    int64_t stride_h, stride_w;
    int64_t pad_h, pad_w;           /* top / left padding; bottom/right follow   */
    int64_t dil_h, dil_w;           /*   from ho, wo                             */
    int64_t groups;
    int layout;                     /* FC_LAYOUT_NCHW or FC_LAYOUT_NHWC for x, y */
} fc_conv2d_desc;

/* Checks a descriptor for consistency and 64-bit overflow (FC_OK or FC_E*). */
int fc_conv2d_check(const fc_conv2d_desc *d);

/* y = conv2d(x, w) + bias.  bias may be NULL.  y must not alias x or w. */
int fc_conv2d_f32(const fc_conv2d_desc *d, const float *x, const float *w,
                  const float *bias, float *y, int nthreads, int isa);
int fc_conv2d_f64(const fc_conv2d_desc *d, const double *x, const double *w,
                  const double *bias, double *y, int nthreads, int isa);

/* The threads a conv2d call of this size is worth, at most nthreads (<= 0: the
 * OpenMP default): fc_conv2d uses every thread it is given where the work
 * splits, and a parallel region costs more than a small layer gains (see
 * conv2d.c).  The Python binding passes fc_conv2d this many; results do not
 * depend on it.  elsize is 4 or 8. */
int fc_conv2d_threads(const fc_conv2d_desc *d, int elsize, int nthreads);

/* Naive reference: a plain loop nest that accumulates in double.  Used by
 * the C-level tests (and handy for debugging); serial, slow, obviously right. */
int fc_conv2d_naive_f32(const fc_conv2d_desc *d, const float *x, const float *w,
                        const float *bias, float *y);
int fc_conv2d_naive_f64(const fc_conv2d_desc *d, const double *x, const double *w,
                        const double *bias, double *y);

/* ---- machine peak ---------------------------------------------------------- */
/* Runs `iters` rounds of independent float32 vector FMAs with the given ISA's
 * kernel set; returns the flops done, or a negative FC_E* code. */
double fc_fma_probe(int isa, int64_t iters);

/* ---- build information ---------------------------------------------------- */
const char *fc_compiler(void);
const char *fc_openmp(void);       /* e.g. "OpenMP 201511" or "none"          */
int fc_max_threads(void);          /* omp_get_max_threads(), 1 without OpenMP */
/* Frees the scratch blocks (packed weights, per-thread panels) the kernels keep
 * from one call to the next; 0, or -1 when a running call holds them. */
int fc_release_scratch(void);

/* ---- deformable 2-D convolution (torchvision.ops.deform_conv2d) --------- */
/* NCHW only.  offset is (N, 2*offset_groups*kh*kw, ho, wo): for offset group g
 * and tap k = i*kw + j, channel g*2*kh*kw + 2k holds dy and 2k+1 holds dx.
 * mask (v2) is (N, offset_groups*kh*kw, ho, wo), channel g*kh*kw + k, or NULL
 * (v1).  Input channel c uses offset group c / (c_in / offset_groups) and
 * weight group c / (c_in / groups).  A sample point outside
 * (-1, h) x (-1, w), or one with a non-finite coordinate, contributes
 * mask*0; corners outside the image count as 0 (torchvision's rule). */
typedef struct fc_deform_desc {
    int64_t n, c, h, w;             /* input  (N, C, H, W); h, w < 2**31 - 3     */
    int64_t o, kh, kw;              /* weight (O, C/groups, kh, kw)              */
    int64_t ho, wo;                 /* output (N, O, Ho, Wo)                     */
    int64_t stride_h, stride_w;
    int64_t pad_h, pad_w;
    int64_t dil_h, dil_w;
    int64_t groups;                 /* weight groups                             */
    int64_t offset_groups;
} fc_deform_desc;

/* Checks a descriptor for consistency and 64-bit overflow (FC_OK or FC_E*). */
int fc_deform_check(const fc_deform_desc *d);

/* y = deform_conv2d(x, offset, mask, w) + bias; mask and bias may be NULL.
 * y must not alias any input. */
int fc_deform_conv2d_f32(const fc_deform_desc *d, const float *x, const float *offset,
                         const float *mask, const float *w, const float *bias, float *y,
                         int nthreads, int isa);
int fc_deform_conv2d_f64(const fc_deform_desc *d, const double *x, const double *offset,
                         const double *mask, const double *w, const double *bias, double *y,
                         int nthreads, int isa);

/* Naive reference (plain loops, torchvision's per-corner tests, double
 * accumulation) for the C-level tests. */
int fc_deform_conv2d_naive_f32(const fc_deform_desc *d, const float *x, const float *offset,
                               const float *mask, const float *w, const float *bias, float *y);
int fc_deform_conv2d_naive_f64(const fc_deform_desc *d, const double *x, const double *offset,
                               const double *mask, const double *w, const double *bias,
                               double *y);

#ifdef __cplusplus
}
#endif
/* ==== building blocks of the convolution-design toolkit (csrc/blocks/) ===== */
#ifdef __cplusplus
extern "C" {
#endif

/* ShuffleNet channel shuffle.  x and y hold `outer` items of c channels, each
 * channel a contiguous run of `inner` elements of `elsize` bytes; output
 * channel j*groups + i is input channel i*(c/groups) + j.  groups must divide
 * c; y must not overlap x. */
int fc_channel_shuffle(const void *x, void *y, int64_t outer, int64_t c, int64_t inner,
                       int64_t groups, int64_t elsize, int nthreads);

/* Fused depthwise-separable convolution:
 *   y = conv1x1(depthwise(x, dw_w) + dw_b, pw_w) + pw_b
 * `dw` describes the depthwise stage (groups == c, o = c * multiplier, x in its
 * layout); dw_w is (o_dw, 1, kh, kw), pw_w is (o, o_dw) (a 1x1 OIHW weight), y
 * is (N, o, ho, wo) in the same layout.  Biases may be NULL.  The depthwise
 * result is consumed band by band from a per-thread buffer, never written out
 * whole.  y must not alias the inputs. */
int fc_separable_conv2d_f32(const fc_conv2d_desc *dw, int64_t o, const float *x,
                            const float *dw_w, const float *dw_b, const float *pw_w,
                            const float *pw_b, float *y, int nthreads, int isa);
int fc_separable_conv2d_f64(const fc_conv2d_desc *dw, int64_t o, const double *x,
                            const double *dw_w, const double *dw_b, const double *pw_w,
                            const double *pw_b, double *y, int nthreads, int isa);

/* Squeeze-and-excitation on NCHW data with hw = H*W:
 *   y[n,c,:] = x[n,c,:] * sigmoid(w2 . relu(w1 . mean(x[n,c,:]) + b1) + b2)[c]
 * w1 is (cr, c), w2 is (c, cr); b1 (cr) and b2 (c) may be NULL.  The FC layers
 * run on the conv2d micro-kernels of `isa`.  y may be x (in place) but must
 * not partially overlap it. */
int fc_squeeze_excitation_f32(int64_t n, int64_t c, int64_t hw, int64_t cr, const float *x,
                              const float *w1, const float *b1, const float *w2,
                              const float *b2, float *y, int nthreads, int isa);
int fc_squeeze_excitation_f64(int64_t n, int64_t c, int64_t hw, int64_t cr, const double *x,
                              const double *w1, const double *b1, const double *w2,
                              const double *b2, double *y, int nthreads, int isa);

#ifdef __cplusplus
}
#endif

#endif /* FASTCONV_H */

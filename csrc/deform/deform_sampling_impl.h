/* deform_sampling_impl.h -- the sampling steps, included once per instruction
 * set by deform_sampling_<isa>.c, which first defines FC_VBYTES (vector bytes)
 * and FC_DS_SET (the table's name) and, on x86, enables the target ISA.
 * Written with GCC/Clang vector extensions, as the micro-kernels are. */
#include <string.h>
#include "deform_sampling.h"

/* ---- the image copy: NCHW planes to channels-last rows ----------------------- */

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define FC_DS_SHUFFLE 1
#endif
#endif

typedef float fc_ds_v8f __attribute__((vector_size(32)));
typedef double fc_ds_v4d __attribute__((vector_size(32)));

#ifdef FC_DS_SHUFFLE
#define FC_SH __builtin_shufflevector
/* in place: v[j] becomes column j of the 8x8 block whose rows were v[k] */
static inline void ds_transpose_f32(fc_ds_v8f v[8])
{
    fc_ds_v8f t[8], u[8];
    for (int k = 0; k < 8; k += 2) {
        t[k] = FC_SH(v[k], v[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[k + 1] = FC_SH(v[k], v[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int k = 0; k < 8; k += 4)
        for (int i = 0; i < 2; i++) {
            u[k + 2 * i] = FC_SH(t[k + i], t[k + i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[k + 2 * i + 1] = FC_SH(t[k + i], t[k + i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (int j = 0; j < 4; j++) {
        v[j] = FC_SH(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        v[j + 4] = FC_SH(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

/* the same for a 4x4 block of doubles */
static inline void ds_transpose_f64(fc_ds_v4d v[4])
{
    const fc_ds_v4d t0 = FC_SH(v[0], v[1], 0, 4, 2, 6), t1 = FC_SH(v[0], v[1], 1, 5, 3, 7);
    const fc_ds_v4d t2 = FC_SH(v[2], v[3], 0, 4, 2, 6), t3 = FC_SH(v[2], v[3], 1, 5, 3, 7);
    v[0] = FC_SH(t0, t2, 0, 1, 4, 5);
    v[1] = FC_SH(t1, t3, 0, 1, 4, 5);
    v[2] = FC_SH(t0, t2, 2, 3, 6, 7);
    v[3] = FC_SH(t1, t3, 2, 3, 6, 7);
}
#undef FC_SH
#endif

#define FC_DS_COPY(T, VB, B, SFX)                                                             \
    static void ds_copy_##SFX(FC_DEFORM_COPY_ARGS(T))                                         \
    {                                                                                         \
        const int64_t Wp = w + 2, HW = h * w;                                                 \
        for (int64_t r = r0; r < r1; r++) {                                                   \
            T *dst = xp + r * Wp * C;                                                         \
            const int64_t ih = r - 1;                                                         \
            if (ih < 0 || ih >= h) {                                                          \
                memset(dst, 0, (size_t)(Wp * C) * sizeof(T));                                 \
                continue;                                                                     \
            }                                                                                 \
            memset(dst, 0, (size_t)C * sizeof(T));                                            \
            memset(dst + (Wp - 1) * C, 0, (size_t)C * sizeof(T));                             \
            const T *src = img + ih * w;                                                      \
            int64_t c0 = 0;                                                                   \
            FC_DS_COPY_BLOCKS(T, VB, B, SFX)                                                  \
            /* leftover channels: blocks of 16 keep reads and writes in L1 */                \
            for (; c0 < C; c0 += 16) {                                                        \
                const int64_t c1 = C < c0 + 16 ? C : c0 + 16;                                 \
                for (int64_t iw = 0; iw < w; iw++)                                            \
                    for (int64_t c = c0; c < c1; c++)                                         \
                        dst[(iw + 1) * C + c] = src[c * HW + iw];                             \
            }                                                                                 \
        }                                                                                     \
    }

#ifdef FC_DS_SHUFFLE
/* B channels x B columns at a time: B vector loads, a register transpose,
   B vector stores */
#define FC_DS_COPY_BLOCKS(T, VB, B, SFX)                                                      \
    for (; c0 + B <= C; c0 += B) {                                                            \
        int64_t iw = 0;                                                                       \
        for (; iw + B <= w; iw += B) {                                                        \
            VB v[B];                                                                          \
            for (int k = 0; k < B; k++)                                                       \
                memcpy(&v[k], src + (c0 + k) * HW + iw, sizeof(VB));                          \
            ds_transpose_##SFX(v);                                                            \
            for (int j = 0; j < B; j++)                                                       \
                memcpy(dst + (iw + j + 1) * C + c0, &v[j], sizeof(VB));                       \
        }                                                                                     \
        for (; iw < w; iw++)                                                                  \
            for (int k = 0; k < B; k++)                                                       \
                dst[(iw + 1) * C + c0 + k] = src[(c0 + k) * HW + iw];                         \
    }
#else
#define FC_DS_COPY_BLOCKS(T, VB, B, SFX)
#endif

FC_DS_COPY(float, fc_ds_v8f, 8, f32)
FC_DS_COPY(double, fc_ds_v4d, 4, f64)

/* ---- sampling plan and gather --------------------------------------------------- */

#define FC_DS_BODY(T, VT, VIT, VI32, VL, SFX)                                                 \
    /* plan entries of VL consecutive pixels of one output row; every   \
       selection is bitwise (comparisons give all-ones lanes) */        \
    static inline __attribute__((always_inline)) void ds_plan_vec_##SFX(                      \
        const T *yr, const T *xr, const T *oy, const T *ox, const T *mk, T H, T W, int32_t h, \
        int32_t *vy, int32_t *vx, T *v1, T *v2, T *v3, T *v4)                                 \
    {                                                                                         \
        const VT one = (VT){0} + (T)1;                                                        \
        VT y, x, ty, tx;                                                                      \
        memcpy(&y, oy, sizeof(VT));                                                           \
        memcpy(&x, ox, sizeof(VT));                                                           \
        memcpy(&ty, yr, sizeof(VT));                                                          \
        memcpy(&tx, xr, sizeof(VT));                                                          \
        /* int + offset in T, in torchvision's order of operations */                        \
        y = ty + y;                                                                           \
        x = tx + x;                                                                           \
        /* all false for NaN; the int conversions below then only see       \
           coordinates inside (-1, h) x (-1, w) */                           \
        const VIT ok = (y > (T)-1) & (y < H) & (x > (T)-1) & (x < W);                         \
        const VT ys = (VT)((VIT)y & ok), xs = (VT)((VIT)x & ok);                              \
        /* floor = truncation, minus one where that rounded up */                            \
        VT fy = __builtin_convertvector(__builtin_convertvector(ys, VI32), VT);                \
        VT fx = __builtin_convertvector(__builtin_convertvector(xs, VI32), VT);                \
        fy -= (VT)((VIT)one & (fy > ys));                                                     \
        fx -= (VT)((VIT)one & (fx > xs));                                                     \
        const VT lh = ys - fy, lw = xs - fx, hh = one - lh, hw = one - lw;                    \
        VT m = (VT)((VIT)one & ok); /* mask * 0 outside, as torchvision */                    \
        if (mk) {                                                                             \
            VT mv;                                                                            \
            memcpy(&mv, mk, sizeof(VT));                                                      \
            m = mv * m;                                                                       \
        }                                                                                     \
        const VI32 ok32 = __builtin_convertvector(ok, VI32);                                  \
        const VI32 cy = (__builtin_convertvector(fy, VI32) & ok32) | (h & ~ok32);             \
        const VI32 cx = (__builtin_convertvector(fx, VI32) & ok32) | (-1 & ~ok32);            \
        const VT r1 = m * (hh * hw), r2 = m * (hh * lw);                                      \
        const VT r3 = m * (lh * hw), r4 = m * (lh * lw);                                      \
        memcpy(vy, &cy, sizeof(VI32));                                                        \
        memcpy(vx, &cx, sizeof(VI32));                                                        \
        memcpy(v1, &r1, sizeof(VT));                                                          \
        memcpy(v2, &r2, sizeof(VT));                                                          \
        memcpy(v3, &r3, sizeof(VT));                                                          \
        memcpy(v4, &r4, sizeof(VT));                                                          \
    }                                                                                         \
                                                                                              \
    static void ds_plan_##SFX(FC_DEFORM_PLAN_ARGS(T))                                         \
    {                                                                                         \
        const T H = (T)h, W = (T)w;                                                           \
        int64_t l = 0;                                                                        \
        for (; l + VL <= q; l += VL)                                                          \
            ds_plan_vec_##SFX(yb + l, xb + l, off_y + l, off_x + l, msk ? msk + l : NULL, H,  \
                              W, (int32_t)h, iy + l, ix + l, w1 + l, w2 + l, w3 + l, w4 + l); \
        if (l < q) {                                                                          \
            /* the last partial vector, through zero-padded copies */                        \
            const size_t nb = (size_t)(q - l) * sizeof(T), ni = (size_t)(q - l) * 4;          \
            T b_yb[VL] = {0}, b_xb[VL] = {0}, b_oy[VL] = {0}, b_ox[VL] = {0}, b_mk[VL] = {0}; \
            T r1[VL], r2[VL], r3[VL], r4[VL];                                                 \
            int32_t ry[VL], rx[VL];                                                           \
            memcpy(b_yb, yb + l, nb);                                                         \
            memcpy(b_xb, xb + l, nb);                                                         \
            memcpy(b_oy, off_y + l, nb);                                                      \
            memcpy(b_ox, off_x + l, nb);                                                      \
            if (msk)                                                                          \
                memcpy(b_mk, msk + l, nb);                                                    \
            ds_plan_vec_##SFX(b_yb, b_xb, b_oy, b_ox, msk ? b_mk : NULL, H, W, (int32_t)h,    \
                              ry, rx, r1, r2, r3, r4);                                        \
            memcpy(iy + l, ry, ni);                                                           \
            memcpy(ix + l, rx, ni);                                                           \
            memcpy(w1 + l, r1, nb);                                                           \
            memcpy(w2 + l, r2, nb);                                                           \
            memcpy(w3 + l, r3, nb);                                                           \
            memcpy(w4 + l, r4, nb);                                                           \
        }                                                                                     \
    }                                                                                         \
                                                                                              \
    static void ds_gather_##SFX(FC_DEFORM_GATHER_ARGS(T))                                     \
    {                                                                                         \
        const int64_t rowC = Wp * C, pstride = KK * Cg;                                       \
        /* segment and tap outside, pixels inside: the plan is read            \
           sequentially and the per-sample work is a few scalar loads */      \
        for (int64_t s = 0; s < nseg; s++) {                                                  \
            const int64_t lo = segs[s].lo, len = segs[s].len;                                 \
            const T *xs = xg + lo;                                                            \
            for (int64_t t = 0; t < KK; t++) {                                                \
                const int64_t e0 = (segs[s].ogl * KK + t) * Q;                                \
                const int32_t *py = iy + e0, *px = ix + e0;                                   \
                const T *pa = wts + e0, *pb = pa + plan_n, *pf = pb + plan_n;                 \
                const T *pg = pf + plan_n;                                                    \
                T *dbase = panel + t * Cg + lo;                                               \
                for (int64_t p = 0; p < q; p++) {                                             \
                    const T a = pa[p], b = pb[p], f = pf[p], g = pg[p];                       \
                    /* the four corners are channel vectors of the copy */                    \
                    const T *s1 = xs + (((int64_t)py[p] + 1) * Wp + px[p] + 1) * C;           \
                    const T *s2 = s1 + C, *s3 = s1 + rowC, *s4 = s3 + C;                      \
                    T *dst = dbase + p * pstride;                                             \
                    int64_t c = 0;                                                            \
                    for (; c + VL <= len; c += VL) {                                          \
                        VT x1, x2, x3, x4;                                                    \
                        memcpy(&x1, s1 + c, sizeof(VT));                                      \
                        memcpy(&x2, s2 + c, sizeof(VT));                                      \
                        memcpy(&x3, s3 + c, sizeof(VT));                                      \
                        memcpy(&x4, s4 + c, sizeof(VT));                                      \
                        const VT r = x1 * a + x2 * b + x3 * f + x4 * g;                       \
                        memcpy(dst + c, &r, sizeof(VT));                                      \
                    }                                                                         \
                    for (; c < len; c++)                                                      \
                        dst[c] = a * s1[c] + b * s2[c] + f * s3[c] + g * s4[c];               \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }

#define FC_DS_PLANAR(T, SFX)                                                                  \
    static void ds_gather_planar_##SFX(FC_DEFORM_GATHER_PLANAR_ARGS(T))                       \
    {                                                                                         \
        for (int64_t s = 0; s < nseg; s++)                                                    \
            for (int64_t c = segs[s].lo; c < segs[s].lo + segs[s].len; c++) {                 \
                const T *pl = xg + c * plane;                                                 \
                for (int64_t t = 0; t < KK; t++) {                                            \
                    const int64_t e0 = (segs[s].ogl * KK + t) * Q;                            \
                    const int32_t *py = iy + e0, *px = ix + e0;                               \
                    const T *pa = wts + e0, *pb = pa + plan_n, *pf = pb + plan_n;             \
                    const T *pg = pf + plan_n;                                                \
                    T *row = panel + (c * KK + t) * ld;                                       \
                    /* one output pixel per element: four loads from two rows */              \
                    for (int64_t p = 0; p < q; p++) {                                         \
                        const T *s1 = pl + ((int64_t)py[p] + 1) * Wp + px[p] + 1;             \
                        row[p] = pa[p] * s1[0] + pb[p] * s1[1] + pf[p] * s1[Wp] +             \
                                 pg[p] * s1[Wp + 1];                                          \
                    }                                                                         \
                }                                                                             \
            }                                                                                 \
    }

FC_DS_PLANAR(float, f32)
FC_DS_PLANAR(double, f64)

typedef float fc_ds_vf __attribute__((vector_size(FC_VBYTES)));
typedef double fc_ds_vd __attribute__((vector_size(FC_VBYTES)));
typedef int32_t fc_ds_vi __attribute__((vector_size(FC_VBYTES)));     /* lanes of vf */
typedef int64_t fc_ds_vl __attribute__((vector_size(FC_VBYTES)));     /* lanes of vd */
typedef int32_t fc_ds_vh __attribute__((vector_size(FC_VBYTES / 2))); /* vd's as int32 */

FC_DS_BODY(float, fc_ds_vf, fc_ds_vi, fc_ds_vi, (FC_VBYTES / 4), f32)
FC_DS_BODY(double, fc_ds_vd, fc_ds_vl, fc_ds_vh, (FC_VBYTES / 8), f64)

const fc_deform_sampling FC_DS_SET = {
    .copy_f32 = ds_copy_f32,
    .copy_f64 = ds_copy_f64,
    .plan_f32 = ds_plan_f32,
    .gather_f32 = ds_gather_f32,
    .plan_f64 = ds_plan_f64,
    .gather_f64 = ds_gather_f64,
    .gather_planar_f32 = ds_gather_planar_f32,
    .gather_planar_f64 = ds_gather_planar_f64,
};

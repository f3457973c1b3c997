/* deform_sampling_impl.h -- the sampling steps, included once per instruction
 * set by deform_sampling_<isa>.c, which first defines FC_VBYTES (vector bytes)
 * and FC_DS_SET (the table's name) and, on x86, enables the target ISA.
 * Written with GCC/Clang vector extensions, as the micro-kernels are. */
#include <string.h>
#include "deform_sampling.h"

#define FC_DS_BODY(T, VT, VIT, VI32, VL, SFX)                                                 \
    static void ds_plan_##SFX(FC_DEFORM_PLAN_ARGS(T))                                         \
    {                                                                                         \
        const T H = (T)h, W = (T)w;                                                           \
        for (int64_t p = 0; p < q;) {                                                         \
            const int64_t pix = p0 + p, oh = pix / wo, ow0 = pix % wo;                        \
            const int64_t len = wo - ow0 < q - p ? wo - ow0 : q - p;                          \
            const T ybv = yb[oh];                                                             \
            const T *xr = xb + ow0, *oy = off_y + pix, *ox = off_x + pix;                     \
            const T *mk = msk ? msk + pix : NULL;                                             \
            int32_t *vy = iy + p, *vx = ix + p;                                               \
            T *v1 = w1 + p, *v2 = w2 + p, *v3 = w3 + p, *v4 = w4 + p;                         \
            int64_t l = 0;                                                                    \
            /* VL pixels at a time; comparisons give all-ones lanes, so the   \
               selections are bitwise */                                     \
            const VT one = (VT){0} + (T)1;                                                     \
            for (; l + VL <= len; l += VL) {                                                  \
                VT y, x, t;                                                                   \
                memcpy(&y, oy + l, sizeof(VT));                                               \
                memcpy(&x, ox + l, sizeof(VT));                                               \
                memcpy(&t, xr + l, sizeof(VT));                                               \
                /* int + offset in T, in torchvision's order of operations */                \
                y = ybv + y;                                                                  \
                x = t + x;                                                                    \
                /* all false for NaN */                                                       \
                const VIT ok = (y > (T)-1) & (y < H) & (x > (T)-1) & (x < W);                 \
                const VT ys = (VT)((VIT)y & ok), xs = (VT)((VIT)x & ok);                      \
                /* floor = truncation, minus one where that rounded up */                    \
                VT fy = __builtin_convertvector(__builtin_convertvector(ys, VI32), VT);        \
                VT fx = __builtin_convertvector(__builtin_convertvector(xs, VI32), VT);        \
                fy -= (VT)((VIT)one & (fy > ys));                                             \
                fx -= (VT)((VIT)one & (fx > xs));                                             \
                const VT lh = ys - fy, lw = xs - fx, hh = one - lh, hw = one - lw;            \
                VT m = (VT)((VIT)one & ok);                                                   \
                if (mk) {                                                                     \
                    VT mv;                                                                    \
                    memcpy(&mv, mk + l, sizeof(VT));                                          \
                    m = mv * m;                                                               \
                }                                                                             \
                const VI32 ok32 = __builtin_convertvector(ok, VI32);                          \
                const VI32 cy = (__builtin_convertvector(fy, VI32) & ok32) | ((int32_t)h & ~ok32); \
                const VI32 cx = (__builtin_convertvector(fx, VI32) & ok32) | (-1 & ~ok32);    \
                const VT r1 = m * (hh * hw), r2 = m * (hh * lw);                              \
                const VT r3 = m * (lh * hw), r4 = m * (lh * lw);                              \
                memcpy(vy + l, &cy, sizeof(VI32));                                            \
                memcpy(vx + l, &cx, sizeof(VI32));                                            \
                memcpy(v1 + l, &r1, sizeof(VT));                                              \
                memcpy(v2 + l, &r2, sizeof(VT));                                              \
                memcpy(v3 + l, &r3, sizeof(VT));                                              \
                memcpy(v4 + l, &r4, sizeof(VT));                                              \
            }                                                                                 \
            /* the same arithmetic, one pixel at a time */                                    \
            for (; l < len; l++) {                                                            \
                const T y = ybv + oy[l], x = xr[l] + ox[l];                                   \
                const int ok = (y > (T)-1) & (y < H) & (x > (T)-1) & (x < W);                 \
                /* the int conversions only see coordinates in (-1, h) x (-1, w) */          \
                const T ys = ok ? y : (T)0, xs = ok ? x : (T)0;                               \
                T fy = (T)(int32_t)ys, fx = (T)(int32_t)xs;                                   \
                fy -= fy > ys ? (T)1 : (T)0;                                                  \
                fx -= fx > xs ? (T)1 : (T)0;                                                  \
                const T lh = ys - fy, lw = xs - fx, hh = (T)1 - lh, hw = (T)1 - lw;           \
                const T m = (mk ? mk[l] : (T)1) * (ok ? (T)1 : (T)0);                         \
                vy[l] = ok ? (int32_t)fy : (int32_t)h;                                        \
                vx[l] = ok ? (int32_t)fx : -1;                                                \
                v1[l] = m * (hh * hw);                                                        \
                v2[l] = m * (hh * lw);                                                        \
                v3[l] = m * (lh * hw);                                                        \
                v4[l] = m * (lh * lw);                                                        \
            }                                                                                 \
            p += len;                                                                         \
        }                                                                                     \
    }                                                                                         \
                                                                                              \
    static void ds_gather_##SFX(FC_DEFORM_GATHER_ARGS(T))                                     \
    {                                                                                         \
        const int64_t rowC = Wp * C;                                                          \
        for (int64_t p = 0; p < q; p++)                                                       \
            for (int64_t t = 0; t < KK; t++) {                                                \
                T *dst0 = panel + (p * KK + t) * Cg;                                          \
                for (int64_t s = 0; s < nseg; s++) {                                          \
                    const int64_t e = (segs[s].ogl * KK + t) * Q + p, len = segs[s].len;      \
                    const T a = wts[e], b = wts[plan_n + e];                                  \
                    const T f = wts[2 * plan_n + e], g = wts[3 * plan_n + e];                 \
                    /* the four corners are channel vectors of the copy */                    \
                    const int64_t pix = ((int64_t)iy[e] + 1) * Wp + ix[e] + 1;                \
                    const T *s1 = xg + pix * C + segs[s].lo, *s2 = s1 + C;                    \
                    const T *s3 = s1 + rowC, *s4 = s3 + C;                                    \
                    T *dst = dst0 + segs[s].lo;                                               \
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
    }

typedef float fc_ds_vf __attribute__((vector_size(FC_VBYTES)));
typedef double fc_ds_vd __attribute__((vector_size(FC_VBYTES)));
typedef int32_t fc_ds_vi __attribute__((vector_size(FC_VBYTES)));     /* lanes of vf */
typedef int64_t fc_ds_vl __attribute__((vector_size(FC_VBYTES)));     /* lanes of vd */
typedef int32_t fc_ds_vh __attribute__((vector_size(FC_VBYTES / 2))); /* vd's as int32 */

FC_DS_BODY(float, fc_ds_vf, fc_ds_vi, fc_ds_vi, (FC_VBYTES / 4), f32)
FC_DS_BODY(double, fc_ds_vd, fc_ds_vl, fc_ds_vh, (FC_VBYTES / 8), f64)

const fc_deform_sampling FC_DS_SET = {
    .plan_f32 = ds_plan_f32,
    .gather_f32 = ds_gather_f32,
    .plan_f64 = ds_plan_f64,
    .gather_f64 = ds_gather_f64,
};

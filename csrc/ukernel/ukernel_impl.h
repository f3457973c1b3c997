/*
 * ukernel_impl.h -- the micro-kernel template (see ukernel.h for what it computes).
 *
 * Included once per instruction set by ukernel_<isa>.c, which first defines
 *   FC_VBYTES   bytes per vector (16, 32, 64)
 *   FC_MAX_ACC  accumulators that fit the register file (P*M <= FC_MAX_ACC)
 *   FC_SET      name of the fc_ukernel_set to define, FC_SET_NAME its string
 * and, for x86 sets, enables the target ISA with fc_target_begin.h.
 *
 * Written with GCC/Clang vector extensions: the same source becomes SSE2, AVX2,
 * AVX-512 or NEON code.  P and M are compile-time constants in every
 * instantiation, so the loops below unroll fully and the accumulators live in
 * registers; `acc += a * s` contracts to one (broadcast-)FMA where the ISA has it.
 */
#include <string.h>
#include "ukernel.h"

#define FC_V32 (FC_VBYTES / 4)
#define FC_V64 (FC_VBYTES / 8)

typedef float fc_vf __attribute__((vector_size(FC_VBYTES)));
typedef double fc_vd __attribute__((vector_size(FC_VBYTES)));

#define FC_UK_INLINE static inline __attribute__((always_inline))

#define FC_DEFINE_UK(T, VT, VL, SFX)                                               \
    FC_UK_INLINE void fc_uk_body_##SFX(const int P, const int M, int64_t k,         \
                                       const T *a, const int64_t *aoff,             \
                                       const T *b, const int64_t *boff, int64_t bs, \
                                       T *c, int64_t ldc, int accumulate)           \
    {                                                                               \
        VT acc[FC_UK_MAX_P][FC_UK_MAX_M];                                           \
        _Pragma("GCC unroll 32") for (int p = 0; p < P; p++)                        \
            _Pragma("GCC unroll 8") for (int m = 0; m < M; m++) {                   \
                acc[p][m] = (VT){0};                                                \
                if (accumulate)                                                     \
                    memcpy(&acc[p][m], c + p * ldc + m * VL, sizeof(VT));           \
            }                                                                       \
        for (int64_t r = 0; r < k; r++) {                                           \
            const T *ar = a + aoff[r];                                              \
            const T *br = b + boff[r];                                              \
            VT av[FC_UK_MAX_M];                                                     \
            _Pragma("GCC unroll 8") for (int m = 0; m < M; m++)                     \
                memcpy(&av[m], ar + m * VL, sizeof(VT));                            \
            _Pragma("GCC unroll 32") for (int p = 0; p < P; p++) {                  \
                const T s = br[p * bs];                                             \
                _Pragma("GCC unroll 8") for (int m = 0; m < M; m++)                 \
                    acc[p][m] += av[m] * s;                                         \
            }                                                                       \
        }                                                                           \
        _Pragma("GCC unroll 32") for (int p = 0; p < P; p++)                        \
            _Pragma("GCC unroll 8") for (int m = 0; m < M; m++)                     \
                memcpy(c + p * ldc + m * VL, &acc[p][m], sizeof(VT));               \
    }

FC_DEFINE_UK(float, fc_vf, FC_V32, f32)
FC_DEFINE_UK(double, fc_vd, FC_V64, f64)

/* Depthwise rows: two rows x up to four vectors of outputs per pass (eight
 * independent FMA chains, enough to hide the FMA latency), every tap streamed
 * through them; a last partial vector goes through a small buffer so nothing is
 * written past wo. */
#define FC_DEFINE_DW(T, VT, VL, SFX)                                                    \
    FC_UK_INLINE void dw_chunk_##SFX(const int R, const int N, int64_t nvalid,          \
                                     int64_t ntap, const T *in, int64_t in_pitch,       \
                                     const int64_t *toff, const T *wt, T bias, T *out,  \
                                     int64_t out_pitch)                                 \
    {                                                                                   \
        VT acc[2][4], v;                                                                \
        _Pragma("GCC unroll 2") for (int r = 0; r < R; r++)                             \
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++)                         \
                acc[r][k] = (VT){0} + bias;                                             \
        for (int64_t t = 0; t < ntap; t++) {                                            \
            const T *p = in + toff[t];                                                  \
            const T s = wt[t];                                                          \
            _Pragma("GCC unroll 2") for (int r = 0; r < R; r++)                         \
                _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) {                   \
                    memcpy(&v, p + r * in_pitch + k * VL, sizeof v);                    \
                    acc[r][k] += v * s;                                                 \
                }                                                                       \
        }                                                                               \
        _Pragma("GCC unroll 2") for (int r = 0; r < R; r++)                             \
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) {                       \
                T *o = out + r * out_pitch + k * VL;                                    \
                if ((k + 1) * VL <= nvalid) {                                           \
                    memcpy(o, &acc[r][k], sizeof acc[r][k]);                            \
                } else {                                                                \
                    T buf[VL];                                                          \
                    memcpy(buf, &acc[r][k], sizeof acc[r][k]);                          \
                    for (int64_t l = 0; l < nvalid - k * VL; l++)                       \
                        o[l] = buf[l];                                                  \
                }                                                                       \
            }                                                                           \
    }                                                                                   \
    FC_UK_INLINE void dw_row_group_##SFX(const int R, int64_t wo, int64_t ntap,         \
                                         const T *in, int64_t in_pitch,                 \
                                         const int64_t *toff, const T *wt, T bias,      \
                                         T *out, int64_t out_pitch)                     \
    {                                                                                   \
        const int64_t full = wo - wo % (4 * VL), nv = wo - full;                        \
        for (int64_t ow = 0; ow < full; ow += 4 * VL)                                   \
            dw_chunk_##SFX(R, 4, 4 * VL, ntap, in + ow, in_pitch, toff, wt, bias,       \
                           out + ow, out_pitch);                                        \
        switch ((nv + VL - 1) / VL) {                                                   \
        case 1: dw_chunk_##SFX(R, 1, nv, ntap, in + full, in_pitch, toff, wt, bias, out + full, out_pitch); break; \
        case 2: dw_chunk_##SFX(R, 2, nv, ntap, in + full, in_pitch, toff, wt, bias, out + full, out_pitch); break; \
        case 3: dw_chunk_##SFX(R, 3, nv, ntap, in + full, in_pitch, toff, wt, bias, out + full, out_pitch); break; \
        case 4: dw_chunk_##SFX(R, 4, nv, ntap, in + full, in_pitch, toff, wt, bias, out + full, out_pitch); break; \
        default: break;                                                                 \
        }                                                                               \
    }                                                                                   \
    static void dw_rows_##SFX(int64_t nrows, int64_t wo, int64_t ntap, const T *in,     \
                              int64_t in_pitch, const int64_t *toff, const T *wt, T bias, \
                              T *out, int64_t out_pitch)                                \
    {                                                                                   \
        int64_t r = 0;                                                                  \
        for (; r + 2 <= nrows; r += 2)                                                  \
            dw_row_group_##SFX(2, wo, ntap, in + r * in_pitch, in_pitch, toff, wt, bias, \
                               out + r * out_pitch, out_pitch);                         \
        if (r < nrows)                                                                  \
            dw_row_group_##SFX(1, wo, ntap, in + r * in_pitch, in_pitch, toff, wt, bias, \
                               out + r * out_pitch, out_pitch);                         \
    }

FC_DEFINE_DW(float, fc_vf, FC_V32, f32)
FC_DEFINE_DW(double, fc_vd, FC_V64, f64)

/* FMA peak probe: FC_MAX_ACC independent chains, enough to cover the FMA
 * latency on every supported core. */
static double fma_probe_f32(int64_t iters, float *sink)
{
    fc_vf acc[FC_MAX_ACC];
    const fc_vf m = (fc_vf){0} + 0.999999f, a = (fc_vf){0} + 1e-7f;
    _Pragma("GCC unroll 32") for (int k = 0; k < FC_MAX_ACC; k++) acc[k] = (fc_vf){0} + (float)k;
    for (int64_t it = 0; it < iters; it++)
        _Pragma("GCC unroll 32") for (int k = 0; k < FC_MAX_ACC; k++) acc[k] = acc[k] * m + a;
    float s = 0;
    for (int k = 0; k < FC_MAX_ACC; k++)
        s += acc[k][0];
    *sink = s;
    return 2.0 * (double)iters * FC_MAX_ACC * FC_V32;
}

#define FC_CAT5(a, b, c, d, e) a##b##c##d##e
#define FC_UK_NAME(SFX, P, M) FC_CAT5(uk_##SFX##_, P, x, M, _)

/* one non-inlined function per (P, M) and dtype */
#define FC_TILE(P, M)                                                                \
    static void FC_UK_NAME(f32, P, M)(int64_t k, const float *a, const int64_t *aoff, \
                                      const float *b, const int64_t *boff, int64_t bs, \
                                      float *c, int64_t ldc, int accumulate)         \
    {                                                                                \
        if (bs == 1) /* the common case: constant offsets, embedded broadcasts */    \
            fc_uk_body_f32(P, M, k, a, aoff, b, boff, 1, c, ldc, accumulate);                    \
        else                                                                         \
            fc_uk_body_f32(P, M, k, a, aoff, b, boff, bs, c, ldc, accumulate);                   \
    }                       \
    static void FC_UK_NAME(f64, P, M)(int64_t k, const double *a, const int64_t *aoff, \
                                      const double *b, const int64_t *boff, int64_t bs, \
                                      double *c, int64_t ldc, int accumulate)        \
    {                                                                                \
        if (bs == 1)                                                                 \
            fc_uk_body_f64(P, M, k, a, aoff, b, boff, 1, c, ldc, accumulate);                    \
        else                                                                         \
            fc_uk_body_f64(P, M, k, a, aoff, b, boff, bs, c, ldc, accumulate);                   \
    }
#include "ukernel_tiles.h"
#undef FC_TILE

const fc_ukernel_set FC_SET = {
    .name = FC_SET_NAME,
    .vlen_f32 = FC_V32,
    .vlen_f64 = FC_V64,
    .max_acc = FC_MAX_ACC,
    .dw_f32 = dw_rows_f32,
    .dw_f64 = dw_rows_f64,
    .fma_probe_f32 = fma_probe_f32,
#define FC_TILE(P, M) [P][M] = FC_UK_NAME(f32, P, M),
    .f32 = {
#include "ukernel_tiles.h"
    },
#undef FC_TILE
#define FC_TILE(P, M) [P][M] = FC_UK_NAME(f64, P, M),
    .f64 = {
#include "ukernel_tiles.h"
    },
#undef FC_TILE
};

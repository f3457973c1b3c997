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
/* the dwc kernels' 16- and 14-pixel chunks need 32 vector registers (with the
   K weights of a kernel row and the loaded pixel) */
#define FC_DWC_WIDE (FC_MAX_ACC >= 24)

typedef float fc_vf __attribute__((vector_size(FC_VBYTES)));
typedef double fc_vd __attribute__((vector_size(FC_VBYTES)));
/* lane masks (all ones or zero) of the same widths */
typedef int32_t fc_vi_f32 __attribute__((vector_size(FC_VBYTES)));
typedef int64_t fc_vi_f64 __attribute__((vector_size(FC_VBYTES)));

#define FC_UK_INLINE static inline __attribute__((always_inline))

#define FC_DEFINE_UK(T, VT, VL, SFX)                                               \
    FC_UK_INLINE void fc_uk_body_##SFX(const int P, const int M, int64_t k,         \
                                       const T *a, const int64_t *aoff,             \
                                       const T *b, const int64_t *boff, int64_t bs, \
                                       T *c, int64_t ldc, int accumulate,           \
                                       const T *rbias)                              \
    {                                                                               \
        VT acc[FC_UK_MAX_P][FC_UK_MAX_M];                                           \
        _Pragma("GCC unroll 32") for (int p = 0; p < P; p++)                        \
            _Pragma("GCC unroll 8") for (int m = 0; m < M; m++) {                   \
                acc[p][m] = (VT){0} + (rbias ? rbias[p] : (T)0);                    \
                if (accumulate)                                                     \
                    memcpy(&acc[p][m], c + p * ldc + m * VL, sizeof(VT));           \
            }                                                                       \
        /* two steps per iteration: measured 10% faster on 1x1 layers (P = 13), \
           2-4% on 3x3 ones; four is slower again */                           \
        _Pragma("GCC unroll 2") for (int64_t r = 0; r < k; r++) {                   \
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

/* Depthwise output stores: the first n lanes of a (all of them when n >= VL; a
 * last partial vector through a small buffer, so nothing is written past n). */
#define FC_DEFINE_DW_STORE(T, VT, VL, SFX)                                              \
    FC_UK_INLINE void dw_store_##SFX(T *o, const VT *a, int64_t n)                      \
    {                                                                                   \
        if (n >= VL) {                                                                  \
            memcpy(o, a, sizeof *a);                                                    \
        } else {                                                                        \
            T buf[VL];                                                                  \
            memcpy(buf, a, sizeof *a);                                                  \
            for (int64_t l = 0; l < n; l++)                                             \
                o[l] = buf[l];                                                          \
        }                                                                               \
    }
FC_DEFINE_DW_STORE(float, fc_vf, FC_V32, f32)
FC_DEFINE_DW_STORE(double, fc_vd, FC_V64, f64)

/* A depthwise channel's n weights broadcast to whole vectors: the row kernels
 * keep them in registers for all of the channel's rows. */
#define FC_DEFINE_DW_SPLAT(T, VT, SFX)                                                  \
    FC_UK_INLINE void dw_splat_##SFX(VT *wv, const T *wt, int n)                        \
    {                                                                                   \
        for (int t = 0; t < n; t++)                                                     \
            wv[t] = (VT){0} + wt[t];                                                    \
    }
FC_DEFINE_DW_SPLAT(float, fc_vf, f32)
FC_DEFINE_DW_SPLAT(double, fc_vd, f64)

/* Lanes the in-place depthwise kernels store for row r of a plane (rows wo wide,
 * back to back) in its chunk at column oc: a whole vector while it stays inside
 * the room -- the elements from the plane's start that are this call's to write,
 * those past row r written later -- else the row's own lanes. */
static inline int64_t dw_room_lanes(int64_t r, int64_t wo, int64_t oc, int64_t vl, int64_t room)
{
    return r * wo + oc + vl <= room ? vl : wo - oc;
}

/* Lanes row rr of a group of R rows (rows r.. of the call's nrows) may store in
 * its last chunk (nv pixels after `full`; whole vectors end at vend): rows
 * packed back to back (out_pitch == wo), a row's last vector may spill into the
 * rows after it when those are written later and it stays inside the call's
 * rows -- not into a row of the group whose full chunks were already written. */
static inline int64_t dw_tail_lanes(int64_t r, int rr, int R, int64_t nrows, int64_t wo,
                                    int64_t out_pitch, int64_t full, int64_t nv, int64_t vend)
{
    return out_pitch == wo && (r + rr) * wo + vend <= nrows * wo && (rr == R - 1 || full == 0)
               ? vend - full
               : nv;
}

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
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++)                         \
                dw_store_##SFX(out + r * out_pitch + k * VL, &acc[r][k], nvalid - k * VL); \
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

/* Depthwise rows when consecutive output rows are one kernel row apart (vertical
 * stride == vertical dilation): output rows r and r+1 read the same panel rows
 * shifted by one, so each loaded vector feeds a kernel row of both -- a third
 * fewer loads for 3x3, which is what bounds this kernel.  Taps (i, j) are at
 * in + i*pitch + coff[j]; output row r starts at in + r*pitch.  Rows go in pairs:
 * nrows is even (the caller runs an odd last row through the general kernel). */
#define FC_DEFINE_DW_SHARED(T, VT, VL, SFX)                                             \
    /* one input row of the pair: times the kernel row w0 into output row r    \
       (ONE & 1), times w1 into row r+1 (ONE & 2) */                               \
    FC_UK_INLINE void dws_row_##SFX(const int N, const int ONE, const T *row, int64_t kw, \
                                    const int64_t *coff, const T *w0, const T *w1,   \
                                    VT *a0, VT *a1)                                    \
    {                                                                                   \
        VT v;                                                                           \
        for (int64_t j = 0; j < kw; j++)                                                \
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) {                       \
                memcpy(&v, row + coff[j] + k * VL, sizeof v);                           \
                if (ONE & 1)                                                            \
                    a0[k] += v * w0[j];                                                 \
                if (ONE & 2)                                                            \
                    a1[k] += v * w1[j];                                                 \
            }                                                                           \
    }                                                                                   \
    FC_UK_INLINE void dws_chunk_##SFX(const int N, int64_t nvalid, int64_t kh, int64_t kw, \
                                      const T *in, int64_t pitch, const int64_t *coff,  \
                                      const T *wt, T bias, T *out, int64_t out_pitch)   \
    {                                                                                   \
        VT a0[4], a1[4];                                                                \
        _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) a0[k] = a1[k] = (VT){0} + bias; \
        /* input rows 0 .. kh of the pair; the first feeds only row r, the last     \
           only row r+1 (skipped for the other, not multiplied by a zero weight:    \
           Inf * 0 is NaN where the oracle adds nothing) */                         \
        dws_row_##SFX(N, 1, in, kw, coff, wt, wt, a0, a1);                              \
        for (int64_t u = 1; u < kh; u++)                                                \
            dws_row_##SFX(N, 3, in + u * pitch, kw, coff, wt + u * kw, wt + (u - 1) * kw, a0, a1); \
        dws_row_##SFX(N, 2, in + kh * pitch, kw, coff, wt, wt + (kh - 1) * kw, a0, a1);  \
        _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) {                           \
            dw_store_##SFX(out + k * VL, &a0[k], nvalid - k * VL);                      \
            dw_store_##SFX(out + out_pitch + k * VL, &a1[k], nvalid - k * VL);          \
        }                                                                               \
    }                                                                                   \
    static void dw_rows_shared_##SFX(int64_t nrows, int64_t wo, int64_t kh, int64_t kw,  \
                                     const T *in, int64_t pitch, const int64_t *coff,    \
                                     const T *wt, T bias, T *out, int64_t out_pitch)     \
    {                                                                                   \
        const int64_t full = wo - wo % (4 * VL), nv = wo - full;                        \
        int64_t r = 0;                                                                  \
        for (; r + 2 <= nrows; r += 2) {                                                \
            const T *i0 = in + r * pitch;                                               \
            T *o = out + r * out_pitch;                                                 \
            for (int64_t ow = 0; ow < full; ow += 4 * VL)                               \
                dws_chunk_##SFX(4, 4 * VL, kh, kw, i0 + ow, pitch, coff, wt, bias, o + ow, out_pitch); \
            switch ((nv + VL - 1) / VL) {                                               \
            case 1: dws_chunk_##SFX(1, nv, kh, kw, i0 + full, pitch, coff, wt, bias, o + full, out_pitch); break; \
            case 2: dws_chunk_##SFX(2, nv, kh, kw, i0 + full, pitch, coff, wt, bias, o + full, out_pitch); break; \
            case 3: dws_chunk_##SFX(3, nv, kh, kw, i0 + full, pitch, coff, wt, bias, o + full, out_pitch); break; \
            case 4: dws_chunk_##SFX(4, nv, kh, kw, i0 + full, pitch, coff, wt, bias, o + full, out_pitch); break; \
            default: break;                                                             \
            }                                                                           \
        }                                                                               \
    }

/* Depthwise rows for the commonest kernels, NT = 9 or 25 taps (3x3, 5x5, 1x9, ...;
 * any stride or dilation: the taps are just panel offsets): the weights stay in
 * vector registers for the whole row, so each output vector costs NT loads and
 * NT FMAs. */
#define FC_DEFINE_DWK(T, VT, VL, SFX, NT)                                               \
    FC_UK_INLINE void dwk_chunk_##SFX##_##NT(const int R, const int N, const int64_t *nvalid, \
                                             const T *const *p, int64_t in_pitch,       \
                                             const VT *wv, T bias, T *out, int64_t out_pitch) \
    {                                                                                   \
        VT acc[2][4], v; /* two rows: twice the independent FMA chains */              \
        _Pragma("GCC unroll 2") for (int rr = 0; rr < R; rr++)                          \
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++)                         \
                acc[rr][k] = (VT){0} + bias;                                            \
        _Pragma("GCC unroll 25") for (int t = 0; t < NT; t++)                           \
            _Pragma("GCC unroll 2") for (int rr = 0; rr < R; rr++)                      \
                _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) {                   \
                    memcpy(&v, p[t] + rr * in_pitch + k * VL, sizeof v);                \
                    acc[rr][k] += v * wv[t];                                            \
                }                                                                       \
        _Pragma("GCC unroll 2") for (int rr = 0; rr < R; rr++)                          \
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++)                         \
                dw_store_##SFX(out + rr * out_pitch + k * VL, &acc[rr][k],              \
                               nvalid[rr] - k * VL);                                    \
    }                                                                                   \
    FC_UK_INLINE void dwk_pair_##SFX##_##NT(const int R, int64_t r, int64_t nrows,      \
                                            int64_t wo, const T *const *p, int64_t in_pitch, \
                                            const VT *wv, T bias, T *out, int64_t out_pitch) \
    {                                                                                   \
        const int64_t full = wo - wo % (4 * VL), nv = wo - full;                        \
        const int64_t four[2] = {4 * VL, 4 * VL};                                       \
        const T *q[NT];                                                                 \
        for (int64_t ow = 0; ow < full; ow += 4 * VL) {                                 \
            for (int t = 0; t < NT; t++)                                                \
                q[t] = p[t] + ow;                                                       \
            dwk_chunk_##SFX##_##NT(R, 4, four, q, in_pitch, wv, bias, out + ow, out_pitch); \
        }                                                                               \
        for (int t = 0; t < NT; t++)                                                    \
            q[t] = p[t] + full;                                                         \
        const int64_t vend = full + (nv + VL - 1) / VL * VL;                            \
        int64_t nw[2];                                                                  \
        for (int rr = 0; rr < 2; rr++)                                                  \
            nw[rr] = dw_tail_lanes(r, rr, R, nrows, wo, out_pitch, full, nv, vend);     \
        switch ((nv + VL - 1) / VL) {                                                   \
        case 1: dwk_chunk_##SFX##_##NT(R, 1, nw, q, in_pitch, wv, bias, out + full, out_pitch); break; \
        case 2: dwk_chunk_##SFX##_##NT(R, 2, nw, q, in_pitch, wv, bias, out + full, out_pitch); break; \
        case 3: dwk_chunk_##SFX##_##NT(R, 3, nw, q, in_pitch, wv, bias, out + full, out_pitch); break; \
        case 4: dwk_chunk_##SFX##_##NT(R, 4, nw, q, in_pitch, wv, bias, out + full, out_pitch); break; \
        default: break;                                                                 \
        }                                                                               \
    }                                                                                   \
    static void dwk_rows_##SFX##_##NT(int64_t nrows, int64_t wo, int64_t ntap, const T *in, \
                                      int64_t in_pitch, const int64_t *toff, const T *wt,   \
                                      T bias, T *out, int64_t out_pitch)                \
    {                                                                                   \
        (void)ntap; /* always NT */                                                     \
        VT wv[NT];                                                                      \
        dw_splat_##SFX(wv, wt, NT);                                                     \
        for (int64_t r = 0; r < nrows; r += 2) {                                        \
            const T *p[NT];                                                             \
            for (int t = 0; t < NT; t++)                                                \
                p[t] = in + r * in_pitch + toff[t];                                     \
            if (r + 1 < nrows)                                                          \
                dwk_pair_##SFX##_##NT(2, r, nrows, wo, p, in_pitch, wv, bias,           \
                                      out + r * out_pitch, out_pitch);                  \
            else                                                                        \
                dwk_pair_##SFX##_##NT(1, r, nrows, wo, p, in_pitch, wv, bias,           \
                                      out + r * out_pitch, out_pitch);                  \
        }                                                                               \
    }

/* The same for square KxK kernels (NT = 9: 3x3, 25: 5x5) whose consecutive output
 * rows are one kernel row apart (vertical stride == dilation): output rows r and
 * r+1 read input rows r .. r+K, each loaded vector feeding a kernel row of both
 * -- (K+1)/(2K) of the loads, which bound this kernel, with the weights still
 * in registers.  Taps (i, j) at in + i*in_pitch + toff[j]; an odd last row goes
 * through the unshared kernel. */
#define FC_DEFINE_DWK_SHARED(T, VT, VL, SFX, NT, KH)                                    \
    FC_UK_INLINE void dwks_chunk_##SFX##_##NT(const int N, const int64_t *nvalid,        \
                                              const T *in, int64_t pitch,               \
                                              const int64_t *coff, const VT *wv, T bias, \
                                              T *out, int64_t out_pitch)                \
    {                                                                                   \
        VT a0[4], a1[4], v;                                                             \
        _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) a0[k] = a1[k] = (VT){0} + bias; \
        _Pragma("GCC unroll 6") for (int u = 0; u <= KH; u++)                            \
            _Pragma("GCC unroll 5") for (int j = 0; j < KH; j++)                         \
                _Pragma("GCC unroll 4") for (int k = 0; k < N; k++) {                   \
                    memcpy(&v, in + u * pitch + coff[j] + k * VL, sizeof v);            \
                    if (u < KH) /* kernel row u of output row r */                      \
                        a0[k] += v * wv[u * KH + j];                                    \
                    if (u > 0) /* kernel row u-1 of output row r+1 */                   \
                        a1[k] += v * wv[(u - 1) * KH + j];                              \
                }                                                                       \
        /* row by row: a spill of row r's last vector is overwritten by row r+1 */      \
        _Pragma("GCC unroll 2") for (int rr = 0; rr < 2; rr++)                          \
            _Pragma("GCC unroll 4") for (int k = 0; k < N; k++)                         \
                dw_store_##SFX(out + rr * out_pitch + k * VL, rr ? &a1[k] : &a0[k],     \
                               nvalid[rr] - k * VL);                                    \
    }                                                                                   \
    static void dwks_rows_##SFX##_##NT(int64_t nrows, int64_t wo, int64_t ntap, const T *in, \
                                       int64_t in_pitch, const int64_t *toff, const T *wt,  \
                                       T bias, T *out, int64_t out_pitch)               \
    {                                                                                   \
        (void)ntap; /* always NT */                                                     \
        VT wv[NT];                                                                      \
        dw_splat_##SFX(wv, wt, NT);                                                     \
        /* 5x5: one vector per chunk -- the 25 weights and the sums then fit the  \
           registers (two vectors spilled: 0.166 -> 0.143 ms on 240x28x28); the   \
           chunks run right to left, so a row's partial last vector may spill into \
           the next row, whose first chunk comes later */                         \
        const int CW = NT == 25 ? 1 : 4;                                                \
        const int64_t full = wo - wo % (CW * VL), nv = wo - full;                       \
        const int64_t four[2] = {CW * VL, CW * VL};                                     \
        const int64_t vend = full + (nv + VL - 1) / VL * VL;                            \
        int64_t r = 0;                                                                  \
        for (; r + 2 <= nrows; r += 2) {                                                \
            const T *i0 = in + r * in_pitch;                                            \
            T *o = out + r * out_pitch;                                                 \
            int64_t nw[2];                                                              \
            if (CW == 1) {                                                              \
                for (int rr = 0; rr < 2; rr++)                                          \
                    nw[rr] = out_pitch == wo && (r + rr) * wo + vend <= nrows * wo      \
                                 ? vend - full                                          \
                                 : nv;                                                  \
                if (nv > 0)                                                             \
                    dwks_chunk_##SFX##_##NT(1, nw, i0 + full, in_pitch, toff, wv, bias,  \
                                            o + full, out_pitch);                       \
                for (int64_t ow = full - VL; ow >= 0; ow -= VL)                         \
                    dwks_chunk_##SFX##_##NT(1, four, i0 + ow, in_pitch, toff, wv, bias,  \
                                            o + ow, out_pitch);                         \
                continue;                                                               \
            }                                                                           \
            for (int64_t ow = 0; ow < full; ow += CW * VL)                              \
                dwks_chunk_##SFX##_##NT(CW, four, i0 + ow, in_pitch, toff, wv, bias, o + ow, \
                                        out_pitch);                                     \
            for (int rr = 0; rr < 2; rr++)                                              \
                nw[rr] = dw_tail_lanes(r, rr, 2, nrows, wo, out_pitch, full, nv, vend);  \
            switch ((nv + VL - 1) / VL) {                                               \
            case 1: dwks_chunk_##SFX##_##NT(1, nw, i0 + full, in_pitch, toff, wv, bias, o + full, out_pitch); break; \
            case 2: dwks_chunk_##SFX##_##NT(2, nw, i0 + full, in_pitch, toff, wv, bias, o + full, out_pitch); break; \
            case 3: dwks_chunk_##SFX##_##NT(3, nw, i0 + full, in_pitch, toff, wv, bias, o + full, out_pitch); break; \
            case 4: dwks_chunk_##SFX##_##NT(4, nw, i0 + full, in_pitch, toff, wv, bias, o + full, out_pitch); break; \
            default: break;                                                             \
            }                                                                           \
        }                                                                               \
        if (r < nrows) {                                                                \
            const T *p[NT];                                                             \
            for (int i = 0; i < KH; i++)                                                \
                for (int j = 0; j < KH; j++)                                            \
                    p[i * KH + j] = in + (r + i) * in_pitch + toff[j];                  \
            dwk_pair_##SFX##_##NT(1, r, nrows, wo, p, in_pitch, wv, bias,               \
                                  out + r * out_pitch, out_pitch);                      \
        }                                                                               \
    }

FC_DEFINE_DW(float, fc_vf, FC_V32, f32)
FC_DEFINE_DW(double, fc_vd, FC_V64, f64)
FC_DEFINE_DWK(float, fc_vf, FC_V32, f32, 9)
FC_DEFINE_DWK(double, fc_vd, FC_V64, f64, 9)
FC_DEFINE_DWK(float, fc_vf, FC_V32, f32, 25)
FC_DEFINE_DWK(double, fc_vd, FC_V64, f64, 25)
FC_DEFINE_DW_SHARED(float, fc_vf, FC_V32, f32)
FC_DEFINE_DW_SHARED(double, fc_vd, FC_V64, f64)
FC_DEFINE_DWK_SHARED(float, fc_vf, FC_V32, f32, 9, 3)
FC_DEFINE_DWK_SHARED(double, fc_vd, FC_V64, f64, 9, 3)
FC_DEFINE_DWK_SHARED(float, fc_vf, FC_V32, f32, 25, 5)
FC_DEFINE_DWK_SHARED(double, fc_vd, FC_V64, f64, 25, 5)

/* Panel rows (see ukernel.h).  Rows are short (tens of elements): inline
 * vectorised loops beat calls to memcpy/memset, which GCC would otherwise
 * substitute for them. */
#if defined(__GNUC__) && !defined(__clang__)
#define FC_NO_MEMCPY_SUBST __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define FC_NO_MEMCPY_SUBST
#endif
#define FC_DEFINE_PANEL_ROWS(T, VT, SFX, VL)                                                \
    /* STRIDE 1, 2: constant, vectorised; 0: any (scalar).  WHOLE: copy nv (a       \
       multiple of VL) elements, the vectorised loop's remainder code is skipped */ \
    FC_NO_MEMCPY_SUBST FC_UK_INLINE void panel_rows_body_##SFX(                          \
        const int STRIDE, const int WHOLE, const T *src, int64_t src_pitch, int64_t stride, \
        int64_t nrows, int64_t tlo, int64_t thi, int64_t nv, int64_t len, T *dst,        \
        int64_t dst_pitch)                                                              \
    {                                                                                   \
        const int64_t n = WHOLE ? nv : thi - tlo;                                       \
        const int64_t st = STRIDE ? STRIDE : stride;                                    \
        if (STRIDE == 1 && WHOLE && nv > 0) {                                           \
            /* whole vectors; the last one's lanes past thi masked to zero, so the   \
               zeros after it start at tlo + nv */                                  \
            fc_vi_##SFX mask;                                                           \
            for (int l = 0; l < VL; l++)                                                \
                mask[l] = tlo + nv - VL + l < thi ? -1 : 0;                             \
            for (int64_t r = 0; r < nrows; r++) {                                       \
                const T *s = src + r * src_pitch;                                       \
                T *d = dst + r * dst_pitch;                                             \
                VT v;                                                                   \
                for (int64_t t = 0; t < tlo; t++)                                       \
                    d[t] = (T)0;                                                        \
                for (int64_t t = 0; t < nv - VL; t += VL) {                             \
                    memcpy(&v, s + t, sizeof v);                                        \
                    memcpy(d + tlo + t, &v, sizeof v);                                  \
                }                                                                       \
                memcpy(&v, s + nv - VL, sizeof v);                                      \
                v = (VT)((fc_vi_##SFX)v & mask);                                        \
                memcpy(d + tlo + nv - VL, &v, sizeof v);                                \
                for (int64_t t = tlo + nv; t < len; t++)                                \
                    d[t] = (T)0;                                                        \
            }                                                                           \
            return;                                                                     \
        }                                                                               \
        for (int64_t r = 0; r < nrows; r++) {                                           \
            const T *s = src + r * src_pitch;                                           \
            T *d = dst + r * dst_pitch;                                                 \
            for (int64_t t = 0; t < tlo; t++)                                           \
                d[t] = (T)0;                                                            \
            for (int64_t t = 0; t < n; t++)                                             \
                d[tlo + t] = s[t * st];                                                 \
            for (int64_t t = thi; t < len; t++)                                         \
                d[t] = (T)0;                                                            \
        }                                                                               \
    }                                                                                   \
    /* (the attribute again: the inlined body takes its caller's options) */           \
    FC_NO_MEMCPY_SUBST static void panel_rows_##SFX(const T *src, int64_t src_pitch,     \
                                                    int64_t stride, int64_t nrows,      \
                                                    int64_t tlo, int64_t thi, int64_t len, \
                                                    T *dst, int64_t dst_pitch,          \
                                                    const T *src_end, int64_t slack)    \
    {                                                                                   \
        const int64_t nv = (thi - tlo + VL - 1) / VL * VL;                              \
        /* Whole vectors, no remainder loop, when the row's slot (and the slack     \
           after it) has room for the overshoot and the reads stay inside the      \
           input: rows are short, the remainder code cost as much as the rest      \
           (and rows narrower than a vector had no vector code at all) */          \
        const int whole = nrows > 0 && tlo + nv <= len + slack &&                       \
                          stride * nv <= src_end - (src + (nrows - 1) * src_pitch);     \
        if (stride == 1 && whole)                                                       \
            panel_rows_body_##SFX(1, 1, src, src_pitch, 1, nrows, tlo, thi, nv, len, dst, dst_pitch); \
        else if (stride == 2 && whole)                                                  \
            panel_rows_body_##SFX(2, 1, src, src_pitch, 2, nrows, tlo, thi, nv, len, dst, dst_pitch); \
        else if (stride == 1)                                                           \
            panel_rows_body_##SFX(1, 0, src, src_pitch, 1, nrows, tlo, thi, nv, len, dst, dst_pitch); \
        else if (stride == 2) /* vectorises as a deinterleave */                        \
            panel_rows_body_##SFX(2, 0, src, src_pitch, 2, nrows, tlo, thi, nv, len, dst, dst_pitch); \
        else                                                                            \
            panel_rows_body_##SFX(0, 0, src, src_pitch, stride, nrows, tlo, thi, nv, len, dst, \
                                  dst_pitch);                                           \
    }
#define FC_DEFINE_PANEL_ROWS2(T, SFX, VL)                                               \
    FC_NO_MEMCPY_SUBST static void panel_rows2_##SFX(const T *src, int64_t src_pitch,   \
                                                     int64_t e, int64_t nrows,          \
                                                     const int64_t *tlo, const int64_t *thi, \
                                                     int64_t len, T *dst, int64_t dst_pitch, \
                                                     const T *src_end, int64_t slack)   \
    {                                                                                   \
        /* t where both slots hold pixels: one deinterleaving loop for the two */      \
        const int64_t clo = tlo[0] > tlo[1] ? tlo[0] : tlo[1];                          \
        const int64_t chi = thi[0] < thi[1] ? thi[0] : thi[1];                          \
        const int64_t nc = chi > clo ? chi - clo : 0, nv = (nc + VL - 1) / VL * VL;     \
        /* whole vectors (no remainder loop) when the slots, or the slack after     \
           them, have room for the overshoot, fixed up below, and the reads stay    \
           inside the input */                                                      \
        const int reads_ok = 2 * (clo + nv) + e <= src_end - (src + (nrows - 1) * src_pitch); \
        const int whole = nrows > 0 && nc > 0 && clo + nv <= len + slack && reads_ok;   \
        if (whole && FC_ROWS2_WHOLE(SFX, src, src_pitch, e, nrows, tlo, thi, len, dst,  \
                                    dst_pitch, clo, nv))                                \
            return;                                                                     \
        /* (the loop below stores the two slots' pixels in turn: only without       \
           overshoot past slot 0 may it store whole vectors' worth) */               \
        const int64_t n = whole && clo + nv <= len ? nv : nc;                           \
        for (int64_t r = 0; r < nrows; r++) {                                           \
            const T *s = src + r * src_pitch;                                           \
            T *d0 = dst + r * dst_pitch, *d1 = d0 + len;                                \
            const T *sc = s + 2 * clo + e;                                              \
            for (int64_t t = 0; t < n; t++) {                                           \
                d0[clo + t] = sc[2 * t];                                                \
                d1[clo + t] = sc[2 * t + 1];                                            \
            }                                                                           \
            for (int q = 0; q < 2; q++) { /* each slot's own edges, then its zeros */   \
                T *d = q ? d1 : d0;                                                     \
                const int64_t lo = tlo[q], hi = thi[q] > lo ? thi[q] : lo;               \
                for (int64_t t = 0; t < lo; t++)                                        \
                    d[t] = (T)0;                                                        \
                for (int64_t t = lo; t < hi && t < clo; t++)                            \
                    d[t] = s[2 * t + q + e];                                            \
                for (int64_t t = chi > lo ? chi : lo; t < hi; t++)                      \
                    d[t] = s[2 * t + q + e];                                            \
                for (int64_t t = hi; t < len; t++)                                      \
                    d[t] = (T)0;                                                        \
            }                                                                           \
        }                                                                               \
    }

FC_DEFINE_PANEL_ROWS(float, fc_vf, f32, FC_V32)
FC_DEFINE_PANEL_ROWS(double, fc_vd, f64, FC_V64)

/* Weight packing (see ukernel.h): 4x4 (float) or 2x2 (double) register
 * transposes of 16-byte vectors where the compiler has vector shuffles, a block
 * of 16 reduction steps at a time (one cache line of each source row, the
 * packed rows they fill stay in L1); scalar for the edges.  The finiteness
 * test rides along: x - x is 0 unless x is NaN or infinite. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define FC_UK_SHUFFLE 1
#endif
#endif
/* (k outer: the packed rows are written in order; with l outer the zero lanes of
   a partial block, 24 of 32 output channels, were stores OB elements apart,
   a fifth of a 512 -> 24 layer's time) */
#define FC_PACK_SCALAR(T)                                                               \
    for (int64_t k = 0; k < K; k++)                                                     \
        for (int64_t l = (k < kv ? lv : 0); l < OB; l++) {                              \
            const T v = l < nl ? src[l * ld + k] : (T)0;                                \
            dst[k * OB + l] = v;                                                        \
            finite &= (v - v) == (T)0;                                                  \
        }
static int pack_rows_f32(const float *src, int64_t ld, int64_t nl, int64_t K, int64_t OB,
                         float *dst)
{
    int finite = 1;
    int64_t lv = 0, kv = 0; /* rows [0, lv) x steps [0, kv) done with vectors */
#ifdef FC_UK_SHUFFLE
    typedef float v4 __attribute__((vector_size(16)));
    typedef int v4i __attribute__((vector_size(16)));
    v4i ok = (v4i){0} == (v4i){0};
    lv = nl - nl % 4;
    kv = K - K % 4;
    for (int64_t k0 = 0; k0 < kv; k0 += 16)
        for (int64_t l = 0; l < lv; l += 4)
            for (int64_t k = k0; k < k0 + 16 && k < kv; k += 4) {
                v4 r0, r1, r2, r3;
                memcpy(&r0, src + (l + 0) * ld + k, sizeof r0);
                memcpy(&r1, src + (l + 1) * ld + k, sizeof r1);
                memcpy(&r2, src + (l + 2) * ld + k, sizeof r2);
                memcpy(&r3, src + (l + 3) * ld + k, sizeof r3);
                ok &= ((r0 - r0) == 0) & ((r1 - r1) == 0) & ((r2 - r2) == 0) & ((r3 - r3) == 0);
                const v4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
                const v4 t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
                const v4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
                const v4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
                const v4 c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
                const v4 c1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
                const v4 c2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
                const v4 c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
                memcpy(dst + (k + 0) * OB + l, &c0, sizeof c0);
                memcpy(dst + (k + 1) * OB + l, &c1, sizeof c1);
                memcpy(dst + (k + 2) * OB + l, &c2, sizeof c2);
                memcpy(dst + (k + 3) * OB + l, &c3, sizeof c3);
            }
    for (int q = 0; q < 4; q++)
        finite &= ok[q] != 0;
#endif
    FC_PACK_SCALAR(float)
    return finite;
}
static int pack_rows_f64(const double *src, int64_t ld, int64_t nl, int64_t K, int64_t OB,
                         double *dst)
{
    int finite = 1;
    int64_t lv = 0, kv = 0;
#ifdef FC_UK_SHUFFLE
    typedef double v2 __attribute__((vector_size(16)));
    typedef long long v2i __attribute__((vector_size(16)));
    v2i ok = (v2i){0} == (v2i){0};
    lv = nl - nl % 2;
    kv = K - K % 2;
    for (int64_t k0 = 0; k0 < kv; k0 += 8)
        for (int64_t l = 0; l < lv; l += 2)
            for (int64_t k = k0; k < k0 + 8 && k < kv; k += 2) {
                v2 r0, r1;
                memcpy(&r0, src + (l + 0) * ld + k, sizeof r0);
                memcpy(&r1, src + (l + 1) * ld + k, sizeof r1);
                ok &= ((r0 - r0) == 0) & ((r1 - r1) == 0);
                const v2 c0 = __builtin_shufflevector(r0, r1, 0, 2);
                const v2 c1 = __builtin_shufflevector(r0, r1, 1, 3);
                memcpy(dst + (k + 0) * OB + l, &c0, sizeof c0);
                memcpy(dst + (k + 1) * OB + l, &c1, sizeof c1);
            }
    finite &= ok[0] != 0 && ok[1] != 0;
#endif
    FC_PACK_SCALAR(double)
    return finite;
}

/* Depthwise 3x3, horizontal stride 2, padding 1, dilation 1 (MobileNet's
 * downsampling layers), read straight from the NCHW input rows: no panel, so no
 * pass that splits each row into its two stride phases (two thirds of the
 * panel path's time).  Each pair of input vectors A, B (2*VL columns from
 * 2*ow0) is deinterleaved in registers into the even columns E (tap 1) and the
 * odd ones O (tap 2); tap 0 is O moved up one lane, its first lane carried over
 * from the previous chunk (zero at the left edge, the padding).  Columns >= W
 * are masked to zero in the last chunk, which is the right padding.  Several
 * channel planes per call; the row pointers and outputs as in ukernel.h. */
#ifdef FC_UK_SHUFFLE
#if FC_VBYTES == 64
#define FC_L32 16
#define FC_L64 8
#elif FC_VBYTES == 32
#define FC_L32 8
#define FC_L64 4
#else
#define FC_L32 4
#define FC_L64 2
#endif
/* lane indices of two-vector shuffles, by lane count: the even and odd lanes
   of (a, b), and a's last lane followed by b's first n-1 */
#define FC_EVEN_2 0, 2
#define FC_ODD_2 1, 3
#define FC_UP1_2 1, 2
#define FC_EVEN_4 0, 2, 4, 6
#define FC_ODD_4 1, 3, 5, 7
#define FC_UP1_4 3, 4, 5, 6
#define FC_EVEN_8 0, 2, 4, 6, 8, 10, 12, 14
#define FC_ODD_8 1, 3, 5, 7, 9, 11, 13, 15
#define FC_UP1_8 7, 8, 9, 10, 11, 12, 13, 14
#define FC_EVEN_16 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define FC_ODD_16 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define FC_UP1_16 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
#define FC_LANES_(kind, n) FC_##kind##_##n
#define FC_LANES(kind, n) FC_LANES_(kind, n)
/* Stride-2 panel rows (panel_rows2) in whole vectors, explicitly: each pair of
 * input vectors deinterleaved into the two slots, the last vector's lanes past
 * a slot's pixels masked to zero.  The compiler's own vectorisation of the
 * loop (with its per-row checks) and the scalar edges cost 12 ns a 56-column
 * row here, this 8; half of a stride-2 g32 layer's time was these rows.  For
 * rows with room for whole vectors (panel_rows2 decides): t in [clo, clo + nv)
 * in vectors, the few others one by one.  Where slot 0's last vector runs
 * into slot 1 (slots shorter than the vectors, rows of 14 or 17 columns),
 * all of slot 0 goes first, then slot 1's vectors overwrite it, and slot 1
 * runs into the slack after it (4x128x14x14 g16 stride 2 1.08x, 512x17x17 ->
 * 24 stride 2 1.17x). */
#define FC_DEFINE_PANEL_ROWS2_WHOLE(T, VT, VL, NL, SFX)                                 \
    FC_NO_MEMCPY_SUBST static void panel_rows2_whole_##SFX(const T *src, int64_t src_pitch, \
                                                           int64_t e, int64_t nrows,    \
                                                           const int64_t *tlo,          \
                                                           const int64_t *thi, int64_t len, \
                                                           T *dst, int64_t dst_pitch,   \
                                                           int64_t clo, int64_t nv)     \
    {                                                                                   \
        /* slot q's lanes below thi[q] are its pixels (those columns are real);    \
           one more may follow the vectors (thi[q] = chi + 1) */                    \
        const int64_t vlast = clo + nv - VL;                                            \
        const int over = clo + nv > len; /* slot 0's vectors run into slot 1 */         \
        fc_vi_##SFX mask[2];                                                            \
        for (int q = 0; q < 2; q++)                                                     \
            for (int l = 0; l < VL; l++)                                                \
                mask[q][l] = vlast + l < thi[q] ? -1 : 0;                               \
        for (int64_t r = 0; r < nrows; r++) {                                           \
            const T *s = src + r * src_pitch;                                           \
            T *d[2] = {dst + r * dst_pitch, dst + r * dst_pitch + len};                 \
            const T *sc = s + 2 * clo + e;                                              \
            for (int64_t t = 0; t < nv; t += VL) {                                      \
                VT a, b;                                                                \
                memcpy(&a, sc + 2 * t, sizeof a);                                       \
                memcpy(&b, sc + 2 * t + VL, sizeof b);                                  \
                VT ev = __builtin_shufflevector(a, b, FC_LANES(EVEN, NL));              \
                VT od = __builtin_shufflevector(a, b, FC_LANES(ODD, NL));               \
                if (t + VL == nv) {                                                     \
                    ev = (VT)((fc_vi_##SFX)ev & mask[0]);                               \
                    od = (VT)((fc_vi_##SFX)od & mask[1]);                               \
                }                                                                       \
                memcpy(d[0] + clo + t, &ev, sizeof ev);                                 \
                if (over) /* slot 1 after all of slot 0's overshoot */                  \
                    continue;                                                           \
                memcpy(d[1] + clo + t, &od, sizeof od);                                 \
            }                                                                           \
            for (int64_t t = 0; t < (over ? nv : 0); t += VL) {                         \
                VT a, b;                                                                \
                memcpy(&a, sc + 2 * t, sizeof a);                                       \
                memcpy(&b, sc + 2 * t + VL, sizeof b);                                  \
                VT od = __builtin_shufflevector(a, b, FC_LANES(ODD, NL));               \
                if (t + VL == nv)                                                       \
                    od = (VT)((fc_vi_##SFX)od & mask[1]);                               \
                memcpy(d[1] + clo + t, &od, sizeof od);                                 \
            }                                                                           \
            for (int q = 0; q < 2; q++) { /* the edges outside the vectors */            \
                for (int64_t t = 0; t < clo; t++)                                       \
                    d[q][t] = t >= tlo[q] && t < thi[q] ? s[2 * t + q + e] : (T)0;      \
                for (int64_t t = clo + nv; t < len; t++)                                \
                    d[q][t] = t < thi[q] ? s[2 * t + q + e] : (T)0;                     \
            }                                                                           \
        }                                                                               \
    }
FC_DEFINE_PANEL_ROWS2_WHOLE(float, fc_vf, FC_V32, FC_L32, f32)
FC_DEFINE_PANEL_ROWS2_WHOLE(double, fc_vd, FC_V64, FC_L64, f64)
#define FC_ROWS2_WHOLE(SFX, ...) (panel_rows2_whole_##SFX(__VA_ARGS__), 1)
#define FC_DEFINE_DW3X3S2P1(T, VT, VL, NL, SFX)                                    \
    /* one kernel row: acc + tap0 * O(shifted) + tap1 * E + tap2 * O */                \
    FC_UK_INLINE VT dw3s2_row_##SFX(VT acc, const T *p, VT *prev, const VT *w,          \
                                    const int masked, fc_vi_##SFX ma, fc_vi_##SFX mb)   \
    {                                                                                   \
        VT a, b;                                                                        \
        memcpy(&a, p, sizeof a);                                                        \
        memcpy(&b, p + VL, sizeof b);                                                   \
        if (masked) {                                                                   \
            a = (VT)((fc_vi_##SFX)a & ma);                                              \
            b = (VT)((fc_vi_##SFX)b & mb);                                              \
        }                                                                               \
        const VT e = __builtin_shufflevector(a, b, FC_LANES(EVEN, NL));                 \
        const VT o = __builtin_shufflevector(a, b, FC_LANES(ODD, NL));                  \
        const VT o1 = __builtin_shufflevector(*prev, o, FC_LANES(UP1, NL));             \
        *prev = o;                                                                      \
        return acc + o1 * w[0] + e * w[1] + o * w[2];                                   \
    }                                                                                   \
    FC_UK_INLINE void dw3s2_chunk_##SFX(const int masked, const T *const *rp, int64_t col, \
                                        VT *prev, const VT *w, T bias, fc_vi_##SFX ma,  \
                                        fc_vi_##SFX mb, T *o, int64_t n)                \
    {                                                                                   \
        /* a chain per kernel row: three independent FMA chains */                     \
        const VT a0 = dw3s2_row_##SFX((VT){0} + bias, rp[0] + col, &prev[0], w, masked, ma, mb); \
        const VT a1 = dw3s2_row_##SFX((VT){0}, rp[1] + col, &prev[1], w + 3, masked, ma, mb); \
        const VT a2 = dw3s2_row_##SFX((VT){0}, rp[2] + col, &prev[2], w + 6, masked, ma, mb); \
        const VT s = a0 + a1 + a2;                                                      \
        dw_store_##SFX(o, &s, n);                                                       \
    }                                                                                   \
    static void dw3x3s2p1_rows_##SFX(int64_t nplanes, int64_t nrows, int64_t wo,       \
                                     int64_t W, const T *const *rp, const T *wt,        \
                                     const T *bias, T *out, int64_t out_cstride)        \
    {                                                                                   \
        const int64_t nch = (wo + VL - 1) / VL, clast = 2 * (nch - 1) * VL;             \
        fc_vi_##SFX ma, mb; /* lanes of the last chunk inside the row */               \
        for (int l = 0; l < VL; l++) {                                                  \
            ma[l] = clast + l < W ? -1 : 0;                                             \
            mb[l] = clast + VL + l < W ? -1 : 0;                                        \
        }                                                                               \
        const int contiguous = out_cstride == nrows * wo;                               \
        for (int64_t q = 0; q < nplanes; q++) {                                         \
            VT w[9];                                                                    \
            dw_splat_##SFX(w, wt + 9 * q, 9);                                           \
            const T b = bias ? bias[q] : (T)0;                                          \
            const T *const *rq = rp + 3 * nrows * q;                                    \
            /* this plane's elements writable from its start: the later planes too  \
               when they follow it */                                               \
            const int64_t room = (contiguous ? nplanes - q : 1) * nrows * wo;           \
            for (int64_t r = 0; r < nrows; r++) {                                       \
                VT prev[3] = {{0}, {0}, {0}}; /* column -1: the left padding */         \
                T *o = out + q * out_cstride + r * wo;                                  \
                for (int64_t c = 0; c + 1 < nch; c++)                                   \
                    dw3s2_chunk_##SFX(0, rq + 3 * r, 2 * c * VL, prev, w, b, ma, mb,    \
                                      o + c * VL, VL);                                  \
                /* a last partial vector may spill into the rows after it (written \
                   later) when it stays inside this call's rows */                    \
                const int64_t nlast = dw_room_lanes(r, wo, (nch - 1) * VL, VL, room);   \
                dw3s2_chunk_##SFX(1, rq + 3 * r, clast, prev, w, b, ma, mb,             \
                                  o + (nch - 1) * VL, nlast);                           \
            }                                                                           \
        }                                                                               \
    }
/* Depthwise KxK, stride 1, dilation 1, any horizontal padding pw,
 * read straight from the NCHW input rows (no panel): output column ow, tap j reads
 * column ow - pw + j with an unaligned load; in the chunks at the row's edges the
 * lanes outside [0, W) are masked to zero (the padding), with masks computed once
 * per call.  Output rows go in groups of FC_DWI_R sharing their K-1+R input rows
 * (each load feeds a kernel row of each).  With 32 registers, pairs of rows,
 * each sum split over even and odd kernel rows for four independent FMA chains
 * per vector; with 16 (AVX2, SSE2), groups of four rows and one chain per row:
 * nine weights, four accumulators and the loaded vector fit, loads per output
 * vector fall from 6 to 4.5, and the four chains keep the FMA units busy
 * (Zen 3, 3x3 float rows in L1: 1.23-1.33x the pairs' throughput).  Either way a
 * row's sum does not depend on its place in a group, which moves with the row
 * blocks, i.e. the thread count.  The edge chunks run first, from the last to
 * the first, so a partial last vector may spill into the next row, written later
 * (or the next plane's first row: several planes per call, see ukernel.h); then
 * the interior, whose loop holds loads and FMAs only (with per-chunk branches
 * and masks in it, 16 registers spilled the weights: 1.47x slower).
 * Instantiated for 3x3: 5x5 measured no faster than the panel path (its 25
 * weights leave too few registers). */
#if FC_MAX_ACC >= 24
#define FC_DWI_R 2
#define FC_DWI_CH2 1
#else
#define FC_DWI_R 4
#define FC_DWI_CH2 0
#endif
#define FC_DEFINE_DWI(T, VT, VL, SFX, K)                                               \
    /* R output rows (o, its rows wo apart; row q stores n[q] lanes) from the       \
       input rows rp[0 .. R+K-2], chunk at input column col */                        \
    FC_UK_INLINE void dwi_chunk_##SFX##_##K(const int masked, const int R, const int part, \
                                            const T *const *rp, int64_t col,            \
                                            const fc_vi_##SFX *mk, const VT *wv, T bias, \
                                            T *o, int64_t wo, const int64_t *n)         \
    {                                                                                   \
        VT a[FC_DWI_R][2], v;                                                           \
        for (int q = 0; q < R; q++) {                                                   \
            a[q][0] = (VT){0} + bias;                                                   \
            a[q][1] = (VT){0};                                                          \
        }                                                                               \
        _Pragma("GCC unroll 8") for (int u = 0; u < R + K - 1; u++) {                   \
            _Pragma("GCC unroll 5") for (int j = 0; j < K; j++) {                       \
                memcpy(&v, rp[u] + col + j, sizeof v);                                  \
                if (masked)                                                             \
                    v = (VT)((fc_vi_##SFX)v & mk[j]);                                   \
                /* kernel row i = u - q of output row q */                             \
                _Pragma("GCC unroll 4") for (int q = 0; q < R; q++) {                   \
                    const int i = u - q;                                                \
                    if (i >= 0 && i < K)                                                \
                        a[q][FC_DWI_CH2 ? i & 1 : 0] += v * wv[i * K + j];               \
                }                                                                       \
            }                                                                           \
        }                                                                               \
        for (int q = 0; q < R; q++) { /* in order: row q spills into row q + 1 */       \
            const VT sq = FC_DWI_CH2 ? a[q][0] + a[q][1] : a[q][0];                     \
            dw_store_##SFX(o + q * wo, &sq, part ? n[q] : VL);                          \
        }                                                                               \
    }                                                                                   \
    /* R rows from row r of a plane (its first input row p[0]): the edge chunks,     \
       right to left, then the interior */                                          \
    FC_UK_INLINE void dwi_group_##SFX##_##K(const int R, int64_t r, int64_t wo,         \
                                            int64_t pw, int64_t nch, int64_t lead,      \
                                            int64_t trail, fc_vi_##SFX (*mk)[K],        \
                                            const T *const *p, const VT *wv, T b,       \
                                            T *o, int64_t room)                         \
    {                                                                                   \
        const int ne = (int)(lead + nch - trail);                                       \
        for (int e = 0; e < ne; e++) {                                                  \
            const int64_t c = e < nch - trail ? nch - 1 - e : ne - 1 - e, oc = c * VL;  \
            const fc_vi_##SFX *m = mk[c < lead ? c : lead + (c - trail)];              \
            /* lanes past wo spill when they stay in the room: whole vectors unless   \
               the group's last row is at the room's end (a store through a buffer  \
               sends the sums through the stack: edges cost 2.5 interior chunks) */ \
            if (dw_room_lanes(r + R - 1, wo, oc, VL, room) == VL) {                     \
                dwi_chunk_##SFX##_##K(1, R, 0, p, oc - pw, m, wv, b, o + oc, wo, NULL); \
            } else {                                                                    \
                int64_t n[FC_DWI_R];                                                    \
                for (int q = 0; q < R; q++)                                             \
                    n[q] = dw_room_lanes(r + q, wo, oc, VL, room);                      \
                dwi_chunk_##SFX##_##K(1, R, 1, p, oc - pw, m, wv, b, o + oc, wo, n);    \
            }                                                                           \
        }                                                                               \
        for (int64_t c = trail - 1; c >= lead; c--)                                     \
            dwi_chunk_##SFX##_##K(0, R, 0, p, c * VL - pw, mk[0], wv, b, o + c * VL, wo, NULL); \
    }                                                                                   \
    static void dwi_rows_##SFX##_##K(int64_t nplanes, int64_t nrows, int64_t wo,       \
                                     int64_t W, int64_t pw, const T *const *rp,         \
                                     const T *wt, const T *bias, T *out,                \
                                     int64_t out_cstride)                               \
    {                                                                                   \
        const int64_t nch = (wo + VL - 1) / VL;                                         \
        /* chunks [lead, trail) need no mask; mk[] holds the others' in order */      \
        fc_vi_##SFX mk[FC_DWI_MAX_EDGE][K];                                             \
        int64_t lead = 0, trail = nch;                                                  \
        while (lead < nch && lead * VL - pw < 0)                                        \
            lead++;                                                                     \
        while (trail > lead && (trail - 1) * VL - pw + VL + K - 2 >= W)                 \
            trail--;                                                                    \
        fc_vi_##SFX iota;                                                               \
        for (int l = 0; l < VL; l++)                                                    \
            iota[l] = l;                                                                \
        int ne = 0;                                                                     \
        for (int64_t c = 0; c < nch; c++) {                                             \
            if (c >= lead && c < trail)                                                 \
                continue;                                                               \
            for (int j = 0; j < K; j++) { /* lanes l in [lo, hi) are columns in [0, W) */ \
                const int64_t col0 = c * VL - pw + j;                                   \
                const int lo = (int)(col0 >= 0 ? 0 : -col0 < VL ? -col0 : VL);          \
                const int hi = (int)(W - col0 <= 0 ? 0 : W - col0 < VL ? W - col0 : VL); \
                mk[ne][j] = (iota >= lo) & (iota < hi);                                 \
            }                                                                           \
            ne++;                                                                       \
        }                                                                               \
        const int contiguous = out_cstride == nrows * wo;                               \
        for (int64_t q = 0; q < nplanes; q++) {                                         \
            VT wv[K * K];                                                               \
            dw_splat_##SFX(wv, wt + K * K * q, K * K);                                  \
            const T b = bias ? bias[q] : (T)0;                                          \
            /* this plane's elements writable from its start: the later planes too  \
               when they follow it */                                               \
            const int64_t room = (contiguous ? nplanes - q : 1) * nrows * wo;           \
            const T *const *p = rp + (nrows + K - 1) * q;                               \
            T *o = out + q * out_cstride;                                               \
            int64_t r = 0;                                                              \
            for (; r + FC_DWI_R <= nrows; r += FC_DWI_R)                                \
                dwi_group_##SFX##_##K(FC_DWI_R, r, wo, pw, nch, lead, trail, mk, p + r, \
                                      wv, b, o + r * wo, room);                         \
            const int64_t left = nrows - r;                                             \
            if (FC_DWI_R > 3 && left == 3)                                              \
                dwi_group_##SFX##_##K(3, r, wo, pw, nch, lead, trail, mk, p + r, wv, b, \
                                      o + r * wo, room);                                \
            else if (FC_DWI_R > 2 && left == 2)                                         \
                dwi_group_##SFX##_##K(2, r, wo, pw, nch, lead, trail, mk, p + r, wv, b, \
                                      o + r * wo, room);                                \
            else if (left == 1)                                                         \
                dwi_group_##SFX##_##K(1, r, wo, pw, nch, lead, trail, mk, p + r, wv, b, \
                                      o + r * wo, room);                                \
        }                                                                               \
    }
#if FC_VBYTES != 32 /* AVX2 float has its own (below) */
FC_DEFINE_DW3X3S2P1(float, fc_vf, FC_V32, FC_L32, f32)
#endif
/* 3x3 stride 2 (padding 1) for 8 floats in 32-byte vectors (AVX2), the
 * contract of dw3x3s2p1_rows plus rows readable from column -2.  The generic
 * kernel above deinterleaves with lane-crossing shuffles (two ops each on
 * x86) and keeps a carried vector per kernel row, which spills with 16
 * registers.  Here each input row gives three vectors with one in-lane shufps
 * each: its even columns, its odd columns, and the odd columns of the loads two
 * columns back (column 2*ow - 1), all in the lane order of shufps (output
 * columns 0 1 4 5 2 3 6 7 of a chunk), which the accumulator keeps until one
 * vpermpd before the store.  Output rows go in groups of four sharing their
 * nine input rows (rows a vertical stride of 2 apart; otherwise one by one);
 * each row's three taps sum first, then the rows in order, so that a sum does
 * not depend on the row's place in a group.  Zen 3, float, 1 thread, in one
 * process: 144x56x56 1.46-1.59x the generic kernel, 1.18x dwc; 32x112x112
 * 1.34x dwc; 28 and 14 columns (two chunks or one, both edges) 0.72-0.88x
 * dwc, which runs those (fc_dwc_applies). */
#if FC_VBYTES == 32
#define FC_S2L_EVEN 0, 2, 8, 10, 4, 6, 12, 14
#define FC_S2L_ODD 1, 3, 9, 11, 5, 7, 13, 15
#define FC_S2L_UNDO 0, 1, 4, 5, 2, 3, 6, 7
#define FC_S2L_R 4
/* the three tap vectors of the input row at x (chunk's first even column);
   masked: bit 0, column -1 (the first chunk), bit 1, column W (the last, odd
   W): in the other lanes the columns are inside the row or belong to outputs
   past wo, never stored or overwritten later (the spill of dw_store) */
FC_UK_INLINE void dws2l_taps(const int masked, const float *x, const fc_vi_f32 *m, fc_vf *t)
{
    fc_vf a, b, a2, b2;
    memcpy(&a, x, sizeof a);
    memcpy(&b, x + 8, sizeof b);
    memcpy(&a2, x - 2, sizeof a2);
    memcpy(&b2, x + 6, sizeof b2);
    t[0] = __builtin_shufflevector(a2, b2, FC_S2L_ODD); /* column 2*ow - 1 */
    t[1] = __builtin_shufflevector(a, b, FC_S2L_EVEN);  /* 2*ow */
    t[2] = __builtin_shufflevector(a, b, FC_S2L_ODD);   /* 2*ow + 1 */
    if (masked & 1)
        t[0] = (fc_vf)((fc_vi_f32)t[0] & m[0]);
    if (masked & 2)
        t[2] = (fc_vf)((fc_vi_f32)t[2] & m[1]);
}
/* R output rows (o, rows wo apart) from input rows x[0 .. 2R], chunk c */
FC_UK_INLINE void dws2l_chunk(const int masked, const int R, const int part,
                              const float *const *x, int64_t c, const fc_vi_f32 *m,
                              const fc_vf *w, float bias, float *o, int64_t wo, const int64_t *n)
{
    fc_vf acc[FC_S2L_R], t[3];
    for (int q = 0; q < R; q++)
        acc[q] = (fc_vf){0} + bias;
    _Pragma("GCC unroll 9") for (int u = 0; u < 2 * R + 1; u++) {
        dws2l_taps(masked, x[u] + 16 * c, m, t);
        _Pragma("GCC unroll 4") for (int q = 0; q < R; q++) {
            const int i = u - 2 * q; /* kernel row i of output row q */
            if (i >= 0 && i < 3) {
                fc_vf s = t[0] * w[3 * i];
                s += t[1] * w[3 * i + 1];
                s += t[2] * w[3 * i + 2];
                acc[q] += s;
            }
        }
    }
    for (int q = 0; q < R; q++) { /* in order: row q spills into row q + 1 */
        const fc_vf v = __builtin_shufflevector(acc[q], acc[q], FC_S2L_UNDO);
        dw_store_f32(o + q * wo + 8 * c, &v, part ? n[q] : 8);
    }
}
/* rows [r, r + R) of a plane; x: their 2R + 1 input rows */
FC_UK_INLINE void dws2l_group(const int R, int64_t r, int64_t wo, int64_t nch,
                              const fc_vi_f32 *mk, const float *const *x, const fc_vf *w,
                              float b, float *o, int64_t room)
{
    /* the last chunk (with the first when it is the only one), then the first */
    const int64_t oc = 8 * (nch - 1);
    if (dw_room_lanes(r + R - 1, wo, oc, 8, room) == 8) {
        if (nch > 1)
            dws2l_chunk(2, R, 0, x, nch - 1, mk, w, b, o, wo, NULL);
        else
            dws2l_chunk(3, R, 0, x, 0, mk, w, b, o, wo, NULL);
    } else {
        int64_t n[FC_S2L_R];
        for (int q = 0; q < R; q++)
            n[q] = dw_room_lanes(r + q, wo, oc, 8, room);
        dws2l_chunk(nch > 1 ? 2 : 3, R, 1, x, nch - 1, mk, w, b, o, wo, n);
    }
    if (nch > 1)
        dws2l_chunk(1, R, 0, x, 0, mk, w, b, o, wo, NULL);
    for (int64_t c = 1; c + 1 < nch; c++)
        dws2l_chunk(0, R, 0, x, c, mk, w, b, o, wo, NULL);
}
static void dw3x3s2p1_lanes_rows_f32(int64_t nplanes, int64_t nrows, int64_t wo, int64_t W,
                                     const float *const *rp, const float *wt,
                                     const float *bias, float *out, int64_t out_cstride)
{
    static const int lane_ow[8] = {0, 1, 4, 5, 2, 3, 6, 7};
    const int64_t nch = (wo + 7) / 8;
    fc_vi_f32 mk[2]; /* column 2*ow - 1 of the first chunk, 2*ow + 1 of the last */
    for (int l = 0; l < 8; l++) {
        mk[0][l] = 2 * lane_ow[l] - 1 >= 0 ? -1 : 0;
        mk[1][l] = 2 * (8 * (nch - 1) + lane_ow[l]) + 1 < W ? -1 : 0;
    }
    const int contiguous = out_cstride == nrows * wo;
    for (int64_t q = 0; q < nplanes; q++) {
        fc_vf w[9];
        dw_splat_f32(w, wt + 9 * q, 9);
        const float b = bias ? bias[q] : 0.0f;
        /* this plane's elements writable from its start: the later planes too
           when they follow it */
        const int64_t room = (contiguous ? nplanes - q : 1) * nrows * wo;
        const float *const *p = rp + 3 * nrows * q;
        float *o = out + q * out_cstride;
        int64_t r = 0;
        for (; r + FC_S2L_R <= nrows; r += FC_S2L_R) {
            const float *x[2 * FC_S2L_R + 1];
            int shared = 1; /* output rows two input rows apart */
            for (int u = 0; u < 2 * FC_S2L_R + 1; u++) {
                const int64_t k = u == 2 * FC_S2L_R ? 3 * (FC_S2L_R - 1) + 2
                                                    : 3 * (u / 2) + (u & 1);
                x[u] = p[3 * r + k];
                if (u >= 2 && !(u & 1) && u < 2 * FC_S2L_R)
                    shared &= p[3 * r + 3 * (u / 2)] == p[3 * r + 3 * (u / 2 - 1) + 2];
            }
            if (shared) {
                dws2l_group(FC_S2L_R, r, wo, nch, mk, x, w, b, o + r * wo, room);
                continue;
            }
            for (int64_t rr = r; rr < r + FC_S2L_R; rr++)
                dws2l_group(1, rr, wo, nch, mk, p + 3 * rr, w, b, o + rr * wo, room);
        }
        for (; r < nrows; r++)
            dws2l_group(1, r, wo, nch, mk, p + 3 * r, w, b, o + r * wo, room);
    }
}
#endif
FC_DEFINE_DW3X3S2P1(double, fc_vd, FC_V64, FC_L64, f64)
FC_DEFINE_DWI(float, fc_vf, FC_V32, f32, 3)
FC_DEFINE_DWI(double, fc_vd, FC_V64, f64, 3)

/* Depthwise on channel vectors ("dwc", see ukernel.h): V channels of an image at
 * a time as pixel vectors, so that every load is one aligned vector.  The
 * width-vector kernels above load unaligned vectors, which split cache lines
 * (about two cycles each on this project's machine), and waste lanes when a row
 * is not a multiple of V wide; here each loaded pixel feeds up to K of a
 * chunk's CW accumulators.  The transposes between NCHW planes and pixel
 * vectors are VxV register transposes: log2(V) rounds of two-vector shuffles
 * that swap HxH blocks (FC_TRA/FC_TRB_<V>_<H>: the lanes of rows i and i+H). */
#define FC_TRA_2_1 0, 2
#define FC_TRB_2_1 1, 3
#define FC_TRA_4_2 0, 1, 4, 5
#define FC_TRB_4_2 2, 3, 6, 7
#define FC_TRA_4_1 0, 4, 2, 6
#define FC_TRB_4_1 1, 5, 3, 7
#define FC_TRA_8_4 0, 1, 2, 3, 8, 9, 10, 11
#define FC_TRB_8_4 4, 5, 6, 7, 12, 13, 14, 15
#define FC_TRA_8_2 0, 1, 8, 9, 4, 5, 12, 13
#define FC_TRB_8_2 2, 3, 10, 11, 6, 7, 14, 15
#define FC_TRA_8_1 0, 8, 2, 10, 4, 12, 6, 14
#define FC_TRB_8_1 1, 9, 3, 11, 5, 13, 7, 15
#define FC_TRA_16_8 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define FC_TRB_16_8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define FC_TRA_16_4 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define FC_TRB_16_4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define FC_TRA_16_2 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define FC_TRB_16_2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define FC_TRA_16_1 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define FC_TRB_16_1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define FC_TR_STAGE(VT, r, NL, H)                                                      \
    _Pragma("GCC unroll 16") for (int i_ = 0; i_ < NL; i_++) if (!(i_ & H)) {           \
        const VT a_ = r[i_], b_ = r[i_ + H];                                            \
        r[i_] = __builtin_shufflevector(a_, b_, FC_TRA_##NL##_##H);                     \
        r[i_ + H] = __builtin_shufflevector(a_, b_, FC_TRB_##NL##_##H);                 \
    }
/* the stages with H < LIM (the stages commute: each swaps one bit of the row
   index with that bit of the lane index) */
#define FC_TRL_STAGE(VT, r, NL, H, LIM) if (H < LIM) { FC_TR_STAGE(VT, r, NL, H) }
#define FC_TR_16(VT, r, LIM)                                                            \
    FC_TRL_STAGE(VT, r, 16, 8, LIM) FC_TRL_STAGE(VT, r, 16, 4, LIM)                     \
    FC_TRL_STAGE(VT, r, 16, 2, LIM) FC_TRL_STAGE(VT, r, 16, 1, LIM)
#define FC_TR_8_BLOCKS(VT, r, LIM)                                                      \
    FC_TRL_STAGE(VT, r, 8, 4, LIM) FC_TRL_STAGE(VT, r, 8, 2, LIM) FC_TRL_STAGE(VT, r, 8, 1, LIM)
/* 8x8 in 32-byte vectors (AVX2 float): x86 has no one-op shuffle for the
   1-lane block swap (GCC emits two), so there the sequence that follows the
   128-bit lanes -- interleaves within the lanes (unpcklps/unpckhps), then pairs
   (shufps), then the halves (vperm2f128) -- 24 one-op shuffles instead of 32
   (Zen 3, float dwc: 144x56x56 stride 2 1.02-1.03x, 576x14x14 1.04-1.06x;
   dense layers whose oc-vector tiles store through them unchanged) */
#define FC_TR8_LO 0, 8, 1, 9, 4, 12, 5, 13
#define FC_TR8_HI 2, 10, 3, 11, 6, 14, 7, 15
#define FC_TR8_P0 0, 1, 8, 9, 4, 5, 12, 13
#define FC_TR8_P1 2, 3, 10, 11, 6, 7, 14, 15
#define FC_TR8_H0 0, 1, 2, 3, 8, 9, 10, 11
#define FC_TR8_H1 4, 5, 6, 7, 12, 13, 14, 15
#define FC_TR_8_LANES(VT, r)                                                            \
    {                                                                                   \
        VT t_[8], u_[8];                                                                \
        _Pragma("GCC unroll 4") for (int i_ = 0; i_ < 8; i_ += 2) {                     \
            t_[i_] = __builtin_shufflevector(r[i_], r[i_ + 1], FC_TR8_LO);              \
            t_[i_ + 1] = __builtin_shufflevector(r[i_], r[i_ + 1], FC_TR8_HI);          \
        }                                                                               \
        _Pragma("GCC unroll 2") for (int i_ = 0; i_ < 8; i_ += 4) {                     \
            u_[i_] = __builtin_shufflevector(t_[i_], t_[i_ + 2], FC_TR8_P0);            \
            u_[i_ + 1] = __builtin_shufflevector(t_[i_], t_[i_ + 2], FC_TR8_P1);        \
            u_[i_ + 2] = __builtin_shufflevector(t_[i_ + 1], t_[i_ + 3], FC_TR8_P0);    \
            u_[i_ + 3] = __builtin_shufflevector(t_[i_ + 1], t_[i_ + 3], FC_TR8_P1);    \
        }                                                                               \
        _Pragma("GCC unroll 4") for (int i_ = 0; i_ < 4; i_++) {                        \
            r[i_] = __builtin_shufflevector(u_[i_], u_[i_ + 4], FC_TR8_H0);             \
            r[i_ + 4] = __builtin_shufflevector(u_[i_], u_[i_ + 4], FC_TR8_H1);         \
        }                                                                               \
    }
#if FC_VBYTES == 32 /* LIM is 8 there: no FC_DWC_HALVES */
#define FC_TR_8(VT, r, LIM) FC_TR_8_LANES(VT, r)
#else
#define FC_TR_8(VT, r, LIM) FC_TR_8_BLOCKS(VT, r, LIM)
#endif
#define FC_TR_4(VT, r, LIM) FC_TRL_STAGE(VT, r, 4, 2, LIM) FC_TRL_STAGE(VT, r, 4, 1, LIM)
#define FC_TR_2(VT, r, LIM) FC_TRL_STAGE(VT, r, 2, 1, LIM)
#define FC_TR_(NL, VT, r, LIM) FC_TR_##NL(VT, r, LIM)
#define FC_TR(NL, VT, r, LIM) FC_TR_(NL, VT, r, LIM)
/* An ISA file may define FC_DWC_HALVES with
     FC_LOAD_HALVES_<sfx>(lo, hi): the vector of the half vectors at lo and hi,
     FC_STORE_LO_<sfx>(p, v), FC_STORE_HI_<sfx>(p, v): a half of v stored at p;
   the transposes' first stage (H = V/2) is then done by these loads and stores:
   vector i is the low halves of rows i and i + V/2, vector i + V/2 their high
   halves.  x86 inserts a half from memory on two ports and stores one on the
   store ports, where every in-register shuffle of 32- and 64-byte vectors runs on
   port 5 (and GCC fuses half-vector shufflevectors back into such shuffles).
   Measured on AVX-512: 672x14x14 5x5 1.06x, 1152x7x7 5x5 1.11x, 960x7x7 3x3
   1.09x, 28x28 planes 1.01x; on AVX2 (16-byte halves) no gain, so not used. */
#ifdef FC_DWC_HALVES
#define FC_DWC_TR_LIM(VL) ((VL) / 2)
#define FC_DWC_LOAD_HALVES(SFX, VT, lo, hi) FC_LOAD_HALVES_##SFX(lo, hi)
#define FC_DWC_STORE_LO(SFX, p, v) FC_STORE_LO_##SFX(p, v)
#define FC_DWC_STORE_HI(SFX, p, v) FC_STORE_HI_##SFX(p, v)
#else /* never reached (the branches using them are dead) */
#define FC_DWC_TR_LIM(VL) (VL)
#define FC_DWC_LOAD_HALVES(SFX, VT, lo, hi) ((VT){0} * *(lo) * *(hi))
#define FC_DWC_STORE_LO(SFX, p, v) ((void)(p), (void)(v))
#define FC_DWC_STORE_HI(SFX, p, v) ((void)(p), (void)(v))
#endif
#define FC_DEFINE_DWC(T, VT, VL, NL, SFX)                                               \
    /* channel rows row(c) + f, VL of them -> pixel vectors v */                  \
    FC_UK_INLINE void dwc_load_rows_##SFX(const int FULL, const T *src, int64_t cstride, \
                                          const T *const *sp, int64_t f, VT *v)         \
    {                                                                                   \
        enum { H_ = VL / 2 };                                                           \
        if (FC_DWC_TR_LIM(VL) < VL) {                                                   \
            _Pragma("GCC unroll 16") for (int i = 0; i < H_; i++) {                     \
                const T *a = (FULL ? src + i * cstride : sp[i]) + f;                    \
                const T *b = (FULL ? src + (i + H_) * cstride : sp[i + H_]) + f;        \
                v[i] = FC_DWC_LOAD_HALVES(SFX, VT, a, b);                               \
                v[i + H_] = FC_DWC_LOAD_HALVES(SFX, VT, a + H_, b + H_);                \
            }                                                                           \
        } else {                                                                        \
            _Pragma("GCC unroll 16") for (int c = 0; c < VL; c++)                       \
                memcpy(&v[c], (FULL ? src + c * cstride : sp[c]) + f, sizeof v[c]);     \
        }                                                                               \
        FC_TR(NL, VT, v, FC_DWC_TR_LIM(VL))                                             \
    }                                                                                   \
    /* FULL: all V channels, addressed from src (the pointers of a partial block, \
       its lanes past nc repeating the last channel, would not stay in registers) */ \
    FC_UK_INLINE void dwc_pack_body_##SFX(const int FULL, const T *src, int64_t cstride, \
                                          const T *const *sp, int64_t npix, int64_t w,  \
                                          T *dst, int64_t dst_pitch)                    \
    {                                                                                   \
        int64_t r = 0, x = 0; /* pixel f's row and column */                           \
        for (int64_t f = 0; f < npix; f += VL) {                                        \
            if (f + VL > npix) { /* the last chunk overlaps the one before */           \
                f = npix - VL;                                                          \
                r = f / w;                                                              \
                x = f - r * w;                                                          \
            }                                                                           \
            VT v[VL];                                                                   \
            dwc_load_rows_##SFX(FULL, src, cstride, sp, f, v);                          \
            _Pragma("GCC unroll 16") for (int i = 0; i < VL; i++) {                     \
                memcpy(dst + r * dst_pitch + x * VL, &v[i], sizeof v[i]);               \
                if (++x == w) {                                                         \
                    x = 0;                                                              \
                    r++;                                                                \
                }                                                                       \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
    static void dwc_pack_##SFX(const T *src, int64_t cstride, int64_t nc, int64_t npix,  \
                               int64_t w, T *dst, int64_t dst_pitch)                    \
    {                                                                                   \
        const T *sp[VL]; /* lanes past nc repeat the last channel (never stored) */    \
        for (int c = 0; c < VL; c++)                                                    \
            sp[c] = src + (c < nc ? c : nc - 1) * cstride;                              \
        if (npix < VL) {                                                                \
            for (int64_t f = 0; f < npix; f++)                                          \
                for (int c = 0; c < VL; c++)                                            \
                    dst[f / w * dst_pitch + f % w * VL + c] = sp[c][f];                 \
        } else if (nc == VL) {                                                          \
            dwc_pack_body_##SFX(1, src, cstride, sp, npix, w, dst, dst_pitch);          \
        } else {                                                                        \
            dwc_pack_body_##SFX(0, src, cstride, sp, npix, w, dst, dst_pitch);          \
        }                                                                               \
    }                                                                                   \
    /* pixel vectors src + f*lds (f < npix), plus the bias lanes when given ->     \
       lanes c < nc at dst + c*cstride + f: the transposes of dwc_unpack and of   \
       the oc-vector form's result store (tile_unpack) */                        \
    FC_UK_INLINE void unpack_body_##SFX(const T *src, int64_t lds, int64_t npix,        \
                                        const T *bias, T *dst, int64_t cstride,         \
                                        int64_t nc)                                     \
    {                                                                                   \
        VT bv = (VT){0};                                                                \
        if (bias)                                                                       \
            for (int64_t c = 0; c < nc && c < VL; c++)                                  \
                bv[c] = bias[c];                                                        \
        if (npix < VL) {                                                                \
            for (int64_t f = 0; f < npix; f++)                                          \
                for (int64_t c = 0; c < nc; c++)                                        \
                    dst[c * cstride + f] = bias ? src[f * lds + c] + bv[c] : src[f * lds + c]; \
            return;                                                                     \
        }                                                                               \
        for (int64_t f = 0; f < npix; f += VL) {                                        \
            const int64_t fs = f + VL <= npix ? f : npix - VL;                          \
            VT v[VL];                                                                   \
            _Pragma("GCC unroll 16") for (int i = 0; i < VL; i++) {                     \
                memcpy(&v[i], src + (fs + i) * lds, sizeof v[i]);                       \
                if (bias)                                                               \
                    v[i] += bv;                                                         \
            }                                                                           \
            FC_TR(NL, VT, v, FC_DWC_TR_LIM(VL))                                         \
            if (FC_DWC_TR_LIM(VL) < VL) { /* the first stage, by half stores */          \
                enum { H_ = VL / 2 };                                                   \
                _Pragma("GCC unroll 16") for (int i = 0; i < H_; i++) {                 \
                    if (i < nc) {                                                       \
                        FC_DWC_STORE_LO(SFX, dst + i * cstride + fs, v[i]);             \
                        FC_DWC_STORE_LO(SFX, dst + i * cstride + fs + H_, v[i + H_]);   \
                    }                                                                   \
                    if (i + H_ < nc) {                                                  \
                        FC_DWC_STORE_HI(SFX, dst + (i + H_) * cstride + fs, v[i]);      \
                        FC_DWC_STORE_HI(SFX, dst + (i + H_) * cstride + fs + H_, v[i + H_]); \
                    }                                                                   \
                }                                                                       \
            } else {                                                                    \
                _Pragma("GCC unroll 16") for (int c = 0; c < VL; c++)                   \
                    if (c < nc)                                                         \
                        memcpy(dst + c * cstride + fs, &v[c], sizeof v[c]);             \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
    static void dwc_unpack_##SFX(const T *src, int64_t npix, T *dst, int64_t cstride,    \
                                 int64_t nc)                                            \
    {                                                                                   \
        unpack_body_##SFX(src, VL, npix, NULL, dst, cstride, nc);                       \
    }                                                                                   \
    static void tile_unpack_##SFX(const T *src, int64_t lds, int64_t npix, const T *bias, \
                                  T *dst, int64_t cstride, int64_t nc)                  \
    {                                                                                   \
        if (bias)                                                                       \
            unpack_body_##SFX(src, lds, npix, bias, dst, cstride, nc);                  \
        else                                                                            \
            unpack_body_##SFX(src, lds, npix, NULL, dst, cstride, nc);                  \
    }                                                                                   \
    /* NHWC: pixels are channel vectors already -- copies, V lanes at a time    \
       (lanes past nc: zero in the panel, not stored out) */                   \
    static void dwc_gather_##SFX(const T *src, int64_t pix_stride, int64_t nc, int64_t npix, \
                                 T *dst)                                        \
    {                                                                                   \
        for (int64_t f = 0; f < npix; f++) {                                            \
            if (nc == VL) {                                                             \
                memcpy(dst + f * VL, src + f * pix_stride, sizeof(VT));                 \
            } else {                                                                    \
                for (int64_t l = 0; l < VL; l++)                                        \
                    dst[f * VL + l] = l < nc ? src[f * pix_stride + l] : (T)0;          \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
    static void dwc_scatter_##SFX(const T *src, int64_t npix, T *dst, int64_t pix_stride, \
                                  int64_t nc)                                           \
    {                                                                                   \
        for (int64_t f = 0; f < npix; f++) {                                            \
            if (nc == VL) {                                                             \
                memcpy(dst + f * pix_stride, src + f * VL, sizeof(VT));                 \
            } else {                                                                    \
                for (int64_t l = 0; l < nc; l++)                                        \
                    dst[f * pix_stride + l] = src[f * VL + l];                          \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
    /* CW output pixels of one row: kernel row by kernel row (D panel rows     \
       apart), each panel pixel j of the row is loaded once and feeds           \
       accumulator (j - kx*D)/S for every tap kx it is under */                \
    FC_UK_INLINE void dwc_chunk_##SFX(const int K, const int S, const int D, const int CW, \
                                      int64_t ps, int64_t os, const T *p, int64_t pitch, \
                                      const T *w, VT bias, T *o)                        \
    {                                                                                   \
        VT acc[16], v, wk[7];                                                           \
        _Pragma("GCC unroll 16") for (int i = 0; i < CW; i++) acc[i] = bias;            \
        _Pragma("GCC unroll 5") for (int ky = 0; ky < K; ky++) {                        \
            _Pragma("GCC unroll 7") for (int kx = 0; kx < K; kx++)                      \
                memcpy(&wk[kx], w + (ky * K + kx) * VL, sizeof wk[kx]);                 \
            /* the row's address, opaque: otherwise GCC hoists every (row, pixel)     \
               address out of the chunk loop and spills them (4 of 5 rows' pointers  \
               kept on the stack and in vector registers) */                         \
            const T *row = p + ky * D * pitch;                                          \
            __asm__("" : "+r"(row));                                                    \
            _Pragma("GCC unroll 40") for (int j = 0; j < (CW - 1) * S + (K - 1) * D + 1; j++) { \
                memcpy(&v, row + j * ps, sizeof v);                                     \
                _Pragma("GCC unroll 7") for (int kx = 0; kx < K; kx++) {                \
                    const int d = j - kx * D;                                           \
                    if (d >= 0 && d % S == 0 && d / S < CW)                             \
                        acc[d / S] += v * wk[kx];                                       \
                }                                                                       \
            }                                                                           \
        }                                                                               \
        _Pragma("GCC unroll 16") for (int i = 0; i < CW; i++)                           \
            memcpy(o + i * os, &acc[i], sizeof acc[i]);                                 \
    }
/* all rows of one (kernel, stride, dilation, chunk width): the last chunk of a
   row overlaps the one before when CW does not divide wo */
#define FC_DWC_ROWS_NAME(SFX, K, S, D, CW) dwc_rows_##SFX##_k##K##_s##S##_d##D##_w##CW
#define FC_DWCNC_ROWS_NAME(SFX, K, S, D, CW) dwcnc_rows_##SFX##_k##K##_s##S##_d##D##_w##CW
/* (the chunk of output row r from column x0 on reads the panel at PC, writes OC) */
#define FC_DWC_ROWS_LOOP(T, VT, S, CW, PC, OC, CHUNK)                                   \
    VT bv;                                                                              \
    memcpy(&bv, bias, sizeof bv);                                                       \
    for (int64_t r = 0; r < nrows; r++)                                                 \
        for (int64_t xc = 0; xc < wo; xc += CW) {                                       \
            const int64_t x0 = xc + CW <= wo ? xc : wo - CW;                            \
            const T *pc = PC;                                                           \
            T *oc = OC;                                                                 \
            CHUNK;                                                                      \
        }
#define FC_DWC_PC_VL(S, VL) panel + (r * S * pitch + x0 * S * VL)
#define FC_DWC_OC_VL(VL) out + (r * wo + x0) * VL
#define FC_DWC_PC_PS(S) panel + r * S * pitch + x0 * S * ps
#define FC_DWC_OC_OS out + r * opitch + x0 * os
#define FC_DEFINE_DWC_ROWS(T, VT, VL, SFX, K, S, D, CW)                                 \
    static void FC_DWC_ROWS_NAME(SFX, K, S, D, CW)(int64_t nrows, int64_t wo, const T *panel, \
                                                   int64_t pitch, const T *w, const T *bias, \
                                                   T *out)                              \
    {                                                                                   \
        FC_DWC_ROWS_LOOP(T, VT, S, CW, FC_DWC_PC_VL(S, VL), FC_DWC_OC_VL(VL),            \
                         dwc_chunk_##SFX(K, S, D, CW, VL, VL, pc, pitch, w, bv, oc))    \
    }                                                                                   \
    static void FC_DWCNC_ROWS_NAME(SFX, K, S, D, CW)(int64_t nrows, int64_t wo, const T *panel, \
                                                     int64_t pitch, int64_t ps, const T *w, \
                                                     const T *bias, T *out, int64_t opitch, \
                                                     int64_t os)                        \
    {                                                                                   \
        FC_DWC_ROWS_LOOP(T, VT, S, CW, FC_DWC_PC_PS(S), FC_DWC_OC_OS,                    \
                         dwc_chunk_##SFX(K, S, D, CW, ps, os, pc, pitch, w, bv, oc))    \
    }
/* (kernel, stride, dilation, chunk width): 3x3, 5x5, 7x7 with stride 1 or 2, and
   3x3 with dilation 2 or 4 (DeepLab's atrous depthwise layers), 5x5 and 7x7
   with dilation 2 (against the run-time-dilation kernels, 1 thread: AVX-512
   7x7 2x960x19x19 1.15x, 96x56x56 1.29x, 5x5 960x33x33 1.18x, 240x28x28 1.30x;
   AVX2 1.18-1.23x; double 1.20-1.27x; SSE2 7x7 1.16x, 5x5 0.90x) */
#define FC_DWC_FOR_NARROW(X, SFX)                                                       \
    X(SFX, 3, 1, 1, 8) X(SFX, 3, 1, 1, 7) X(SFX, 3, 1, 1, 4) X(SFX, 3, 2, 1, 8)          \
    X(SFX, 3, 2, 1, 7) X(SFX, 3, 2, 1, 4) X(SFX, 5, 1, 1, 8) X(SFX, 5, 1, 1, 7)          \
    X(SFX, 5, 1, 1, 4) X(SFX, 5, 2, 1, 8) X(SFX, 5, 2, 1, 7) X(SFX, 5, 2, 1, 4)          \
    X(SFX, 7, 1, 1, 8) X(SFX, 7, 1, 1, 7) X(SFX, 7, 1, 1, 4) X(SFX, 7, 2, 1, 8)          \
    X(SFX, 7, 2, 1, 7) X(SFX, 7, 2, 1, 4) X(SFX, 3, 1, 2, 8) X(SFX, 3, 1, 2, 7)          \
    X(SFX, 3, 1, 2, 4) X(SFX, 3, 1, 4, 8) X(SFX, 3, 1, 4, 7) X(SFX, 3, 1, 4, 4)          \
    X(SFX, 5, 1, 2, 8) X(SFX, 5, 1, 2, 7) X(SFX, 5, 1, 2, 4) X(SFX, 7, 1, 2, 8)          \
    X(SFX, 7, 1, 2, 7) X(SFX, 7, 1, 2, 4)
#if FC_DWC_WIDE
#define FC_DWC_FOR(X, SFX)                                                              \
    FC_DWC_FOR_NARROW(X, SFX)                                                           \
    X(SFX, 3, 1, 1, 16) X(SFX, 3, 1, 1, 14) X(SFX, 3, 2, 1, 16) X(SFX, 3, 2, 1, 14)      \
    X(SFX, 5, 1, 1, 16) X(SFX, 5, 1, 1, 14) X(SFX, 5, 2, 1, 16) X(SFX, 5, 2, 1, 14)      \
    X(SFX, 7, 1, 1, 16) X(SFX, 7, 1, 1, 14) X(SFX, 7, 2, 1, 16) X(SFX, 7, 2, 1, 14)      \
    X(SFX, 3, 1, 2, 16) X(SFX, 3, 1, 2, 14) X(SFX, 3, 1, 4, 16) X(SFX, 3, 1, 4, 14)      \
    X(SFX, 5, 1, 2, 16) X(SFX, 5, 1, 2, 14) X(SFX, 7, 1, 2, 16) X(SFX, 7, 1, 2, 14)
#else
#define FC_DWC_FOR(X, SFX) FC_DWC_FOR_NARROW(X, SFX)
#endif
#define FC_DWC_ROWS_F32(SFX, K, S, D, CW) FC_DEFINE_DWC_ROWS(float, fc_vf, FC_V32, SFX, K, S, D, CW)
#define FC_DWC_ROWS_F64(SFX, K, S, D, CW) FC_DEFINE_DWC_ROWS(double, fc_vd, FC_V64, SFX, K, S, D, CW)
/* Any other dilation (5x5 and 7x7 by 2, 3x3 by 3, ...), given at run time: the
   taps of a pixel no longer share loads with its neighbours' (which needs D at
   compile time), so each FMA takes its pixel from memory -- one load per FMA,
   which the load ports sustain -- and each kernel row reads its K weights once
   per chunk.  Chunks of CW pixels, CW accumulators.  Against the panel kernels
   these layers used before (AVX-512 float, 1 thread): see fc_dwc_applies. */
#define FC_DEFINE_DWCG_CHUNK(T, VT, VL, SFX)                                            \
    /* pixel vectors ps elements apart in the panel, os apart in the output    \
       (VL for the panels of pixel vectors; C for NHWC rows, dwcn below) */      \
    FC_UK_INLINE void dwcg_chunk_##SFX(const int K, const int S, const int CW, int64_t D, \
                                       int64_t ps, int64_t os, const T *p, int64_t pitch, \
                                       const T *w, VT bias, T *o)                       \
    {                                                                                   \
        VT acc[16], v, wk;                                                              \
        _Pragma("GCC unroll 16") for (int i = 0; i < CW; i++) acc[i] = bias;            \
        for (int ky = 0; ky < K; ky++) {                                                \
            const T *row = p + ky * D * pitch;                                          \
            _Pragma("GCC unroll 7") for (int kx = 0; kx < K; kx++) {                    \
                memcpy(&wk, w + (ky * K + kx) * VL, sizeof wk);                         \
                const T *q = row + kx * D * ps;                                         \
                _Pragma("GCC unroll 16") for (int i = 0; i < CW; i++) {                 \
                    memcpy(&v, q + i * S * ps, sizeof v);                               \
                    acc[i] += v * wk;                                                   \
                }                                                                       \
            }                                                                           \
        }                                                                               \
        _Pragma("GCC unroll 16") for (int i = 0; i < CW; i++)                           \
            memcpy(o + i * os, &acc[i], sizeof acc[i]);                                 \
    }
#define FC_DWCG_ROWS_NAME(SFX, K, S, CW) dwcg_rows_##SFX##_k##K##_s##S##_w##CW
#define FC_DWCN_ROWS_NAME(SFX, K, S, CW) dwcn_rows_##SFX##_k##K##_s##S##_w##CW
#define FC_DEFINE_DWCG_ROWS(T, VT, VL, SFX, K, S, CW)                                   \
    static void FC_DWCG_ROWS_NAME(SFX, K, S, CW)(int64_t nrows, int64_t wo, int64_t D,   \
                                                 const T *panel, int64_t pitch, const T *w, \
                                                 const T *bias, T *out)                 \
    {                                                                                   \
        FC_DWC_ROWS_LOOP(T, VT, S, CW, FC_DWC_PC_VL(S, VL), FC_DWC_OC_VL(VL),            \
                         dwcg_chunk_##SFX(K, S, CW, D, VL, VL, pc, pitch, w, bv, oc))   \
    }                                                                                   \
    /* NHWC rows read and written in place: pixels ps and os elements apart */  \
    static void FC_DWCN_ROWS_NAME(SFX, K, S, CW)(int64_t nrows, int64_t wo, int64_t D,   \
                                                 const T *panel, int64_t pitch, int64_t ps, \
                                                 const T *w, const T *bias, T *out,     \
                                                 int64_t opitch, int64_t os)            \
    {                                                                                   \
        FC_DWC_ROWS_LOOP(T, VT, S, CW, FC_DWC_PC_PS(S), FC_DWC_OC_OS,                    \
                         dwcg_chunk_##SFX(K, S, CW, D, ps, os, pc, pitch, w, bv, oc))   \
    }
/* (kernel, stride, chunk width) of the run-time-dilation kernels */
#define FC_DWCG_FOR_NARROW(X, SFX)                                                      \
    X(SFX, 3, 1, 8) X(SFX, 3, 1, 4) X(SFX, 3, 2, 8) X(SFX, 3, 2, 4) X(SFX, 5, 1, 8)      \
    X(SFX, 5, 1, 4) X(SFX, 5, 2, 8) X(SFX, 5, 2, 4) X(SFX, 7, 1, 8) X(SFX, 7, 1, 4)      \
    X(SFX, 7, 2, 8) X(SFX, 7, 2, 4)
#if FC_DWC_WIDE
#define FC_DWCG_FOR(X, SFX)                                                             \
    FC_DWCG_FOR_NARROW(X, SFX)                                                          \
    X(SFX, 3, 1, 16) X(SFX, 3, 2, 16) X(SFX, 5, 1, 16) X(SFX, 5, 2, 16) X(SFX, 7, 1, 16) \
    X(SFX, 7, 2, 16)
#else
#define FC_DWCG_FOR(X, SFX) FC_DWCG_FOR_NARROW(X, SFX)
#endif
#define FC_DWCG_ROWS_F32(SFX, K, S, CW) FC_DEFINE_DWCG_ROWS(float, fc_vf, FC_V32, SFX, K, S, CW)
#define FC_DWCG_ROWS_F64(SFX, K, S, CW) FC_DEFINE_DWCG_ROWS(double, fc_vd, FC_V64, SFX, K, S, CW)
#define FC_DWCG_CASE(SFX, K, S, CW)                                                     \
    case K * 1000 + S * 100 + CW:                                                       \
        FC_DWCG_ROWS_NAME(SFX, K, S, CW)(nrows, wo, d, panel, pitch, w, bias, out);      \
        return 1;
#define FC_DWC_CASE(SFX, K, S, D, CW)                                                   \
    case D * 10000 + K * 1000 + S * 100 + CW:                                           \
        FC_DWC_ROWS_NAME(SFX, K, S, D, CW)(nrows, wo, panel, pitch, w, bias, out);      \
        return 1;
#define FC_DEFINE_DWC_DISPATCH(T, SFX)                                                  \
    static int dwc_rows_##SFX(int64_t nrows, int64_t wo, int64_t k, int64_t s, int64_t d, \
                              const T *panel, int64_t pitch, const T *w, const T *bias, \
                              T *out)                                                   \
    {                                                                                   \
        if (d < 1 || k > 9 || s > 9) /* outside the case keys */                       \
            return 0;                                                                   \
        if (d <= 9)                                                                     \
            switch (d * 10000 + k * 1000 + s * 100 + fc_dwc_width(k, s, d, wo, FC_DWC_WIDE)) { \
                FC_DWC_FOR(FC_DWC_CASE, SFX)                                            \
            default:                                                                    \
                break;                                                                  \
            }                                                                           \
        if (d < 2) /* other dilations: the run-time-dilation kernels */                \
            return 0;                                                                   \
        switch (k * 1000 + s * 100 + fc_dwcg_width(k, wo, FC_DWC_WIDE)) {               \
            FC_DWCG_FOR(FC_DWCG_CASE, SFX)                                              \
        default:                                                                        \
            return 0;                                                                   \
        }                                                                               \
    }
#define FC_DWCN_CASE(SFX, K, S, CW)                                                     \
    case K * 1000 + S * 100 + CW:                                                       \
        FC_DWCN_ROWS_NAME(SFX, K, S, CW)(nrows, wo, d, panel, pitch, ps, w, bias, out,   \
                                         opitch, os);                                   \
        return 1;
#define FC_DWCNC_CASE(SFX, K, S, D, CW)                                                 \
    case D * 10000 + K * 1000 + S * 100 + CW:                                           \
        FC_DWCNC_ROWS_NAME(SFX, K, S, D, CW)(nrows, wo, panel, pitch, ps, w, bias, out,  \
                                             opitch, os);                               \
        return 1;
#define FC_DEFINE_DWCN_DISPATCH(T, SFX)                                                 \
    static int dwcn_rows_##SFX(int64_t nrows, int64_t wo, int64_t k, int64_t s, int64_t d, \
                               const T *panel, int64_t pitch, int64_t ps, const T *w,   \
                               const T *bias, T *out, int64_t opitch, int64_t os)       \
    {                                                                                   \
        if (d < 1 || k > 9 || s > 9)                                                    \
            return 0;                                                                   \
        if (d <= 9)                                                                     \
            switch (d * 10000 + k * 1000 + s * 100 + fc_dwc_width(k, s, d, wo, FC_DWC_WIDE)) { \
                FC_DWC_FOR(FC_DWCNC_CASE, SFX)                                          \
            default:                                                                    \
                break;                                                                  \
            }                                                                           \
        switch (k * 1000 + s * 100 + fc_dwcg_width(k, wo, FC_DWC_WIDE)) {               \
            FC_DWCG_FOR(FC_DWCN_CASE, SFX)                                              \
        default:                                                                        \
            return 0;                                                                   \
        }                                                                               \
    }
FC_DEFINE_DWC(float, fc_vf, FC_V32, FC_L32, f32)
FC_DEFINE_DWC(double, fc_vd, FC_V64, FC_L64, f64)
FC_DWC_FOR(FC_DWC_ROWS_F32, f32)
FC_DWC_FOR(FC_DWC_ROWS_F64, f64)
FC_DEFINE_DWCG_CHUNK(float, fc_vf, FC_V32, f32)
FC_DEFINE_DWCG_CHUNK(double, fc_vd, FC_V64, f64)
FC_DWCG_FOR(FC_DWCG_ROWS_F32, f32)
FC_DWCG_FOR(FC_DWCG_ROWS_F64, f64)
FC_DEFINE_DWC_DISPATCH(float, f32)
FC_DEFINE_DWC_DISPATCH(double, f64)
FC_DEFINE_DWCN_DISPATCH(float, f32)
FC_DEFINE_DWCN_DISPATCH(double, f64)
#define FC_DWC(NAME, SFX) dwc_##NAME##_##SFX
#define FC_DWCN(SFX) dwcn_rows_##SFX
#define FC_TILE_UNPACK(SFX) tile_unpack_##SFX
#if FC_VBYTES == 32
#define FC_DW3X3S2P1(SFX) FC_DW3X3S2P1_##SFX
#define FC_DW3X3S2P1_f32 dw3x3s2p1_lanes_rows_f32
#define FC_DW3X3S2P1_f64 dw3x3s2p1_rows_f64
#else
#define FC_DW3X3S2P1(SFX) dw3x3s2p1_rows_##SFX
#endif
#define FC_DWI(SFX, K) dwi_rows_##SFX##_##K
#else
#define FC_DW3X3S2P1(SFX) NULL /* no vector shuffles: conv2d uses its panel path */
#define FC_DWI(SFX, K) NULL
#define FC_DWC(NAME, SFX) NULL
#define FC_DWCN(SFX) NULL
#define FC_TILE_UNPACK(SFX) NULL
#define FC_ROWS2_WHOLE(SFX, ...) 0 /* no vector shuffles: the general loop */
#endif
FC_DEFINE_PANEL_ROWS2(float, f32, FC_V32)
FC_DEFINE_PANEL_ROWS2(double, f64, FC_V64)

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
                                      float *c, int64_t ldc, int accumulate,         \
                                      const float *rbias)                            \
    {                                                                                \
        if (bs == 1) /* the common case: constant offsets, embedded broadcasts */    \
            fc_uk_body_f32(P, M, k, a, aoff, b, boff, 1, c, ldc, accumulate, rbias); \
        else                                                                         \
            fc_uk_body_f32(P, M, k, a, aoff, b, boff, bs, c, ldc, accumulate, rbias); \
    }                                                                                \
    static void FC_UK_NAME(f64, P, M)(int64_t k, const double *a, const int64_t *aoff, \
                                      const double *b, const int64_t *boff, int64_t bs, \
                                      double *c, int64_t ldc, int accumulate,        \
                                      const double *rbias)                           \
    {                                                                                \
        if (bs == 1)                                                                 \
            fc_uk_body_f64(P, M, k, a, aoff, b, boff, 1, c, ldc, accumulate, rbias); \
        else                                                                         \
            fc_uk_body_f64(P, M, k, a, aoff, b, boff, bs, c, ldc, accumulate, rbias); \
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
    .dw3_f32 = dwk_rows_f32_9,
    .dw3_f64 = dwk_rows_f64_9,
    .dw5_f32 = dwk_rows_f32_25,
    .dw5_f64 = dwk_rows_f64_25,
    .dw3s_f32 = dwks_rows_f32_9,
    .dw3s_f64 = dwks_rows_f64_9,
    .dw5s_f32 = dwks_rows_f32_25,
    .dw5s_f64 = dwks_rows_f64_25,
    .dws_f32 = dw_rows_shared_f32,
    .dws_f64 = dw_rows_shared_f64,
    .dw3x3s2p1_f32 = FC_DW3X3S2P1(f32),
    .dw3x3s2p1_f64 = FC_DW3X3S2P1(f64),
    .dwi3_f32 = FC_DWI(f32, 3),
    .dwi3_f64 = FC_DWI(f64, 3),
    .dwc_pack_f32 = FC_DWC(pack, f32),
    .dwc_pack_f64 = FC_DWC(pack, f64),
    .dwc_unpack_f32 = FC_DWC(unpack, f32),
    .dwc_unpack_f64 = FC_DWC(unpack, f64),
    .tile_unpack_f32 = FC_TILE_UNPACK(f32),
    .tile_unpack_f64 = FC_TILE_UNPACK(f64),
    .dwc_gather_f32 = FC_DWC(gather, f32),
    .dwc_gather_f64 = FC_DWC(gather, f64),
    .dwc_scatter_f32 = FC_DWC(scatter, f32),
    .dwc_scatter_f64 = FC_DWC(scatter, f64),
    .dwc_rows_f32 = FC_DWC(rows, f32),
    .dwc_rows_f64 = FC_DWC(rows, f64),
    .dwcn_rows_f32 = FC_DWCN(f32),
    .dwcn_rows_f64 = FC_DWCN(f64),
    .pack_rows_f32 = pack_rows_f32,
    .pack_rows_f64 = pack_rows_f64,
    .panel_rows2_f32 = panel_rows2_f32,
    .panel_rows2_f64 = panel_rows2_f64,
    .panel_rows_f32 = panel_rows_f32,
    .panel_rows_f64 = panel_rows_f64,
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

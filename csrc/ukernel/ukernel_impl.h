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

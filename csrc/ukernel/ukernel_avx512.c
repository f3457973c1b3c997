/* Micro-kernels for x86 AVX-512F: 64-byte vectors, 32 zmm registers hold
 * 28 accumulators plus the loaded weights and the broadcast. */
#if defined(__x86_64__)
#define FC_TARGET "avx512f,avx2,fma"
#include "fc_target_begin.h"
#define FC_VBYTES 64
#define FC_MAX_ACC 28
#define FC_SET fc_ukernels_avx512
#define FC_SET_NAME "avx512"
#include <immintrin.h>
/* the dwc transposes' half-vector loads and stores (see ukernel_impl.h) */
#define FC_DWC_HALVES 1
#define FC_LOAD_HALVES_f64(lo, hi)                                                      \
    ((fc_vd)_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd((const double *)(lo))), \
                               _mm256_loadu_pd((const double *)(hi)), 1))
#define FC_LOAD_HALVES_f32(lo, hi) ((fc_vf)FC_LOAD_HALVES_f64(lo, hi))
#define FC_STORE_LO_f64(p, v) _mm256_storeu_pd((double *)(p), _mm512_castpd512_pd256((__m512d)(v)))
#define FC_STORE_HI_f64(p, v) _mm256_storeu_pd((double *)(p), _mm512_extractf64x4_pd((__m512d)(v), 1))
#define FC_STORE_LO_f32 FC_STORE_LO_f64
#define FC_STORE_HI_f32 FC_STORE_HI_f64
#include "ukernel_impl.h"
#include "fc_target_end.h"
#else
typedef int fc_ukernel_avx512_unused; /* not an x86-64 build */
#endif

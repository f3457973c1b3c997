/* Micro-kernels for x86 AVX-512F: 64-byte vectors, 32 zmm registers hold
 * 28 accumulators plus the loaded weights and the broadcast. */
#if defined(__x86_64__)
#define FC_TARGET "avx512f,avx2,fma"
#include "fc_target_begin.h"
#define FC_VBYTES 64
#define FC_MAX_ACC 28
#define FC_SET fc_ukernels_avx512
#define FC_SET_NAME "avx512"
#include "ukernel_impl.h"
#include "fc_target_end.h"
#else
typedef int fc_ukernel_avx512_unused; /* not an x86-64 build */
#endif

/* Micro-kernels for x86 AVX2 + FMA: 32-byte vectors, 16 ymm registers hold
 * 12 accumulators plus the loaded weights and the broadcast. */
#if defined(__x86_64__) || defined(__i386__)
#define FC_TARGET "avx2,fma"
#include "fc_target_begin.h"
#define FC_VBYTES 32
#define FC_MAX_ACC 12
#define FC_SET fc_ukernels_avx2
#define FC_SET_NAME "avx2"
#include "ukernel_impl.h"
#include "fc_target_end.h"
#else
typedef int fc_ukernel_avx2_unused; /* not an x86 build */
#endif

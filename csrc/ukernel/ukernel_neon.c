/* Micro-kernels for aarch64 Advanced SIMD (NEON, always present on aarch64):
 * 16-byte vectors, 32 registers hold 24 accumulators plus operands. */
#if defined(__aarch64__)
#define FC_VBYTES 16
#define FC_MAX_ACC 24
#define FC_SET fc_ukernels_neon
#define FC_SET_NAME "neon"
#include "ukernel_impl.h"
#else
typedef int fc_ukernel_neon_unused; /* not an aarch64 build */
#endif

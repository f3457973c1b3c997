/* Micro-kernels for any CPU: 16-byte vectors (SSE2 on x86-64, Advanced SIMD on
 * aarch64, scalar code elsewhere) and a budget of 12 accumulators that fits a
 * 16-register file. */
#define FC_VBYTES 16
#define FC_MAX_ACC 12
#define FC_SET fc_ukernels_generic
#define FC_SET_NAME "generic"
#include "ukernel_impl.h"

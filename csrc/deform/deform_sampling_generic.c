/* Sampling steps for any CPU: 16-byte vectors (SSE2 on x86-64, Advanced SIMD
 * on aarch64, scalar code elsewhere); also serves the NEON ISA. */
#define FC_VBYTES 16
#define FC_DS_SET fc_deform_sampling_generic
#include "deform_sampling_impl.h"

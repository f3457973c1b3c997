/* Sampling steps for x86 AVX-512F: 64-byte vectors. */
#if defined(__x86_64__)
#define FC_TARGET "avx512f,avx2,fma"
#include "../ukernel/fc_target_begin.h"
#define FC_VBYTES 64
#define FC_DS_SET fc_deform_sampling_avx512
#include "deform_sampling_impl.h"
#include "../ukernel/fc_target_end.h"
#else
typedef int fc_deform_sampling_avx512_unused; /* not an x86-64 build */
#endif

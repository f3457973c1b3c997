/* Sampling steps for x86 AVX2 + FMA: 32-byte vectors. */
#if defined(__x86_64__) || defined(__i386__)
#define FC_TARGET "avx2,fma"
#include "../ukernel/fc_target_begin.h"
#define FC_VBYTES 32
#define FC_DS_SET fc_deform_sampling_avx2
#include "deform_sampling_impl.h"
#include "../ukernel/fc_target_end.h"
#else
typedef int fc_deform_sampling_avx2_unused; /* not an x86 build */
#endif

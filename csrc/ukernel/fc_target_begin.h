/* fc_target_begin.h / fc_target_end.h -- compile the functions between them for
 * FC_TARGET (e.g. "avx2,fma") inside a portable build; the CPU is checked at
 * run time before any of them is called (see dispatch.c). */
#define FC_PRAGMA_(x) _Pragma(#x)
#define FC_PRAGMA(x) FC_PRAGMA_(x)
#if defined(__clang__)
FC_PRAGMA(clang attribute push(__attribute__((target(FC_TARGET))), apply_to = function))
#elif defined(__GNUC__)
#pragma GCC push_options
FC_PRAGMA(GCC target(FC_TARGET))
#endif

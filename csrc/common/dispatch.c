/* dispatch.c -- which micro-kernel sets this build holds, which ones the CPU can
 * run, and build facts for fastconv.show_config().  Stateless: the caller
 * passes the ISA it wants to every kernel entry point. */
#include "../fastconv.h"
#include "../ukernel/ukernel.h"

#ifdef _OPENMP
#include <omp.h>
#endif

extern const fc_ukernel_set fc_ukernels_generic;
#if defined(__x86_64__)
extern const fc_ukernel_set fc_ukernels_avx2;
extern const fc_ukernel_set fc_ukernels_avx512;
#endif
#if defined(__aarch64__)
extern const fc_ukernel_set fc_ukernels_neon;
#endif

static const char *const isa_names[FC_ISA_COUNT] = {"generic", "avx2", "avx512", "neon"};

const char *fc_isa_name(int isa)
{
    return (isa >= 0 && isa < FC_ISA_COUNT) ? isa_names[isa] : "unknown";
}

const fc_ukernel_set *fc_ukernels(int isa)
{
    switch (isa) {
    case FC_ISA_GENERIC: return &fc_ukernels_generic;
#if defined(__x86_64__)
    case FC_ISA_AVX2: return &fc_ukernels_avx2;
    case FC_ISA_AVX512: return &fc_ukernels_avx512;
#endif
#if defined(__aarch64__)
    case FC_ISA_NEON: return &fc_ukernels_neon;
#endif
    default: return NULL;
    }
}

int fc_isa_compiled(int isa) { return fc_ukernels(isa) != NULL; }

double fc_fma_probe(int isa, int64_t iters)
{
    const fc_ukernel_set *ks = fc_ukernels(isa);
    if (!ks || !fc_isa_supported(isa))
        return FC_EISA;
    float sink;
    return ks->fma_probe_f32(iters, &sink);
}

int fc_isa_supported(int isa)
{
    if (!fc_isa_compiled(isa))
        return 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    /* libgcc / compiler-rt also check that the OS saves the wide registers */
    if (isa == FC_ISA_AVX2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == FC_ISA_AVX512)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma");
#endif
    return 1; /* generic everywhere; NEON is part of the aarch64 baseline */
}

int fc_isa_best(void)
{
    static const int order[] = {FC_ISA_AVX512, FC_ISA_AVX2, FC_ISA_NEON, FC_ISA_GENERIC};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (fc_isa_supported(order[i]))
            return order[i];
    return FC_ISA_GENERIC;
}

const char *fc_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(_MSC_VER)
    return "msvc";
#else
    return "unknown";
#endif
}

#define FC_STR_(x) #x
#define FC_STR(x) FC_STR_(x)
const char *fc_openmp(void)
{
#ifdef _OPENMP
    return "OpenMP " FC_STR(_OPENMP);
#else
    return "none (serial build)";
#endif
}

int fc_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ukernel_bench.c -- the oc-vector micro-kernel's rate with every operand in L1,
 * beside the FMA loop: the ceiling that conv2d_dense works under.
 *
 *   gcc -O3 -fopenmp -Icsrc bench/ukernel_bench.c csrc/common/[*].c \
 *       csrc/ukernel/ukernel_[*].c -lm -o /tmp/ukernel_bench
 *   /tmp/ukernel_bench [P M [CHANNELS]]      (default 14 2 22: dense3x3_c64_56's
 *                                             tile and reduction chunk)
 *   env: ISA an FC_ISA_* index (default: the widest the CPU has), REPS calls
 *
 * Each call reduces CHANNELS x 9 steps, the way a 3x3 layer's tile does: packed
 * weights M vectors per step, in order; P unit-stride broadcasts per step from a
 * three-row panel of CHANNELS x 58 floats.  Rounds alternate the kernel and
 * the FMA loop (FC_MAX_ACC register-only chains); prints each one's median
 * GFLOP/s and their ratio. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fastconv.h"
#include "ukernel/ukernel.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const int P = argc > 2 ? atoi(argv[1]) : 14, M = argc > 2 ? atoi(argv[2]) : 2;
    const int64_t nc = argc > 3 ? atol(argv[3]) : 22, Lp = 58, taps = 9, k = nc * taps;
    const int isa = getenv("ISA") ? atoi(getenv("ISA")) : fc_isa_best();
    const long reps = getenv("REPS") ? atol(getenv("REPS")) : 20000;
    const fc_ukernel_set *ks = fc_isa_supported(isa) ? fc_ukernels(isa) : NULL;
    if (!ks || P < 1 || M < 1 || P > FC_UK_MAX_P || M > FC_UK_MAX_M || !ks->f32[P][M] || nc < 1) {
        fprintf(stderr, "no %dx%d float kernel in ISA %d (or bad channels)\n", P, M, isa);
        return 2;
    }
    const int64_t OB = (int64_t)M * ks->vlen_f32;
    float *a = aligned_alloc(64, (size_t)(k * OB) * sizeof(float) + 64);
    float *b = aligned_alloc(64, (size_t)(3 * nc * Lp + 64) * sizeof(float));
    float *c = aligned_alloc(64, (size_t)(P * OB) * sizeof(float) + 64);
    int64_t *aoff = malloc((size_t)k * sizeof(int64_t)), *boff = malloc((size_t)k * sizeof(int64_t));
    if (!a || !b || !c || !aoff || !boff)
        return 1;
    for (int64_t i = 0; i < k * OB; i++)
        a[i] = 1e-3f * (float)(i % 7);
    for (int64_t i = 0; i < 3 * nc * Lp + 64; i++)
        b[i] = 1e-3f * (float)(i % 5);
    for (int64_t i = 0; i < P * OB; i++)
        c[i] = 0;
    /* panel [row][channel][Lp]; step r = (channel, kernel row, kernel column) */
    for (int64_t r = 0; r < k; r++) {
        const int64_t ch = r / taps, t = r % taps;
        aoff[r] = r * OB;
        boff[r] = (t / 3) * nc * Lp + ch * Lp + t % 3;
    }
    const double flops = 2.0 * (double)k * P * (double)OB * (double)reps;
    const int64_t probe_iters = 2000000; /* about 10 ms, as fastconv's probe */
    enum { ROUNDS = 9 };
    double uk[ROUNDS], fma[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now();
        for (long i = 0; i < reps; i++)
            ks->f32[P][M](k, a, aoff, b, boff, 1, c, OB, 1, NULL);
        uk[round] = flops / (now() - t0) / 1e9;
        t0 = now();
        const double pf = fc_fma_probe(isa, probe_iters);
        fma[round] = pf / (now() - t0) / 1e9;
    }
    qsort(uk, ROUNDS, sizeof uk[0], cmp_double);
    qsort(fma, ROUNDS, sizeof fma[0], cmp_double);
    printf("%s %dx%d, %ld steps: %.1f GFLOP/s, FMA loop %.1f GFLOP/s: %.0f%% (medians of %d)\n",
           ks->name, P, M, (long)k, uk[ROUNDS / 2], fma[ROUNDS / 2],
           100.0 * uk[ROUNDS / 2] / fma[ROUNDS / 2], ROUNDS);
    free(a), free(b), free(c), free(aoff), free(boff);
    return 0;
}

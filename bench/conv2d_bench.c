/* conv2d_bench.c -- times the C core directly (no Python), for profiling with
 * perf and for thread-scaling runs (tools/scaling.sh).
 *
 *   conv2d_bench N C H W O KH KW STRIDE PAD DILATION GROUPS
 *   env: NT threads (default 1), REPS calls (default 30), PH/PW override padding,
 *        NHWC=1 channels-last layout, ISA an FC_ISA_* index, F64=1 float64
 *
 * Prints the best call's time and GFLOP/s (nominal flops: padding taps included)
 * and, on stderr, the mean. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fastconv.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v ? atol(v) : dflt;
}

int main(int argc, char **argv)
{
    if (argc != 12) {
        fprintf(stderr, "usage: %s N C H W O KH KW STRIDE PAD DILATION GROUPS\n", argv[0]);
        return 2;
    }
    long a[11];
    for (int i = 0; i < 11; i++)
        a[i] = atol(argv[i + 1]);
    fc_conv2d_desc d = {.n = a[0], .c = a[1], .h = a[2], .w = a[3], .o = a[4], .kh = a[5],
                        .kw = a[6], .stride_h = a[7], .stride_w = a[7], .pad_h = a[8],
                        .pad_w = a[8], .dil_h = a[9], .dil_w = a[9], .groups = a[10],
                        .layout = FC_LAYOUT_NCHW};
    if (env_long("NHWC", 0)) /* channels-last input and output */
        d.layout = FC_LAYOUT_NHWC;
    d.pad_h = env_long("PH", d.pad_h);
    d.pad_w = env_long("PW", d.pad_w);
    d.ho = (d.h + 2 * d.pad_h - d.dil_h * (d.kh - 1) - 1) / d.stride_h + 1;
    d.wo = (d.w + 2 * d.pad_w - d.dil_w * (d.kw - 1) - 1) / d.stride_w + 1;
    if (d.ho < 1 || d.wo < 1 || d.groups < 1 || d.c % d.groups || d.o % d.groups) {
        fprintf(stderr, "bad shape\n");
        return 2;
    }
    const size_t nx = (size_t)(d.n * d.c * d.h * d.w), ny = (size_t)(d.n * d.o * d.ho * d.wo);
    const size_t nw = (size_t)(d.o * (d.c / d.groups) * d.kh * d.kw);
    const int f64 = (int)env_long("F64", 0);
    const size_t el = f64 ? sizeof(double) : sizeof(float);
    void *x = malloc(nx * el), *w = malloc(nw * el), *y = malloc(ny * el);
    if (!x || !w || !y)
        return 1;
    for (size_t i = 0; i < nx; i++) {
        if (f64)
            ((double *)x)[i] = (double)(i % 7) * 0.1;
        else
            ((float *)x)[i] = (float)(i % 7) * 0.1f;
    }
    for (size_t i = 0; i < nw; i++) {
        if (f64)
            ((double *)w)[i] = (double)(i % 5) * 0.1;
        else
            ((float *)w)[i] = (float)(i % 5) * 0.1f;
    }
    const int nt = (int)env_long("NT", 1);
    const long reps = env_long("REPS", 30);
    const int isa = (int)env_long("ISA", fc_isa_best()); /* an FC_ISA_* index */
    double best = 1e30, total = 0;
    for (long r = 0; r < reps; r++) {
        const double t = now();
        const int rc = f64 ? fc_conv2d_f64(&d, x, w, NULL, y, nt, isa)
                           : fc_conv2d_f32(&d, x, w, NULL, y, nt, isa);
        const double dt = now() - t;
        if (rc != FC_OK) {
            fprintf(stderr, "fc_conv2d: error %d\n", rc);
            return 1;
        }
        total += dt;
        best = dt < best ? dt : best;
    }
    const double flops = 2.0 * (double)ny * (double)(d.c / d.groups) * (double)(d.kh * d.kw);
    fprintf(stderr, "mean %.3f ms\n", total / (double)reps * 1e3);
    printf("%.4f ms %.1f GFLOP/s\n", best * 1e3, flops / best * 1e-9);
    free(x);
    free(w);
    free(y);
    return 0;
}

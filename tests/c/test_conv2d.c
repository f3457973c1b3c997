/* test_conv2d.c -- C-level test of the conv2d family: every compiled-in and
 * supported ISA, both dtypes, both layouts, against fc_conv2d_naive on random
 * and edge-case shapes.  Builds with any C compiler (OpenMP optional):
 *   see tools/build_c_tests.sh */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastconv.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rint_(int64_t lo, int64_t hi) { return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1)); }
static double runif(void) { return (double)(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0; }

static int failures = 0, cases = 0;

#define CHECK_TYPE(T, SFX, EPS)                                                                  \
    static void check_##SFX(const fc_conv2d_desc *d, int isa, int nthreads, int with_bias)      \
    {                                                                                            \
        const int64_t nx = d->n * d->c * d->h * d->w, ny = d->n * d->o * d->ho * d->wo;          \
        const int64_t K = d->c / d->groups * d->kh * d->kw, nw = d->o * K;                       \
        T *x = malloc(sizeof(T) * (size_t)(nx + 1)), *w = malloc(sizeof(T) * (size_t)nw);       \
        T *b = malloc(sizeof(T) * (size_t)d->o);                                                 \
        T *y = malloc(sizeof(T) * (size_t)(ny + 1)), *r = malloc(sizeof(T) * (size_t)(ny + 1)); \
        for (int64_t i = 0; i < nx; i++) x[i] = (T)runif();                                      \
        for (int64_t i = 0; i < nw; i++) w[i] = (T)runif();                                      \
        for (int64_t i = 0; i < d->o; i++) b[i] = (T)runif();                                    \
        for (int64_t i = 0; i < ny; i++) y[i] = (T)12345;                                        \
        int rc1 = fc_conv2d_##SFX(d, x, w, with_bias ? b : NULL, y, nthreads, isa);              \
        int rc2 = fc_conv2d_naive_##SFX(d, x, w, with_bias ? b : NULL, r);                       \
        cases++;                                                                                 \
        double worst = 0;                                                                        \
        for (int64_t i = 0; i < ny; i++) {                                                       \
            double e = fabs((double)y[i] - (double)r[i]);                                        \
            if (!(e <= worst)) worst = e;                                                        \
        }                                                                                        \
        double tol = (EPS) * 4.0 * (double)(K + 2);                                              \
        if (rc1 != FC_OK || rc2 != FC_OK || !(worst <= tol)) {                                   \
            failures++;                                                                          \
            printf("FAIL %s %s n%lld c%lld %lldx%lld o%lld k%lldx%lld s%lld,%lld p%lld,%lld "   \
                   "d%lld,%lld g%lld out %lldx%lld layout %d: rc %d/%d err %g tol %g\n",         \
                   #SFX, fc_isa_name(isa), (long long)d->n, (long long)d->c, (long long)d->h,   \
                   (long long)d->w, (long long)d->o, (long long)d->kh, (long long)d->kw,         \
                   (long long)d->stride_h, (long long)d->stride_w, (long long)d->pad_h,          \
                   (long long)d->pad_w, (long long)d->dil_h, (long long)d->dil_w,                \
                   (long long)d->groups, (long long)d->ho, (long long)d->wo, d->layout, rc1,     \
                   rc2, worst, tol);                                                             \
        }                                                                                        \
        free(x); free(w); free(b); free(y); free(r);                                             \
    }
CHECK_TYPE(float, f32, 1.2e-7)
CHECK_TYPE(double, f64, 2.3e-16)

static void random_desc(fc_conv2d_desc *d)
{
    memset(d, 0, sizeof *d);
    int64_t g = rng() % 3 == 0 ? rint_(1, 6) : 1;
    int64_t depthwise = rng() % 4 == 0;
    d->groups = g;
    d->c = depthwise ? rint_(1, 20) : g * rint_(1, 9);
    if (depthwise) d->groups = d->c;
    d->o = d->groups * (depthwise ? rint_(1, 3) : rint_(1, 40 / d->groups + 1));
    d->n = rint_(0, 2);
    d->h = rint_(1, 17); d->w = rint_(1, 40);
    d->kh = rint_(1, 5); d->kw = rint_(1, 7);
    d->stride_h = rint_(1, 3); d->stride_w = rint_(1, 3);
    d->dil_h = rint_(1, 3); d->dil_w = rint_(1, 3);
    d->pad_h = rint_(0, 3); d->pad_w = rint_(0, 4);
    d->layout = rng() % 4 == 0 ? FC_LAYOUT_NHWC : FC_LAYOUT_NCHW;
    int64_t eh = (d->kh - 1) * d->dil_h + 1, ew = (d->kw - 1) * d->dil_w + 1;
    if (d->h + 2 * d->pad_h < eh) d->pad_h = (eh - d->h + 1) / 2;
    if (d->w + 2 * d->pad_w < ew) d->pad_w = (ew - d->w + 1) / 2;
    d->ho = (d->h + 2 * d->pad_h - eh) / d->stride_h + 1;
    d->wo = (d->w + 2 * d->pad_w - ew) / d->stride_w + 1;
}

int main(int argc, char **argv)
{
    int ncase = argc > 1 ? atoi(argv[1]) : 300;
    for (int isa = 0; isa < FC_ISA_COUNT; isa++) {
        if (!fc_isa_supported(isa)) {
            printf("isa %-8s not available here, skipped\n", fc_isa_name(isa));
            continue;
        }
        int before = failures;
        for (int t = 0; t < ncase; t++) {
            fc_conv2d_desc d;
            random_desc(&d);
            int nthreads = (int)rint_(0, 3);
            check_f32(&d, isa, nthreads, t % 2);
            check_f64(&d, isa, nthreads, t % 2 == 0);
        }
        /* edges: 1x1 image, kernel as large as the padded input, wide rows */
        fc_conv2d_desc e = {.n = 1, .c = 3, .h = 1, .w = 1, .o = 5, .kh = 1, .kw = 1, .ho = 1, .wo = 1,
                            .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1, .groups = 1};
        check_f32(&e, isa, 0, 1); check_f64(&e, isa, 0, 1);
        e.kh = 3; e.kw = 3; e.pad_h = 1; e.pad_w = 1;
        check_f32(&e, isa, 0, 1); check_f64(&e, isa, 0, 1);
        fc_conv2d_desc big = {.n = 2, .c = 64, .h = 9, .w = 70, .o = 96, .kh = 3, .kw = 3, .ho = 9,
                              .wo = 70, .stride_h = 1, .stride_w = 1, .pad_h = 1, .pad_w = 1,
                              .dil_h = 1, .dil_w = 1, .groups = 1};
        check_f32(&big, isa, 2, 1); check_f64(&big, isa, 2, 0);
        big.groups = 64; big.o = 64;
        check_f32(&big, isa, 2, 1); check_f64(&big, isa, 2, 0);
        big.groups = 16;
        check_f32(&big, isa, 2, 1); check_f64(&big, isa, 2, 0);
        printf("isa %-8s %s\n", fc_isa_name(isa), failures == before ? "ok" : "FAILED");
    }
    printf("%d passed, %d failed\n", cases - failures, failures);
    return failures != 0;
}

/* test_deform.c -- C-level test of deformable convolution: every compiled-in
 * and supported ISA, both dtypes, with and without mask and bias, against
 * fc_deform_conv2d_naive on random shapes (weight and offset groups, stride,
 * padding, dilation, non-square kernels), offsets small, integer and far
 * outside, NaN / Inf / huge offsets, and the descriptor checks.
 * Builds with any C compiler (OpenMP optional): see tools/build_c_tests.sh */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastconv.h"

#define FC_TEST_SEED 0x2545F4914F6CDD1Dull
#include "test_rng.h"

/* an offset value of the kind the case asks for */
static double offset_value(int kind, const fc_deform_desc *d)
{
    switch (kind) {
    case 0: return 1.5 * runif();                              /* small               */
    case 1: return (double)rint_(-3, 3);                       /* integer: exact corners */
    case 2: return runif() * 4.0 * (double)(d->h + d->w);      /* mostly far outside  */
    default: {                                                 /* poison, sometimes   */
        static const double bad[] = {NAN, INFINITY, -INFINITY, 1e30, -1e30, -1.0, 3e9};
        return rng() % 5 == 0 ? bad[rng() % 7] : 2.0 * runif();
    }
    }
}

static int failures = 0, cases = 0;

#define CHECK_TYPE(T, SFX, EPS)                                                                     \
    static void check_##SFX(const fc_deform_desc *d, int isa, int nthreads, int with_mask,          \
                            int with_bias, int kind)                                                \
    {                                                                                               \
        const int64_t KK = d->kh * d->kw, HW = d->ho * d->wo;                                       \
        const int64_t nx = d->n * d->c * d->h * d->w, ny = d->n * d->o * HW;                        \
        const int64_t K = d->c / d->groups * KK, nw = d->o * K;                                     \
        const int64_t noff = d->n * 2 * d->offset_groups * KK * HW, nm = noff / 2;                  \
        T *x = malloc(sizeof(T) * (size_t)(nx + 1)), *w = malloc(sizeof(T) * (size_t)nw);          \
        T *off = malloc(sizeof(T) * (size_t)(noff + 1)), *m = malloc(sizeof(T) * (size_t)(nm + 1)); \
        T *b = malloc(sizeof(T) * (size_t)d->o);                                                    \
        T *y = malloc(sizeof(T) * (size_t)(ny + 1)), *r = malloc(sizeof(T) * (size_t)(ny + 1));    \
        for (int64_t i = 0; i < nx; i++) x[i] = (T)runif();                                         \
        for (int64_t i = 0; i < nw; i++) w[i] = (T)runif();                                         \
        for (int64_t i = 0; i < noff; i++) off[i] = (T)offset_value(kind, d);                       \
        for (int64_t i = 0; i < nm; i++) m[i] = (T)(0.5 * runif() + 0.5);                           \
        for (int64_t i = 0; i < d->o; i++) b[i] = (T)runif();                                       \
        for (int64_t i = 0; i < ny; i++) y[i] = (T)12345;                                           \
        int rc1 = fc_deform_conv2d_##SFX(d, x, off, with_mask ? m : NULL, w,                        \
                                         with_bias ? b : NULL, y, nthreads, isa);                   \
        int rc2 = fc_deform_conv2d_naive_##SFX(d, x, off, with_mask ? m : NULL, w,                  \
                                               with_bias ? b : NULL, r);                            \
        cases++;                                                                                    \
        double worst = 0;                                                                           \
        for (int64_t i = 0; i < ny; i++) {                                                          \
            double e = fabs((double)y[i] - (double)r[i]);                                           \
            if (!(e <= worst)) worst = e; /* NaN makes it fail */                                   \
        }                                                                                           \
        double tol = (EPS) * 8.0 * (double)(K + 2);                                                 \
        if (rc1 != FC_OK || rc2 != FC_OK || !(worst <= tol)) {                                      \
            failures++;                                                                             \
            printf("FAIL %s %s n%lld c%lld %lldx%lld o%lld k%lldx%lld s%lld,%lld p%lld,%lld "      \
                   "d%lld,%lld g%lld og%lld mask%d kind%d: rc %d/%d err %g tol %g\n",              \
                   #SFX, fc_isa_name(isa), (long long)d->n, (long long)d->c, (long long)d->h,      \
                   (long long)d->w, (long long)d->o, (long long)d->kh, (long long)d->kw,            \
                   (long long)d->stride_h, (long long)d->stride_w, (long long)d->pad_h,             \
                   (long long)d->pad_w, (long long)d->dil_h, (long long)d->dil_w,                   \
                   (long long)d->groups, (long long)d->offset_groups, with_mask, kind, rc1, rc2,    \
                   worst, tol);                                                                     \
        }                                                                                           \
        free(x); free(w); free(off); free(m); free(b); free(y); free(r);                            \
    }
CHECK_TYPE(float, f32, 1.2e-7)
CHECK_TYPE(double, f64, 2.3e-16)

static void random_desc(fc_deform_desc *d)
{
    memset(d, 0, sizeof *d);
    d->groups = rng() % 3 == 0 ? rint_(1, 4) : 1;
    d->offset_groups = rng() % 3 == 0 ? rint_(1, 4) : 1;
    d->c = d->groups * d->offset_groups * rint_(1, 3) * (rng() % 3 == 0 ? 16 : 1);
    d->o = d->groups * rint_(1, 40 / d->groups + 1);
    d->n = rint_(0, 2);
    d->h = rint_(1, 12); d->w = rint_(1, 30);
    d->kh = rint_(1, 4); d->kw = rint_(1, 4);
    d->stride_h = rint_(1, 3); d->stride_w = rint_(1, 3);
    d->dil_h = rint_(1, 2); d->dil_w = rint_(1, 2);
    d->pad_h = rint_(0, 2); d->pad_w = rint_(0, 3);
    int64_t eh = (d->kh - 1) * d->dil_h + 1, ew = (d->kw - 1) * d->dil_w + 1;
    if (d->h + 2 * d->pad_h < eh) d->pad_h = (eh - d->h + 1) / 2;
    if (d->w + 2 * d->pad_w < ew) d->pad_w = (ew - d->w + 1) / 2;
    d->ho = (d->h + 2 * d->pad_h - eh) / d->stride_h + 1;
    d->wo = (d->w + 2 * d->pad_w - ew) / d->stride_w + 1;
}

static void expect_rc(const char *what, int got, int want)
{
    cases++;
    if (got != want) {
        failures++;
        printf("FAIL check %s: rc %d, expected %d\n", what, got, want);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a crash still leaves the log */
    int ncase = argc > 1 ? atoi(argv[1]) : 200;
    for (int isa = 0; isa < FC_ISA_COUNT; isa++) {
        if (!fc_isa_supported(isa)) {
            printf("isa %-8s not available here, skipped\n", fc_isa_name(isa));
            continue;
        }
        int before = failures;
        for (int t = 0; t < ncase; t++) {
            fc_deform_desc d;
            random_desc(&d);
            int nthreads = (int)rint_(0, 3), kind = t % 4;
            check_f32(&d, isa, nthreads, t % 3 == 0, t % 2, kind);
            check_f64(&d, isa, nthreads, t % 3 == 1, t % 2 == 0, kind);
        }
        /* a realistic layer: full vectors, several pixel chunks and oc blocks */
        fc_deform_desc big = {.n = 2, .c = 64, .h = 11, .w = 30, .o = 80, .kh = 3, .kw = 3, .ho = 11,
                              .wo = 30, .stride_h = 1, .stride_w = 1, .pad_h = 1, .pad_w = 1,
                              .dil_h = 1, .dil_w = 1, .groups = 1, .offset_groups = 4};
        check_f32(&big, isa, 2, 1, 1, 0); check_f64(&big, isa, 2, 0, 1, 3);
        big.groups = 2;
        check_f32(&big, isa, 3, 0, 0, 1); check_f64(&big, isa, 1, 1, 0, 2);
        printf("isa %-8s %s\n", fc_isa_name(isa), failures == before ? "ok" : "FAILED");
    }
    /* descriptor checks */
    fc_deform_desc d = {.n = 1, .c = 6, .h = 5, .w = 5, .o = 4, .kh = 3, .kw = 3, .ho = 5, .wo = 5,
                        .stride_h = 1, .stride_w = 1, .pad_h = 1, .pad_w = 1, .dil_h = 1, .dil_w = 1,
                        .groups = 2, .offset_groups = 3};
    expect_rc("valid", fc_deform_check(&d), FC_OK);
    d.offset_groups = 4;
    expect_rc("offset groups not dividing c", fc_deform_check(&d), FC_EINVAL);
    d.offset_groups = 0;
    expect_rc("zero offset groups", fc_deform_check(&d), FC_EINVAL);
    d.offset_groups = 1; d.groups = 4;
    expect_rc("groups not dividing c", fc_deform_check(&d), FC_EINVAL);
    d.groups = 1; d.w = (int64_t)1 << 31;
    expect_rc("width beyond int32", fc_deform_check(&d), FC_EOVERFLOW);
    d.w = 5; d.n = (int64_t)1 << 40; d.ho = (int64_t)1 << 20;
    expect_rc("offset array too large", fc_deform_check(&d), FC_EOVERFLOW);
    d.n = 1; d.ho = 5;
    float one = 1.0f;
    expect_rc("bad isa", fc_deform_conv2d_f32(&d, &one, &one, NULL, &one, NULL, &one, 1, FC_ISA_COUNT),
              FC_EISA);
    printf("%d passed, %d failed\n", cases - failures, failures);
    return failures != 0;
}

/* test_blocks.c -- C-level test of the building blocks (csrc/blocks/): the fused
 * separable convolution against two fc_conv2d_naive calls, squeeze-excitation
 * against a plain double loop, channel shuffle against its inverse, on every
 * supported ISA, both dtypes, both layouts and several thread counts, with
 * random and edge-case shapes.  Run under the sanitizers by CI (see
 * tools/build_c_tests.sh): the fused kernel's whole-vector loads and stores
 * past row ends must stay inside its buffers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastconv.h"

#define FC_TEST_SEED 0x243F6A8885A308D3ull
#include "test_rng.h"

static int failures = 0, cases = 0;

static void report(int ok, const char *what, const char *dtype, int isa, const char *shape, double err,
                   double tol)
{
    cases++;
    if (!ok) {
        failures++;
        printf("FAIL %s %s %s %s: err %g tol %g\n", what, dtype, fc_isa_name(isa), shape, err, tol);
    }
}

/* ---- separable ------------------------------------------------------------------ */

#define CHECK_SEPARABLE(T, SFX, EPS)                                                              \
    static void sep_##SFX(const fc_conv2d_desc *dw, int64_t o, int isa, int nthreads, int bias)   \
    {                                                                                             \
        const int64_t cm = dw->o, K = dw->kh * dw->kw;                                            \
        const int64_t nx = dw->n * dw->c * dw->h * dw->w, nm = dw->n * cm * dw->ho * dw->wo;       \
        const int64_t ny = dw->n * o * dw->ho * dw->wo;                                           \
        T *x = malloc(sizeof(T) * (size_t)(nx + 1)), *wd = malloc(sizeof(T) * (size_t)(cm * K));  \
        T *wp = malloc(sizeof(T) * (size_t)(o * cm)), *bd = malloc(sizeof(T) * (size_t)cm);       \
        T *bp = malloc(sizeof(T) * (size_t)o), *mid = malloc(sizeof(T) * (size_t)(nm + 1));       \
        T *y = malloc(sizeof(T) * (size_t)(ny + 1)), *r = malloc(sizeof(T) * (size_t)(ny + 1));   \
        for (int64_t i = 0; i < nx; i++) x[i] = (T)runif();                                       \
        for (int64_t i = 0; i < cm * K; i++) wd[i] = (T)runif();                                  \
        for (int64_t i = 0; i < o * cm; i++) wp[i] = (T)runif();                                  \
        for (int64_t i = 0; i < cm; i++) bd[i] = (T)runif();                                      \
        for (int64_t i = 0; i < o; i++) bp[i] = (T)runif();                                       \
        for (int64_t i = 0; i < ny; i++) y[i] = (T)12345;                                         \
        fc_conv2d_desc pw = {.n = dw->n, .c = cm, .h = dw->ho, .w = dw->wo, .o = o, .kh = 1,      \
                             .kw = 1, .ho = dw->ho, .wo = dw->wo, .stride_h = 1, .stride_w = 1,   \
                             .dil_h = 1, .dil_w = 1, .groups = 1, .layout = dw->layout};          \
        int rc = fc_separable_conv2d_##SFX(dw, o, x, wd, bias ? bd : NULL, wp, bias ? bp : NULL,  \
                                           y, nthreads, isa);                                     \
        int rc1 = fc_conv2d_naive_##SFX(dw, x, wd, bias ? bd : NULL, mid);                        \
        int rc2 = fc_conv2d_naive_##SFX(&pw, mid, wp, bias ? bp : NULL, r);                       \
        double worst = 0;                                                                         \
        for (int64_t i = 0; i < ny; i++) {                                                        \
            double e = fabs((double)y[i] - (double)r[i]);                                         \
            if (!(e <= worst)) worst = e;                                                         \
        }                                                                                         \
        /* |terms| <= 1: each output sums cm products of depthwise results (K + 1 terms) */      \
        double tol = (EPS) * 8.0 * (double)((cm + 2) * (K + 2));                                  \
        char shape[200];                                                                          \
        snprintf(shape, sizeof shape,                                                             \
                 "n%lld c%lld %lldx%lld m%lld o%lld k%lldx%lld s%lld,%lld p%lld,%lld d%lld,%lld " \
                 "layout %d threads %d rc %d/%d/%d",                                              \
                 (long long)dw->n, (long long)dw->c, (long long)dw->h, (long long)dw->w,          \
                 (long long)(cm / dw->c), (long long)o, (long long)dw->kh, (long long)dw->kw,     \
                 (long long)dw->stride_h, (long long)dw->stride_w, (long long)dw->pad_h,          \
                 (long long)dw->pad_w, (long long)dw->dil_h, (long long)dw->dil_w, dw->layout,    \
                 nthreads, rc, rc1, rc2);                                                         \
        report(rc == FC_OK && rc1 == FC_OK && rc2 == FC_OK && worst <= tol, "separable", #SFX,   \
               isa, shape, worst, tol);                                                           \
        free(x); free(wd); free(wp); free(bd); free(bp); free(mid); free(y); free(r);             \
    }
CHECK_SEPARABLE(float, f32, 1.2e-7)
CHECK_SEPARABLE(double, f64, 2.3e-16)

static fc_conv2d_desc sep_desc(int64_t n, int64_t c, int64_t h, int64_t w, int64_t mult, int64_t kh,
                               int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                               int64_t dh, int64_t dwl, int layout)
{
    fc_conv2d_desc d = {.n = n, .c = c, .h = h, .w = w, .o = c * mult, .kh = kh, .kw = kw,
                        .stride_h = sh, .stride_w = sw, .pad_h = ph, .pad_w = pw, .dil_h = dh,
                        .dil_w = dwl, .groups = c, .layout = layout};
    int64_t eh = (kh - 1) * dh + 1, ew = (kw - 1) * dwl + 1;
    if (h + 2 * ph < eh) d.pad_h = (eh - h + 1) / 2;
    if (w + 2 * pw < ew) d.pad_w = (ew - w + 1) / 2;
    d.ho = (h + 2 * d.pad_h - eh) / sh + 1;
    d.wo = (w + 2 * d.pad_w - ew) / sw + 1;
    return d;
}

/* ---- squeeze-excitation ------------------------------------------------------------ */

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

#define CHECK_SE(T, SFX, EPS)                                                                     \
    static void se_##SFX(int64_t n, int64_t c, int64_t hw, int64_t cr, double gain, int isa,       \
                         int nthreads, int in_place)                                              \
    {                                                                                             \
        const int64_t nx = n * c * hw;                                                            \
        T *x = malloc(sizeof(T) * (size_t)(nx + 1)), *y = malloc(sizeof(T) * (size_t)(nx + 1));   \
        T *w1 = malloc(sizeof(T) * (size_t)(cr * c)), *w2 = malloc(sizeof(T) * (size_t)(c * cr)); \
        T *b1 = malloc(sizeof(T) * (size_t)cr), *b2 = malloc(sizeof(T) * (size_t)c);              \
        double *r = malloc(sizeof(double) * (size_t)(nx + 1));                                    \
        double *s = malloc(sizeof(double) * (size_t)c), *h = malloc(sizeof(double) * (size_t)cr); \
        for (int64_t i = 0; i < nx; i++) x[i] = (T)runif();                                       \
        for (int64_t i = 0; i < cr * c; i++) w1[i] = (T)(gain * runif());                         \
        for (int64_t i = 0; i < c * cr; i++) w2[i] = (T)(gain * runif());                         \
        for (int64_t i = 0; i < cr; i++) b1[i] = (T)runif();                                      \
        for (int64_t i = 0; i < c; i++) b2[i] = (T)runif();                                       \
        for (int64_t i = 0; i < n; i++) {                                                         \
            for (int64_t k = 0; k < c; k++) {                                                     \
                double acc = 0;                                                                   \
                for (int64_t p = 0; p < hw; p++) acc += (double)x[(i * c + k) * hw + p];          \
                s[k] = acc / (double)hw;                                                          \
            }                                                                                     \
            for (int64_t j = 0; j < cr; j++) {                                                    \
                double z = (double)b1[j];                                                         \
                for (int64_t k = 0; k < c; k++) z += (double)w1[j * c + k] * s[k];                \
                h[j] = z > 0 ? z : 0;                                                             \
            }                                                                                     \
            for (int64_t k = 0; k < c; k++) {                                                     \
                double z = (double)b2[k];                                                         \
                for (int64_t j = 0; j < cr; j++) z += (double)w2[k * cr + j] * h[j];              \
                const double e = sigmoid(z);                                                      \
                for (int64_t p = 0; p < hw; p++)                                                  \
                    r[(i * c + k) * hw + p] = e * (double)x[(i * c + k) * hw + p];                \
            }                                                                                     \
        }                                                                                         \
        T *dst = in_place ? x : y;                                                                \
        int rc = fc_squeeze_excitation_##SFX(n, c, hw, cr, x, w1, b1, w2, b2, dst, nthreads, isa); \
        double worst = 0;                                                                         \
        for (int64_t i = 0; i < nx; i++) {                                                        \
            double e = fabs((double)dst[i] - r[i]);                                               \
            if (!(e <= worst)) worst = e;                                                         \
        }                                                                                         \
        /* the gain is a sigmoid of sums of c and cr terms of size up to gain^2 */               \
        double tol = (EPS) * 16.0 * (double)(c + cr + 4) * (1 + gain * gain * (double)c);        \
        char shape[120];                                                                          \
        snprintf(shape, sizeof shape, "n%lld c%lld hw%lld cr%lld gain %g threads %d%s rc %d",     \
                 (long long)n, (long long)c, (long long)hw, (long long)cr, gain, nthreads,        \
                 in_place ? " in place" : "", rc);                                                \
        report(rc == FC_OK && worst <= tol, "squeeze_excitation", #SFX, isa, shape, worst, tol); \
        free(x); free(y); free(w1); free(w2); free(b1); free(b2); free(r); free(s); free(h);      \
    }
CHECK_SE(float, f32, 1.2e-7)
CHECK_SE(double, f64, 2.3e-16)

/* ---- channel shuffle ----------------------------------------------------------------- */

static void shuffle_case(int64_t outer, int64_t c, int64_t inner, int64_t groups, int nthreads)
{
    const int64_t nx = outer * c * inner;
    double *x = malloc(sizeof(double) * (size_t)(nx + 1));
    double *y = malloc(sizeof(double) * (size_t)(nx + 1)), *z = malloc(sizeof(double) * (size_t)(nx + 1));
    for (int64_t i = 0; i < nx; i++) x[i] = (double)i;
    int rc1 = fc_channel_shuffle(x, y, outer, c, inner, groups, sizeof(double), nthreads);
    int rc2 = fc_channel_shuffle(y, z, outer, c, inner, c / groups, sizeof(double), nthreads);
    int ok = rc1 == FC_OK && rc2 == FC_OK;
    /* y's channel 1 is x's channel c/groups (unless groups == 1), and g then c/g undo each other */
    if (ok && nx > 0 && groups > 1 && c > 1)
        ok = y[inner] == x[(c / groups) * inner] || inner == 0;
    for (int64_t i = 0; ok && i < nx; i++)
        ok = z[i] == x[i];
    char shape[100];
    snprintf(shape, sizeof shape, "outer %lld c %lld inner %lld groups %lld rc %d/%d",
             (long long)outer, (long long)c, (long long)inner, (long long)groups, rc1, rc2);
    report(ok, "channel_shuffle", "bytes", FC_ISA_GENERIC, shape, 0, 0);
    free(x); free(y); free(z);
}

static void expect_rc(int got, int want, const char *what)
{
    cases++;
    if (got != want) {
        failures++;
        printf("FAIL %s: rc %d, expected %d\n", what, got, want);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const int ncases = argc > 1 ? atoi(argv[1]) : 150;
    for (int isa = 0; isa < FC_ISA_COUNT; isa++) {
        if (!fc_isa_supported(isa)) {
            printf("isa %-8s not available here, skipped\n", fc_isa_name(isa));
            continue;
        }
        const int before = failures;
        /* hand-picked: 1x1 images, one long row, wide multipliers, many channels, strided rows */
        const fc_conv2d_desc e[] = {
            sep_desc(1, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, FC_LAYOUT_NCHW),
            sep_desc(2, 4, 1, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, FC_LAYOUT_NHWC),
            sep_desc(1, 2, 1, 300, 1, 1, 5, 1, 2, 0, 2, 1, 1, FC_LAYOUT_NCHW),
            sep_desc(1, 3, 9, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, FC_LAYOUT_NCHW),
            sep_desc(1, 64, 30, 28, 1, 3, 3, 1, 1, 1, 1, 1, 1, FC_LAYOUT_NCHW),
            sep_desc(1, 24, 31, 29, 1, 3, 3, 2, 2, 1, 1, 1, 1, FC_LAYOUT_NCHW),
            sep_desc(0, 4, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, FC_LAYOUT_NCHW),
            sep_desc(1, 5, 17, 40, 2, 5, 3, 1, 3, 4, 2, 3, 2, FC_LAYOUT_NHWC),
        };
        const int64_t eo[] = {5, 3, 7, 20, 144, 24, 3, 33};
        for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
            for (int bias = 0; bias < 2; bias++) {
                sep_f32(&e[i], eo[i], isa, 1 + (int)(i % 3), bias);
                sep_f64(&e[i], eo[i], isa, 2, bias);
            }
        for (int k = 0; k < ncases; k++) {
            fc_conv2d_desc d = sep_desc(rint_(0, 2), rint_(1, 6), rint_(1, 14), rint_(1, 40),
                                        rint_(1, 3), rint_(1, 4), rint_(1, 4), rint_(1, 3),
                                        rint_(1, 3), rint_(0, 2), rint_(0, 2), rint_(1, 2),
                                        rint_(1, 2), rng() % 3 == 0 ? FC_LAYOUT_NHWC : FC_LAYOUT_NCHW);
            const int64_t o = rint_(1, 40);
            const int nt = (int)rint_(1, 4), bias = (int)(rng() % 2);
            if (k % 2) sep_f32(&d, o, isa, nt, bias); else sep_f64(&d, o, isa, nt, bias);
        }
        for (int k = 0; k < ncases / 3 + 4; k++) {
            const int64_t n = rint_(0, 3), c = rint_(1, 40), hw = k == 0 ? 40000 : rint_(1, 200);
            const int64_t cr = rint_(1, 12);
            const double gain = k % 3 == 0 ? 20.0 : 1.0;
            se_f32(n, c, hw, cr, gain, isa, (int)rint_(1, 3), k % 4 == 0);
            se_f64(n, c, hw, cr, gain, isa, (int)rint_(1, 3), k % 4 == 1);
        }
        printf("isa %-8s %s\n", fc_isa_name(isa), failures == before ? "ok" : "FAILED");
    }
    for (int k = 0; k < 40; k++) {
        const int64_t g = rint_(1, 5), c = g * rint_(1, 6);
        shuffle_case(rint_(0, 3), c, k == 0 ? 100000 : rint_(0, 30), g, (int)rint_(1, 3));
    }
    /* the C core refuses what Python would have caught */
    float buf[16] = {0};
    fc_conv2d_desc bad = sep_desc(1, 4, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, FC_LAYOUT_NCHW);
    expect_rc(fc_channel_shuffle(buf, buf + 8, 1, 6, 1, 4, 4, 1), FC_EINVAL, "shuffle: groups does not divide C");
    expect_rc(fc_separable_conv2d_f32(&bad, 0, buf, buf, NULL, buf, NULL, buf, 1, 0), FC_EINVAL,
              "separable o = 0");
    bad.groups = 2;
    expect_rc(fc_separable_conv2d_f32(&bad, 3, buf, buf, NULL, buf, NULL, buf, 1, 0), FC_EINVAL,
              "separable groups != c");
    expect_rc(fc_squeeze_excitation_f32(1, 4, 0, 1, buf, buf, NULL, buf, NULL, buf, 1, 0), FC_EINVAL,
              "se hw = 0");
    printf("%d passed, %d failed\n", cases - failures, failures);
    return failures != 0;
}

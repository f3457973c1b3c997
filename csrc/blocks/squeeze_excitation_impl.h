/* squeeze_excitation_impl.h -- type-generic body of squeeze_excitation.c,
 * included with T (float or double) and SFX (f32 or f64) defined. */

#define SE_CAT_(a, b) a##_##b
#define SE_CAT(a, b) SE_CAT_(a, b)
#define FN(name) SE_CAT(name, SFX)

/* sum in double with 8 interleaved partial sums: a fixed order that the
   compiler can vectorize (one running sum would be a single long chain) */
static double FN(se_sum)(const T *a, int64_t n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            acc[j] += (double)a[i + j];
    double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++)
        s += (double)a[i];
    return s;
}

static void FN(se_pool)(int64_t planes, int64_t hw, const T *x, T *mean, int nt)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int64_t p = 0; p < planes; p++)
        mean[p] = (T)(FN(se_sum)(x + p * hw, hw) / (double)hw);
}

static void FN(se_scale)(int64_t planes, int64_t hw, const T *x, const T *scale, T *y,
                         int nthreads)
{
    const int64_t chunks = (hw + FC_SE_CHUNK - 1) / FC_SE_CHUNK;
    const int nt = se_threads(nthreads, planes, hw, planes * chunks);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int64_t q = 0; q < planes * chunks; q++) {
        const int64_t p = q / chunks, lo = (q % chunks) * FC_SE_CHUNK;
        const int64_t hi = lo + FC_SE_CHUNK < hw ? lo + FC_SE_CHUNK : hw;
        const T e = scale[p];
        const T *src = x + p * hw;
        T *dst = y + p * hw;
        for (int64_t i = lo; i < hi; i++)
            dst[i] = src[i] * e;
    }
}

int FN(fc_squeeze_excitation)(int64_t n, int64_t c, int64_t hw, int64_t cr, const T *x,
                              const T *w1, const T *b1, const T *w2, const T *b2, T *y,
                              int nthreads, int isa)
{
    int rc = se_check(n, c, hw, cr);
    if (rc != FC_OK || n == 0)
        return rc;
    const int64_t planes = n * c;
    T *pooled = (T *)malloc((size_t)planes * sizeof(T));
    T *hidden = (T *)malloc((size_t)(n * cr) * sizeof(T));
    T *scale = (T *)malloc((size_t)planes * sizeof(T));
    if (!pooled || !hidden || !scale) {
        free(pooled); free(hidden); free(scale);
        return FC_ENOMEM;
    }
    FN(se_pool)(planes, hw, x, pooled, se_threads(nthreads, planes, hw, planes));
    const fc_conv2d_desc fc1 = se_fc_desc(n, c, cr), fc2 = se_fc_desc(n, cr, c);
    /* small FC layers: one thread beats waking a team twice */
    const int fc_nt = n * c * cr < FC_SE_PARALLEL_MACS ? 1 : nthreads;
    rc = FN(fc_conv2d)(&fc1, pooled, w1, b1, hidden, fc_nt, isa);
    if (rc == FC_OK) {
        for (int64_t i = 0; i < n * cr; i++)
            hidden[i] = hidden[i] > 0 ? hidden[i] : (T)0;
        rc = FN(fc_conv2d)(&fc2, hidden, w2, b2, scale, fc_nt, isa);
    }
    if (rc == FC_OK) {
        for (int64_t p = 0; p < planes; p++)
            scale[p] = (T)stable_sigmoid((double)scale[p]);
        FN(se_scale)(planes, hw, x, scale, y, nthreads);
    }
    free(pooled); free(hidden); free(scale);
    return rc;
}

#undef FN

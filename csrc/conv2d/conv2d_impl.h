/* conv2d_impl.h -- type-generic body of conv2d.c, included with T (float or
 * double) and SFX (f32 or f64) defined.  See conv2d.c for the design. */

#define FC_CAT_(a, b) a##_##b
#define FC_CAT(a, b) FC_CAT_(a, b)
#define FN(name) FC_CAT(name, SFX)
#define UKT FC_CAT(fc_uk, SFX)

/* element (c, ih, iw) of image n, group channel offset folded into c */
static inline T FN(load_x)(const fc_conv2d_desc *d, const T *x, int64_t n, int64_t c,
                           int64_t ih, int64_t iw)
{
    if (d->layout == FC_LAYOUT_NCHW)
        return x[((n * d->c + c) * d->h + ih) * d->w + iw];
    return x[((n * d->h + ih) * d->w + iw) * d->c + c];
}

/* oc-vector panel: panel[c][row][u] = input(c0 + c, ih0 + row, u - pad_w), 0 outside */
static void FN(build_panel_dense)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                                  const T *x, int64_t n, int64_t c0, int64_t Cg,
                                  int64_t ih0, int64_t nrows, T *panel)
{
    const int64_t Wp = pl->Wp;
    /* columns u in [ulo, uhi) hold real pixels */
    const int64_t ulo = imin(d->pad_w, Wp), uhi = imax(ulo, imin(Wp, d->pad_w + d->w));
    for (int64_t c = 0; c < Cg; c++) {
        for (int64_t row = 0; row < nrows; row++) {
            T *dst = panel + (c * pl->PR + row) * Wp;
            const int64_t ih = ih0 + row;
            if (ih < 0 || ih >= d->h || uhi == ulo) {
                memset(dst, 0, (size_t)Wp * sizeof(T));
                continue;
            }
            memset(dst, 0, (size_t)ulo * sizeof(T));
            if (d->layout == FC_LAYOUT_NCHW) {
                memcpy(dst + ulo, x + ((n * d->c + c0 + c) * d->h + ih) * d->w + (ulo - d->pad_w),
                       (size_t)(uhi - ulo) * sizeof(T));
            } else {
                for (int64_t u = ulo; u < uhi; u++)
                    dst[u] = FN(load_x)(d, x, n, c0 + c, ih, u - d->pad_w);
            }
            memset(dst + uhi, 0, (size_t)(Wp - uhi) * sizeof(T));
        }
    }
}

/* pixel-vector panel: panel[c][row][q][t] = input(c0 + c, ih0 + row, t*sw + q - pad_w) */
static void FN(build_panel_pixel)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                                  const T *x, int64_t n, int64_t c0, int64_t Cg,
                                  int64_t ih0, int64_t nrows, T *panel)
{
    const int64_t sw = d->stride_w, Lp = pl->Lp;
    for (int64_t c = 0; c < Cg; c++) {
        for (int64_t row = 0; row < nrows; row++) {
            T *dst = panel + (c * pl->PR + row) * pl->Wp;
            const int64_t ih = ih0 + row;
            if (ih < 0 || ih >= d->h) {
                memset(dst, 0, (size_t)pl->Wp * sizeof(T));
                continue;
            }
            for (int64_t q = 0; q < sw; q++) {
                T *dq = dst + q * Lp;
                for (int64_t t = 0; t < Lp; t++) {
                    const int64_t iw = t * sw + q - d->pad_w;
                    dq[t] = (iw >= 0 && iw < d->w) ? FN(load_x)(d, x, n, c0 + c, ih, iw) : (T)0;
                }
            }
        }
    }
}

/* Packs OIHW weights (O = G*Og rows of K) into [g][block][k][OB], zero-padded
 * past Og: the a-operand of the oc-vector micro-kernel (also used by deform). */
void FN(fc_pack_weights)(const T *w, int64_t G, int64_t Og, int64_t K, int64_t OB,
                         int64_t nob, T *wp)
{
    for (int64_t g = 0; g < G; g++)
        for (int64_t blk = 0; blk < nob; blk++) {
            T *dst = wp + (g * nob + blk) * K * OB;
            for (int64_t r = 0; r < K; r++)
                for (int64_t l = 0; l < OB; l++) {
                    const int64_t oc = blk * OB + l;
                    dst[r * OB + l] = oc < Og ? w[(g * Og + oc) * K + r] : (T)0;
                }
        }
}

/* out[oc][oh][ow0 + p] = tile[p][l] + bias, for p < np, l < nl; oc = oc0 + l
 * (the result tile of the oc-vector micro-kernel; also used by deform) */
void FN(fc_store_tile)(const fc_conv2d_desc *d, T *y, int64_t n, int64_t oh,
                                        int64_t ow0, int64_t oc0, const T *tile, int64_t ldc,
                                        int64_t np, int64_t nl, const T *bias)
{
    if (d->layout == FC_LAYOUT_NCHW) {
        for (int64_t l = 0; l < nl; l++) {
            const T b = bias ? bias[oc0 + l] : (T)0;
            T *dst = y + ((n * d->o + oc0 + l) * d->ho + oh) * d->wo + ow0;
            for (int64_t p = 0; p < np; p++)
                dst[p] = tile[p * ldc + l] + b;
        }
    } else {
        for (int64_t p = 0; p < np; p++) {
            T *dst = y + ((n * d->ho + oh) * d->wo + ow0 + p) * d->o + oc0;
            for (int64_t l = 0; l < nl; l++)
                dst[l] = tile[p * ldc + l] + (bias ? bias[oc0 + l] : (T)0);
        }
    }
}

static int FN(conv2d_dense)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                            const T *w, const T *bias, T *y, int nthreads, const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, K = pl->K, OB = pl->OB;
    const int64_t V = pl->V, P = pl->P;
    int err = FC_OK;

    /* packed weights [g][block][k][OB] and the offset tables, shared read-only */
    int64_t wp_elems = mul4(G, pl->nob, K, OB);
    if (wp_elems < 0)
        return FC_EOVERFLOW;
    if (wp_elems > FC_MAX_SCRATCH_ELEMS)
        return FC_ENOMEM;
    T *wp = (T *)malloc((size_t)wp_elems * sizeof(T));
    int64_t *aoff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    if (!wp || !aoff || !boff) {
        free(wp); free(aoff); free(boff);
        return FC_ENOMEM;
    }
    FN(fc_pack_weights)(w, G, Og, K, OB, pl->nob, wp);
    for (int64_t c = 0, r = 0; c < Cg; c++)
        for (int64_t i = 0; i < d->kh; i++)
            for (int64_t j = 0; j < d->kw; j++, r++) {
                aoff[r] = r * OB;
                boff[r] = (c * pl->PR + i * d->dil_h) * pl->Wp + j * d->dil_w;
            }

    const int nt = fc_resolve_threads(nthreads, pl->items);
    (void)nt; /* unused in a serial build */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        T *panel = (T *)malloc((size_t)pl->panel_elems * sizeof(T));
        T *tile = (T *)malloc((size_t)(P * OB) * sizeof(T));
        if (!panel || !tile) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            err = FC_ENOMEM;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t it = 0; it < pl->items; it++) {
            if (!panel || !tile)
                continue;
            int64_t rest = it;
            const int64_t chunk = rest % pl->nchunk; rest /= pl->nchunk;
            const int64_t rb = rest % pl->nrb; rest /= pl->nrb;
            const int64_t g = rest % G;
            const int64_t n = rest / G;
            const int64_t oh0 = rb * pl->R, oh1 = imin(d->ho, oh0 + pl->R);
            const int64_t ih0 = oh0 * d->stride_h - d->pad_h;
            const int64_t nrows = (oh1 - oh0 - 1) * d->stride_h + (d->kh - 1) * d->dil_h + 1;
            FN(build_panel_dense)(d, pl, x, n, g * Cg, Cg, ih0, nrows, panel);

            const int64_t b0 = chunk * pl->ob_per_chunk, b1 = imin(pl->nob, b0 + pl->ob_per_chunk);
            for (int64_t blk = b0; blk < b1; blk++) {
                const int64_t nl = imin(OB, Og - blk * OB);
                const int m = (int)cdiv(nl, V);
                const T *wblk = wp + (g * pl->nob + blk) * K * OB;
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    const T *prow = panel + (oh - oh0) * d->stride_h * pl->Wp;
                    for (int64_t ow0 = 0; ow0 < d->wo; ow0 += P) {
                        const int64_t np = imin(P, d->wo - ow0);
                        UKT uk = ks->SFX[np][m];
                        uk(K, wblk, aoff, prow + ow0 * d->stride_w, boff, d->stride_w, tile, OB);
                        FN(fc_store_tile)(d, y, n, oh, ow0, g * Og + blk * OB, tile, OB,
                                                    np, nl, bias);
                    }
                }
            }
        }
        free(panel);
        free(tile);
    }
    free(wp); free(aoff); free(boff);
    return err;
}

static int FN(conv2d_pixel)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                            const T *w, const T *bias, T *y, int nthreads, const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, K = pl->K;
    const int64_t V = pl->V, MV = (int64_t)pl->M * V, sw = d->stride_w;
    int err = FC_OK;

    int64_t *aoff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    if (!aoff || !boff) {
        free(aoff); free(boff);
        return FC_ENOMEM;
    }
    for (int64_t c = 0, r = 0; c < Cg; c++)
        for (int64_t i = 0; i < d->kh; i++)
            for (int64_t j = 0; j < d->kw; j++, r++) {
                const int64_t col = j * d->dil_w;
                aoff[r] = (c * pl->PR + i * d->dil_h) * pl->Wp + (col % sw) * pl->Lp + col / sw;
                boff[r] = r;
            }

    const int nt = fc_resolve_threads(nthreads, pl->items);
    (void)nt; /* unused in a serial build */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        T *panel = (T *)malloc((size_t)pl->panel_elems * sizeof(T));
        T *tile = (T *)malloc((size_t)(pl->P * MV) * sizeof(T));
        if (!panel || !tile) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            err = FC_ENOMEM;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t it = 0; it < pl->items; it++) {
            if (!panel || !tile)
                continue;
            const int64_t rb = it % pl->nrb;
            const int64_t g = (it / pl->nrb) % G;
            const int64_t n = it / (pl->nrb * G);
            const int64_t oh0 = rb * pl->R, oh1 = imin(d->ho, oh0 + pl->R);
            const int64_t ih0 = oh0 * d->stride_h - d->pad_h;
            const int64_t nrows = (oh1 - oh0 - 1) * d->stride_h + (d->kh - 1) * d->dil_h + 1;
            FN(build_panel_pixel)(d, pl, x, n, g * Cg, Cg, ih0, nrows, panel);

            for (int64_t t = 0; t < pl->nob; t++) {
                const int64_t oc_lo = t * pl->P, np = imin(pl->P, Og - oc_lo);
                const T *wt = w + (g * Og + oc_lo) * K;
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    const T *prow = panel + (oh - oh0) * d->stride_h * pl->Wp;
                    for (int64_t ow0 = 0; ow0 < d->wo; ow0 += MV) {
                        const int64_t nw = imin(MV, d->wo - ow0);
                        const int m = (int)cdiv(nw, V);
                        UKT uk = ks->SFX[np][m];
                        uk(K, prow + ow0, aoff, wt, boff, K, tile, MV);
                        /* tile[p][l]: channel oc_lo + p, pixel ow0 + l */
                        const int64_t oc0 = g * Og + oc_lo;
                        if (d->layout == FC_LAYOUT_NCHW) {
                            for (int64_t p = 0; p < np; p++) {
                                const T b = bias ? bias[oc0 + p] : (T)0;
                                T *dst = y + ((n * d->o + oc0 + p) * d->ho + oh) * d->wo + ow0;
                                for (int64_t l = 0; l < nw; l++)
                                    dst[l] = tile[p * MV + l] + b;
                            }
                        } else {
                            for (int64_t l = 0; l < nw; l++) {
                                T *dst = y + ((n * d->ho + oh) * d->wo + ow0 + l) * d->o + oc0;
                                for (int64_t p = 0; p < np; p++)
                                    dst[p] = tile[p * MV + l] + (bias ? bias[oc0 + p] : (T)0);
                            }
                        }
                    }
                }
            }
        }
        free(panel);
        free(tile);
    }
    free(aoff); free(boff);
    return err;
}

int FN(fc_conv2d)(const fc_conv2d_desc *d, const T *x, const T *w, const T *bias, T *y,
                  int nthreads, int isa)
{
    int rc = fc_conv2d_check(d);
    if (rc != FC_OK)
        return rc;
    if (d->n == 0)
        return FC_OK;
    const fc_ukernel_set *ks = fc_ukernels(isa);
    if (!ks)
        return FC_EISA;
    fc_conv2d_plan_t pl;
    rc = fc_conv2d_plan(d, ks, (int)sizeof(T), nthreads > 0 ? nthreads : fc_max_threads(), &pl);
    if (rc != FC_OK)
        return rc;
    return pl.pixel_form ? FN(conv2d_pixel)(d, &pl, x, w, bias, y, nthreads, ks)
                         : FN(conv2d_dense)(d, &pl, x, w, bias, y, nthreads, ks);
}

#undef FN
#undef UKT

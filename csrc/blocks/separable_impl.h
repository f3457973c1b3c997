/* separable_impl.h -- type-generic body of separable.c, included with T (float
 * or double) and SFX (f32 or f64) defined.  See separable.c for the design. */

#define SEP_CAT_(a, b) a##_##b
#define SEP_CAT(a, b) SEP_CAT_(a, b)
#define FN(name) SEP_CAT(name, SFX)

/* depthwise result of output rows [oh0, oh0 + rows) of image n into D[cm][row*Wo + ow],
   one input channel (= one group, `mult` output channels) at a time; the bias is
   folded into the pointwise one.  With ip, conv2d's kernels that read the input
   in place (panel: their zeroed buffer), else its row kernels over a panel. */
static void FN(sep_depthwise_band)(const fc_conv2d_desc *dw, const sep_plan *sp,
                                   const fc_ukernel_set *ks, const fc_dw_inplace_t *ip,
                                   const T *x, const T *w, const int64_t *toff, int64_t n,
                                   int64_t oh0, int64_t rows, T *panel, T *D)
{
    const fc_conv2d_plan_t *pl = &sp->dpl;
    const int64_t taps = pl->K;
    const int64_t ih0 = oh0 * dw->stride_h - dw->pad_h;
    const int64_t nrows = (rows - 1) * dw->stride_h + (dw->kh - 1) * dw->dil_h + 1;
    if (ip) {
        for (int64_t g = 0; g < dw->c; g++)
            FN(fc_depthwise_inplace_rows)(ks, dw, ip, x, n, g, 1, oh0, rows, w, NULL,
                                          D + g * sp->mult * sp->ldD, sp->ldD, panel);
        return;
    }
    for (int64_t g = 0; g < dw->c; g++) {
        FN(fc_build_panel)(dw, pl, x, n, g, 1, 0, 1, ih0, nrows, panel);
        for (int64_t m = 0; m < sp->mult; m++) {
            const int64_t oc = g * sp->mult + m;
            FN(fc_depthwise_rows)(ks, dw, rows, taps, 0, panel, pl->orp * pl->Wp, toff,
                                  w + oc * taps, (T)0, D + oc * sp->ldD);
        }
    }
}

/* y pixels [px0, px0 + F) of image n (one flat row of Ho*Wo) = pointwise(D) + bias */
static void FN(sep_pointwise_band)(const sep_plan *sp, const fc_ukernel_set *ks, const T *wpk,
                                   const int64_t *aoff, const int64_t *boff, const T *bias,
                                   int64_t n, int64_t px0, int64_t F, const T *D, T *tile, T *y)
{
    const fc_conv2d_desc *d = &sp->out;
    const fc_conv2d_plan_t *pl = &sp->ppl;
    const int64_t K = sp->Cm, V = pl->V, OB = pl->OB, o = d->o;
    if (!pl->pixel_form) {
        /* a = packed weights [c][OB], b = D's pixels (consecutive: bs = 1) */
        for (int64_t blk = 0; blk < pl->nob; blk++) {
            const int64_t nl = imin(OB, o - blk * OB);
            const int m = (int)cdiv(nl, V);
            const T *wblk = wpk + blk * K * OB;
            for (int64_t f0 = 0; f0 < F; f0 += pl->P) {
                const int64_t np = imin(pl->P, F - f0);
                ks->SFX[np][m](K, wblk, aoff, D + f0, boff, 1, tile, OB, 0, NULL);
                FN(fc_store_tile)(ks, d, y, n, 0, px0 + f0, blk * OB, tile, OB, np, nl, bias);
            }
        }
        return;
    }
    /* a = D's pixel vectors, b = packed weights [c][O] (adjacent channels: bs = 1);
       pixels outer so that their D columns stay in L1 across the channel tiles */
    const int64_t MV = (int64_t)pl->M * V, HW = d->wo;
    for (int64_t f0 = 0; f0 < F; f0 += MV) {
        const int64_t nw = imin(MV, F - f0);
        const int m = (int)cdiv(nw, V);
        for (int64_t oc0 = 0; oc0 < o; oc0 += pl->P) {
            const int64_t np = imin(pl->P, o - oc0);
            if (nw % V == 0 && d->layout == FC_LAYOUT_NCHW) {
                /* whole vectors: finished rows (bias included) straight into y */
                ks->SFX[np][m](K, D + f0, aoff, wpk + oc0, boff, 1,
                               y + (n * o + oc0) * HW + px0 + f0, HW, 0, bias ? bias + oc0 : NULL);
                continue;
            }
            /* the bias goes first here too: where the bands end depends on the
               thread count, the rounding must not */
            ks->SFX[np][m](K, D + f0, aoff, wpk + oc0, boff, 1, tile, MV, 0,
                           bias ? bias + oc0 : NULL);
            /* tile[p][l]: channel oc0 + p, pixel px0 + f0 + l */
            for (int64_t p = 0; p < np; p++) {
                const T *src = tile + p * MV;
                if (d->layout == FC_LAYOUT_NCHW) {
                    memcpy(y + (n * o + oc0 + p) * HW + px0 + f0, src, (size_t)nw * sizeof(T));
                } else {
                    T *dst = y + (n * HW + px0 + f0) * o + oc0 + p;
                    for (int64_t l = 0; l < nw; l++)
                        dst[l * o] = src[l];
                }
            }
        }
    }
}

int FN(fc_separable_conv2d)(const fc_conv2d_desc *dw, int64_t o, const T *x, const T *dw_w,
                            const T *dw_b, const T *pw_w, const T *pw_b, T *y, int nthreads,
                            int isa)
{
    const fc_ukernel_set *ks = fc_ukernels(isa);
    if (!ks)
        return FC_EISA;
    sep_plan sp;
    int rc = sep_plan_make(dw, o, ks, (int)sizeof(T),
                           nthreads > 0 ? nthreads : fc_max_threads(), &sp);
    if (rc != FC_OK || dw->n == 0)
        return rc;
    const fc_conv2d_plan_t *ppl = &sp.ppl, *dpl = &sp.dpl;
    const int64_t Cm = sp.Cm, Kd = dpl->K;
    /* pixel form: weights [c][O] as one block of O lanes */
    const int64_t OB = ppl->pixel_form ? o : ppl->OB, nob = ppl->pixel_form ? 1 : ppl->nob;
    const int64_t tile_elems = (int64_t)ppl->P * (ppl->pixel_form ? (int64_t)ppl->M * ppl->V : ppl->OB);
    int err = FC_OK;

    fc_scratch_pool *pool = fc_scratch_acquire(); /* kept between calls (scratch.h) */
    T *wpk = (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS, (size_t)(nob * Cm * OB) * sizeof(T));
    T *bias = (pw_b || dw_b) ? (T *)malloc((size_t)o * sizeof(T)) : NULL;
    int64_t *toff = (int64_t *)malloc((size_t)Kd * sizeof(int64_t));
    int64_t *pao = (int64_t *)malloc((size_t)Cm * sizeof(int64_t));
    int64_t *pbo = (int64_t *)malloc((size_t)Cm * sizeof(int64_t));
    if (!wpk || (!bias && (pw_b || dw_b)) || !toff || !pao || !pbo) {
        fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wpk);
        fc_scratch_release(pool);
        free(bias); free(toff); free(pao); free(pbo);
        return FC_ENOMEM;
    }
    for (int64_t i = 0; i < dw->kh; i++)
        for (int64_t j = 0; j < dw->kw; j++)
            toff[i * dw->kw + j] = fc_panel_offset(dw, dpl, 0, i, j);
    fc_dw_inplace_t ipg;
    const fc_dw_inplace_t *ip = fc_dw_inplace_geometry(dw, dpl, ks, (int)sizeof(T), &ipg) ? &ipg
                                                                                        : NULL;
    const int64_t panel_elems = ip ? imax(dpl->panel_elems, ip->buf_elems) : dpl->panel_elems;
    for (int64_t r = 0; r < Cm; r++) {
        /* oc-vector: a = packed row r, b = D channel r; pixel-vector: the reverse */
        pao[r] = ppl->pixel_form ? r * sp.ldD : r * OB;
        pbo[r] = ppl->pixel_form ? r * OB : r * sp.ldD;
    }
    FN(fc_pack_weights)(ks, pw_w, 1, o, Cm, OB, nob, wpk);
    for (int64_t oc = 0; bias && oc < o; oc++) {
        double s = pw_b ? (double)pw_b[oc] : 0.0;
        for (int64_t c = 0; dw_b && c < Cm; c++)
            s += (double)pw_w[oc * Cm + c] * (double)dw_b[c];
        bias[oc] = (T)s;
    }

    const int nt = fc_resolve_threads(nthreads, sp.items);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        /* D zeroed: the pixel-vector GEMM loads whole vectors past the band
           (junk lanes only, but they must hold numbers) */
        const int tid = fc_thread_id();
        T *panel = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL, (size_t)panel_elems * sizeof(T));
        T *D = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)(Cm * sp.ldD) * sizeof(T));
        T *tile = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE2, (size_t)tile_elems * sizeof(T));
        if (D)
            memset(D, 0, (size_t)(Cm * sp.ldD) * sizeof(T));
        if (panel && ip) /* the in-place kernels' zero row */
            memset(panel, 0, (size_t)ip->buf_elems * sizeof(T));
        if (!panel || !D || !tile)
            fc_set_error(&err, FC_ENOMEM);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t it = 0; it < sp.items; it++) {
            if (!panel || !D || !tile)
                continue;
            const int64_t n = it / sp.nb, oh0 = (it % sp.nb) * sp.R;
            const int64_t rows = imin(sp.R, dw->ho - oh0);
            FN(sep_depthwise_band)(dw, &sp, ks, ip, x, dw_w, toff, n, oh0, rows, panel, D);
            FN(sep_pointwise_band)(&sp, ks, wpk, pao, pbo, bias, n, oh0 * dw->wo, rows * dw->wo,
                                   D, tile, y);
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, panel);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, D);
        fc_scratch_put(pool, tid, FC_SLOT_TILE2, tile);
    }
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wpk);
    fc_scratch_release(pool);
    free(bias); free(toff); free(pao); free(pbo);
    return err;
}

#undef FN

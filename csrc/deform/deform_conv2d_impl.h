/* deform_conv2d_impl.h -- type-generic body of deform_conv2d.c, included with
 * T (float or double) and SFX (f32 or f64) defined.  See deform_conv2d.c for
 * the design. */

#define FC_CAT_(a, b) a##_##b
#define FC_CAT(a, b) FC_CAT_(a, b)
#define FN(name) FC_CAT(name, SFX)
#define UKT FC_CAT(fc_uk, SFX)

static int FN(deform_run)(const fc_deform_desc *d, const deform_plan_t *dp, const T *x,
                          const T *offset, const T *mask, const T *w, const T *bias, T *y,
                          int nthreads, const fc_ukernel_set *ks,
                          const fc_deform_sampling *sm)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, C = d->c;
    const int64_t KK = d->kh * d->kw, K = Cg * KK, OB = dp->OB, V = dp->V, P = dp->P;
    const int64_t OG = d->offset_groups, Cog = C / OG, HW = d->ho * d->wo, Q = dp->Q, QP = dp->QP;
    const int64_t Wp = d->w + 2, nrows = d->h + 3;
    const fc_conv2d_desc cd = deform_as_conv(d);
    int err = FC_OK;

    /* weights permuted to the panel's tap-major reduction order (k = t*Cg + c)
       and packed [g][block][k][OB] as for conv2d */
    const int64_t wp_f[] = {G, dp->nob, K, OB};
    const int64_t wp_elems = dprod(wp_f, 4), xp_elems = nrows * Wp * C;
    if (wp_elems < 0)
        return FC_EOVERFLOW;
    T *wperm = (T *)malloc((size_t)(d->o * K) * sizeof(T));
    T *wp = (T *)dalloc((size_t)wp_elems * sizeof(T));
    int64_t *aoff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    T *xp = (T *)dalloc((size_t)xp_elems * sizeof(T));
    /* undisplaced sample coordinates per tap row / column, converted to T
       once (torchvision adds the offset to the int converted to T) */
    T *ybase = (T *)malloc((size_t)(d->kh * d->ho) * sizeof(T));
    T *xbase = (T *)malloc((size_t)(d->kw * d->wo) * sizeof(T));
    if (!wperm || !wp || !aoff || !boff || !xp || !ybase || !xbase) {
        free(wperm); dfree(wp); free(aoff); free(boff); dfree(xp); free(ybase); free(xbase);
        return FC_ENOMEM;
    }
    for (int64_t i = 0; i < d->kh; i++)
        for (int64_t oh = 0; oh < d->ho; oh++)
            ybase[i * d->ho + oh] = (T)(oh * d->stride_h - d->pad_h + i * d->dil_h);
    for (int64_t j = 0; j < d->kw; j++)
        for (int64_t ow = 0; ow < d->wo; ow++)
            xbase[j * d->wo + ow] = (T)(ow * d->stride_w - d->pad_w + j * d->dil_w);
    for (int64_t o = 0; o < d->o; o++)
        for (int64_t t = 0; t < KK; t++)
            for (int64_t c = 0; c < Cg; c++)
                wperm[o * K + t * Cg + c] = w[o * K + c * KK + t];
    FN(fc_pack_weights)(wperm, G, Og, K, OB, dp->nob, wp);
    free(wperm);
    for (int64_t r = 0; r < K; r++) {
        aoff[r] = r * OB;
        boff[r] = r;
    }

    const int nt = fc_resolve_threads(nthreads, dmax(dp->items, nrows));
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int64_t plan_n = dp->nog * KK * Q;
        T *panel = (T *)dalloc((size_t)(QP * K) * sizeof(T));
        T *tile = (T *)malloc((size_t)(P * OB) * sizeof(T));
        int32_t *iyx = (int32_t *)malloc((size_t)(2 * plan_n) * sizeof(int32_t));
        T *wts = (T *)malloc((size_t)(4 * plan_n) * sizeof(T));
        fc_deform_seg *segs = (fc_deform_seg *)malloc((size_t)dp->nog * sizeof(fc_deform_seg));
        const int ok = panel && tile && iyx && wts && segs;
        if (!ok) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            err = FC_ENOMEM;
        }
        for (int64_t n = 0; n < d->n; n++) {
            /* every thread takes part in both loops (their barriers keep xp
               consistent); a thread without scratch only copies rows */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t r = 0; r < nrows; r++)
                sm->FC_CAT(copy, SFX)(x + n * C * d->h * d->w, C, d->h, d->w, r, r + 1, xp);

#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (int64_t it = 0; it < dp->items; it++) {
                if (!ok)
                    continue;
                const int64_t chunk = it % dp->nchunk, qc = it / dp->nchunk;
                const int64_t p0 = qc * Q, q = dmin(Q, HW - p0);
                const int64_t b0 = chunk * dp->ob_per_chunk;
                const int64_t b1 = dmin(dp->nob, b0 + dp->ob_per_chunk);
                int64_t planned_a = -1, planned_b = -1;
                for (int64_t g = 0; g < G; g++) {
                    /* offset groups met by this weight group's channels */
                    const int64_t og_a = (g * Cg) / Cog, og_b = ((g + 1) * Cg - 1) / Cog;
                    if (og_a != planned_a || og_b != planned_b) {
                        for (int64_t og = og_a; og <= og_b; og++) {
                            const T *ob = offset + (n * OG + og) * 2 * KK * HW;
                            const T *mb = mask ? mask + (n * OG + og) * KK * HW : NULL;
                            for (int64_t t = 0; t < KK; t++) {
                                const int64_t e = ((og - og_a) * KK + t) * Q;
                                sm->FC_CAT(plan, SFX)(ybase + (t / d->kw) * d->ho,
                                                      xbase + (t % d->kw) * d->wo, d->wo, d->h,
                                                      d->w, ob + 2 * t * HW, ob + (2 * t + 1) * HW,
                                                      mb ? mb + t * HW : NULL, p0, q, iyx + e,
                                                      iyx + plan_n + e, wts + e, wts + plan_n + e,
                                                      wts + 2 * plan_n + e, wts + 3 * plan_n + e);
                            }
                        }
                        planned_a = og_a;
                        planned_b = og_b;
                    }
                    int64_t nseg = 0;
                    for (int64_t og = og_a; og <= og_b; og++, nseg++) {
                        const int64_t lo = dmax(og * Cog, g * Cg), hi = dmin((og + 1) * Cog, (g + 1) * Cg);
                        segs[nseg] = (fc_deform_seg){og - og_a, lo - g * Cg, hi - lo};
                    }

                    /* panels of QP pixels, gathered just before the micro-kernel
                       reads them, so that they are still in L1 */
                    for (int64_t pp = 0; pp < q; pp += QP) {
                        const int64_t npp = dmin(QP, q - pp);
                        sm->FC_CAT(gather, SFX)(xp + g * Cg, C, Wp, segs, nseg, iyx + pp,
                                                iyx + plan_n + pp, wts + pp, plan_n, KK, Q, npp,
                                                Cg, panel);
                        for (int64_t blk = b0; blk < b1; blk++) {
                            const int64_t nl = dmin(OB, Og - blk * OB), oc0 = g * Og + blk * OB;
                            const int m = (int)dcdiv(nl, V);
                            const T *wblk = wp + (g * dp->nob + blk) * K * OB;
                            for (int64_t pt = 0; pt < npp; pt += P) {
                                const int64_t np = dmin(P, npp - pt);
                                UKT uk = ks->SFX[np][m];
                                uk(K, wblk, aoff, panel + pt * K, boff, K, tile, OB);
                                /* the tile's pixels may run over several output rows */
                                for (int64_t u = 0; u < np;) {
                                    const int64_t pix = p0 + pp + pt + u;
                                    const int64_t oh = pix / d->wo, ow = pix % d->wo;
                                    const int64_t len = dmin(d->wo - ow, np - u);
                                    FN(fc_store_tile)(&cd, y, n, oh, ow, oc0, tile + u * OB, OB,
                                                      len, nl, bias);
                                    u += len;
                                }
                            }
                        }
                    }
                }
            }
        }
        dfree(panel); free(tile); free(iyx); free(wts); free(segs);
    }
    dfree(wp); free(aoff); free(boff); dfree(xp); free(ybase); free(xbase);
    return err;
}

int FN(fc_deform_conv2d)(const fc_deform_desc *d, const T *x, const T *offset, const T *mask,
                         const T *w, const T *bias, T *y, int nthreads, int isa)
{
    int rc = fc_deform_check(d);
    if (rc != FC_OK)
        return rc;
    if (d->n == 0)
        return FC_OK;
    const fc_ukernel_set *ks = fc_ukernels(isa);
    const fc_deform_sampling *sm = fc_deform_sampling_for(isa);
    if (!ks || !sm)
        return FC_EISA;
    deform_plan_t dp;
    rc = deform_plan(d, ks, (int)sizeof(T), nthreads > 0 ? nthreads : fc_max_threads(), &dp);
    if (rc != FC_OK)
        return rc;
    return FN(deform_run)(d, &dp, x, offset, mask, w, bias, y, nthreads, ks, sm);
}

#undef FN
#undef UKT
#undef FC_CAT
#undef FC_CAT_

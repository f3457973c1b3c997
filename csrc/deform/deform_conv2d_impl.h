/* deform_conv2d_impl.h -- type-generic body of deform_conv2d.c, included with
 * T (float or double) and SFX (f32 or f64) defined.  See deform_conv2d.c for
 * the design. */

#define FC_CAT_(a, b) a##_##b
#define FC_CAT(a, b) FC_CAT_(a, b)
#define FN(name) FC_CAT(name, SFX)
#define UKT FC_CAT(fc_uk, SFX)

/* zero-bordered NCHW plane rows [r0, r1) of image n, over all channels:
 * xq[c][1 + ih][1 + iw] = x[n][c][ih][iw] in planes of (H+3) x (W+2) */
static void FN(deform_copy_planes)(const fc_deform_desc *d, const T *x, int64_t n, int64_t r0,
                                   int64_t r1, T *xq)
{
    const int64_t Wp = d->w + 2, Hp = d->h + 3;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t c = r / Hp, ih = r % Hp - 1;
        T *dst = xq + r * Wp;
        if (ih < 0 || ih >= d->h) {
            memset(dst, 0, (size_t)Wp * sizeof(T));
            continue;
        }
        dst[0] = dst[Wp - 1] = (T)0;
        memcpy(dst + 1, x + ((n * d->c + c) * d->h + ih) * d->w, (size_t)d->w * sizeof(T));
    }
}

/* deform_run's call-wide scratch given back, and the pool. */
static void FN(deform_free)(fc_scratch_pool *pool, T *wp, T *xp, int64_t *aoff, int64_t *boff,
                            T *ybase, T *xbase)
{
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wp);
    fc_scratch_put(pool, 0, FC_SLOT_CALL2, xp);
    fc_scratch_release(pool);
    free(aoff); free(boff); free(ybase); free(xbase);
}

/* The micro-kernel's work on one gathered panel (npp pixels from flat pixel
 * pix0 of image n, weight group g, output-channel blocks [b0, b1)). */
static void FN(deform_panel_gemm)(const fc_deform_desc *d, const deform_plan_t *dp,
                                  const fc_ukernel_set *ks, const fc_conv2d_desc *cd,
                                  const T *wts, const int64_t *aoff, const int64_t *boff,
                                  const T *panel, const T *bias, T *y, int64_t n, int64_t g,
                                  int64_t pix0, int64_t npp, int64_t b0, int64_t b1, T *tile)
{
    const int64_t Og = d->o / d->groups, K = d->c / d->groups * d->kh * d->kw;
    const int64_t OB = dp->OB, V = dp->V, P = dp->P;
    if (dp->planar) {
        /* pixel-vector form: panel rows of pixels x OIHW weights broadcast */
        const int64_t MV = (int64_t)dp->M * V, HW = d->ho * d->wo;
        for (int64_t blk = b0; blk < b1; blk++) {
            const int64_t oc0 = g * Og + blk * OB, noc = dmin(OB, Og - blk * OB);
            for (int64_t pt = 0; pt < npp; pt += MV) {
                const int64_t npx = dmin(MV, npp - pt);
                UKT uk = ks->SFX[noc][dcdiv(npx, V)];
                uk(K, panel + pt, aoff, wts + oc0 * K, boff, K, tile, MV, 0, NULL);
                /* tile[p][l]: channel oc0 + p, pixel pix0 + pt + l (NCHW rows
                   of one channel are consecutive flat pixels) */
                for (int64_t p = 0; p < noc; p++) {
                    const T bv = bias ? bias[oc0 + p] : (T)0;
                    T *dst = y + (n * d->o + oc0 + p) * HW + pix0 + pt;
                    for (int64_t l = 0; l < npx; l++)
                        dst[l] = tile[p * MV + l] + bv;
                }
            }
        }
        return;
    }
    /* oc-vector form: packed weight vectors x panel pixels broadcast */
    for (int64_t blk = b0; blk < b1; blk++) {
        const int64_t nl = dmin(OB, Og - blk * OB), oc0 = g * Og + blk * OB;
        const int m = (int)dcdiv(nl, V);
        const T *wblk = wts + (g * dp->nob + blk) * K * OB;
        for (int64_t pt = 0; pt < npp; pt += P) {
            const int64_t np = dmin(P, npp - pt);
            UKT uk = ks->SFX[np][m];
            uk(K, wblk, aoff, panel + pt * K, boff, K, tile, OB, 0, NULL);
            /* the tile's pixels may run over several output rows */
            for (int64_t u = 0; u < np;) {
                const int64_t pix = pix0 + pt + u, oh = pix / d->wo, ow = pix % d->wo;
                const int64_t len = dmin(d->wo - ow, np - u);
                FN(fc_store_tile)(ks, cd, y, n, oh, ow, oc0, tile + u * OB, OB, len, nl, bias);
                u += len;
            }
        }
    }
}

static int FN(deform_run)(const fc_deform_desc *d, const deform_plan_t *dp, const T *x,
                          const T *offset, const T *mask, const T *w, const T *bias, T *y,
                          int nthreads, const fc_ukernel_set *ks,
                          const fc_deform_sampling *sm)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, C = d->c;
    const int64_t KK = d->kh * d->kw, K = Cg * KK, OB = dp->OB;
    const int64_t OG = d->offset_groups, Cog = C / OG, HW = d->ho * d->wo, Q = dp->Q, QP = dp->QP;
    const int64_t Wp = d->w + 2, Hp = d->h + 3, plane = Hp * Wp;
    /* the image copy: channels-last rows, or NCHW planes for the planar form */
    const int64_t ncopy = dp->planar ? C * Hp : Hp;
    const int64_t tile_elems = dp->planar ? dp->P * (int64_t)dp->M * dp->V : dp->P * OB;
    const fc_conv2d_desc cd = deform_as_conv(d);
    int err = FC_OK;

    const int64_t wp_f[] = {G, dp->nob, K, OB};
    const int64_t wp_elems = dp->planar ? 0 : dprod(wp_f, 4);
    if (wp_elems < 0)
        return FC_EOVERFLOW;
    /* packed weights and the padded image copy: kept between calls (scratch.h) */
    fc_scratch_pool *pool = fc_scratch_acquire();
    T *wp = dp->planar ? NULL
                       : (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS, (size_t)wp_elems * sizeof(T));
    int64_t *aoff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    T *xp = (T *)fc_scratch_get(pool, 0, FC_SLOT_CALL2, (size_t)(plane * C) * sizeof(T));
    /* undisplaced sample coordinates per tap row / column, converted to T
       once (torchvision adds the offset to the int converted to T) */
    T *ybase = (T *)malloc((size_t)(d->kh * d->ho) * sizeof(T));
    T *xbase = (T *)malloc((size_t)(d->kw * d->wo) * sizeof(T));
    if ((!dp->planar && !wp) || !aoff || !boff || !xp || !ybase || !xbase) {
        FN(deform_free)(pool, wp, xp, aoff, boff, ybase, xbase);
        return FC_ENOMEM;
    }
    for (int64_t i = 0; i < d->kh; i++)
        for (int64_t oh = 0; oh < d->ho; oh++)
            ybase[i * d->ho + oh] = (T)(oh * d->stride_h - d->pad_h + i * d->dil_h);
    for (int64_t j = 0; j < d->kw; j++)
        for (int64_t ow = 0; ow < d->wo; ow++)
            xbase[j * d->wo + ow] = (T)(ow * d->stride_w - d->pad_w + j * d->dil_w);
    if (dp->planar) {
        /* panel rows in OIHW order (r = c*KK + t): the weights as they are */
        for (int64_t r = 0; r < K; r++) {
            aoff[r] = r * QP;
            boff[r] = r;
        }
    } else {
        /* weights permuted to the panel's tap-major reduction order
           (r = t*Cg + c) and packed [g][block][r][OB] as for conv2d */
        T *wperm = (T *)malloc((size_t)(d->o * K) * sizeof(T));
        if (!wperm) {
            FN(deform_free)(pool, wp, xp, aoff, boff, ybase, xbase);
            return FC_ENOMEM;
        }
        for (int64_t o = 0; o < d->o; o++)
            for (int64_t t = 0; t < KK; t++)
                for (int64_t c = 0; c < Cg; c++)
                    wperm[o * K + t * Cg + c] = w[o * K + c * KK + t];
        FN(fc_pack_weights)(ks, wperm, G, Og, K, OB, dp->nob, wp);
        free(wperm);
        for (int64_t r = 0; r < K; r++) {
            aoff[r] = r * OB;
            boff[r] = r;
        }
    }
    const T *wts_gemm = dp->planar ? w : wp;

    const int nt = fc_resolve_threads(nthreads, dmax(dp->items, ncopy));
    (void)nt; /* unused in a serial build */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int64_t plan_n = dp->nog * KK * Q;
        const int tid = fc_thread_id();
        T *panel = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL, (size_t)(QP * K) * sizeof(T));
        T *tile = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)tile_elems * sizeof(T));
        int32_t *iyx = (int32_t *)fc_scratch_get(pool, tid, FC_SLOT_TILE2,
                                                 (size_t)(2 * plan_n) * sizeof(int32_t));
        T *wts = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE3, (size_t)(4 * plan_n) * sizeof(T));
        fc_deform_seg *segs = (fc_deform_seg *)malloc((size_t)dp->nog * sizeof(fc_deform_seg));
        T *cbase = (T *)malloc((size_t)((d->kh + d->kw) * Q) * sizeof(T));
        const int ok = panel && tile && iyx && wts && segs && cbase;
        if (!ok) {
            fc_set_error(&err, FC_ENOMEM);
        } else {
            /* the planar form's last call may read a few lanes past the
               pixels of a short panel: keep them finite */
            memset(panel, 0, (size_t)(QP * K) * sizeof(T));
        }
        for (int64_t n = 0; n < d->n; n++) {
            /* every thread takes part in both loops (their barriers keep xp
               consistent); a thread without scratch only copies rows.  Both
               are dynamic: on a shared machine a preempted thread must not
               hold rows the others wait for at the barrier */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 8)
#endif
            for (int64_t r = 0; r < ncopy; r++) {
                if (dp->planar)
                    FN(deform_copy_planes)(d, x, n, r, r + 1, xp);
                else
                    sm->FC_CAT(copy, SFX)(x + n * C * d->h * d->w, C, d->h, d->w, r, r + 1, xp);
            }

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
                /* the chunk's undisplaced coordinates per tap row and column */
                for (int64_t p = 0, oh = p0 / d->wo, ow = p0 % d->wo; p < q; p++) {
                    for (int64_t i = 0; i < d->kh; i++)
                        cbase[i * Q + p] = ybase[i * d->ho + oh];
                    for (int64_t j = 0; j < d->kw; j++)
                        cbase[(d->kh + j) * Q + p] = xbase[j * d->wo + ow];
                    if (++ow == d->wo) {
                        ow = 0;
                        oh++;
                    }
                }
                for (int64_t g = 0; g < G; g++) {
                    /* offset groups met by this weight group's channels */
                    const int64_t og_a = (g * Cg) / Cog, og_b = ((g + 1) * Cg - 1) / Cog;
                    if (og_a != planned_a || og_b != planned_b) {
                        for (int64_t og = og_a; og <= og_b; og++) {
                            const T *ob = offset + (n * OG + og) * 2 * KK * HW;
                            const T *mb = mask ? mask + (n * OG + og) * KK * HW : NULL;
                            for (int64_t t = 0; t < KK; t++) {
                                const int64_t e = ((og - og_a) * KK + t) * Q;
                                sm->FC_CAT(plan, SFX)(cbase + (t / d->kw) * Q,
                                                      cbase + (d->kh + t % d->kw) * Q, d->h, d->w,
                                                      ob + 2 * t * HW + p0,
                                                      ob + (2 * t + 1) * HW + p0,
                                                      mb ? mb + t * HW + p0 : NULL, q, iyx + e,
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
                       reads them, so that they are still in cache */
                    for (int64_t pp = 0; pp < q; pp += QP) {
                        const int64_t npp = dmin(QP, q - pp);
                        if (dp->planar)
                            sm->FC_CAT(gather_planar, SFX)(xp + g * Cg * plane, plane, Wp, segs,
                                                           nseg, iyx + pp, iyx + plan_n + pp,
                                                           wts + pp, plan_n, KK, Q, npp, QP,
                                                           panel);
                        else
                            sm->FC_CAT(gather, SFX)(xp + g * Cg, C, Wp, segs, nseg, iyx + pp,
                                                    iyx + plan_n + pp, wts + pp, plan_n, KK, Q,
                                                    npp, Cg, panel);
                        FN(deform_panel_gemm)(d, dp, ks, &cd, wts_gemm, aoff, boff, panel, bias,
                                              y, n, g, p0 + pp, npp, b0, b1, tile);
                    }
                }
            }
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, panel);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, tile);
        fc_scratch_put(pool, tid, FC_SLOT_TILE2, iyx);
        fc_scratch_put(pool, tid, FC_SLOT_TILE3, wts);
        free(segs); free(cbase);
    }
    FN(deform_free)(pool, wp, xp, aoff, boff, ybase, xbase);
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

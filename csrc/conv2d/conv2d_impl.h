/* conv2d_impl.h -- type-generic body of conv2d.c, included with T (float or
 * double) and SFX (f32 or f64) defined.  See conv2d.c for the design. */

#define FC_CAT_(a, b) a##_##b
#define FC_CAT(a, b) FC_CAT_(a, b)
#define FN(name) FC_CAT(name, SFX)
#define UKT FC_CAT(fc_uk, SFX)
#define KS(name) FC_CAT(name, SFX) /* the ukernel set's entry for this dtype */

/* dst[l*ldd + p] = src[p*lds + l] (+ bias[l] when bias is given) for p < np,
 * l < nl: floats by fc_transpose_bias_f32's 4x4 register blocks, the rest one
 * by one.  NHWC panel rows, the pixel form's NHWC tiles and the oc-vector
 * form's NCHW tiles. */
static void FN(transpose_bias)(const T *src, int64_t lds, int64_t np, int64_t nl, const T *bias,
                               T *dst, int64_t ldd)
{
    int64_t p0 = 0, l0 = 0;
    if (sizeof(T) == sizeof(float))
        fc_transpose_bias_f32((const float *)src, lds, np, nl, (const float *)bias, (float *)dst,
                              ldd, &p0, &l0);
    for (int64_t l = 0; l < nl; l++) {
        T *dl = dst + l * ldd;
        for (int64_t p = l < l0 ? p0 : 0; p < np; p++)
            dl[p] = bias ? src[p * lds + l] + bias[l] : src[p * lds + l];
    }
}

/* The input panel of one work item, shared by both forms:
 *   panel[row][c][q][t] = input(c0 + c, ih0 + row*row_step, t*sw + q - pad_w), 0 outside,
 * (or, when output rows read disjoint input rows, kh rows per output row: pl->orp),
 * i.e. each input row split into `sw` phases of Lp elements (or one slot per
 * kernel column, see fc_conv2d_plan), so that the inputs of
 * consecutive output pixels are consecutive in memory for every tap, whatever the
 * stride (unit-stride broadcasts or vector loads in the micro-kernel).  Also the
 * depthwise stage of the fused separable convolution (csrc/blocks/separable.c).
 * The rows are written by the instruction set's own vector code: panel_rows,
 * one call per channel and slot, or for stride 2 panel_rows2, both slots of a
 * channel in one pass over its rows. */
void FN(fc_build_panel)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                        int64_t n, int64_t c0, int64_t Cg, int64_t cb, int64_t ce, int64_t ih0,
                        int64_t nrows, T *panel)
{
    const int64_t sw = d->stride_w, Lp = pl->Lp, W = d->w, step = pl->row_step;
    const int64_t nslot = pl->Wp / Lp, pitch = Cg * pl->Wp; /* panel row to row */
    const T *x_end = x + d->n * d->c * d->h * W; /* reads stay below */
    if (ce <= cb)
        return;
    /* rows [rlo, rhi) are inside the image, the others are zeros */
    const int64_t rlo = imin(nrows, ih0 >= 0 ? 0 : cdiv(-ih0, step));
    const int64_t rhi = imax(rlo, imin(nrows, d->h - 1 - ih0 >= 0 ? (d->h - 1 - ih0) / step + 1 : 0));
    /* rows of zeros above and below the image (the channels' slots) */
    const int64_t span = (ce - cb) * pl->Wp;
    pl->ks->KS(panel_rows)(x, 0, 1, rlo, 0, 0, span, panel + cb * pl->Wp, pitch, x, 0);
    pl->ks->KS(panel_rows)(x, 0, 1, nrows - rhi, 0, 0, span, panel + rhi * pitch + cb * pl->Wp,
                           pitch, x, 0);
    if (rhi == rlo)
        return;
    const int64_t ih = ih0 + rlo * step;
    if (d->layout == FC_LAYOUT_NCHW && sw == 2 && nslot == 2 && !pl->phase_per_tap) {
        /* stride 2: both phases of a row in one pass over it */
        const fc_slot_range_t s0 = fc_slot_range(d, pl, 0), s1 = fc_slot_range(d, pl, 1);
        const int64_t tlo[2] = {s0.tlo, s1.tlo}, thi[2] = {s0.thi, s1.thi};
        /* (a row may overshoot into the later channels' slots of its panel
           row, which the calls after it write) */
        for (int64_t c = cb; c < ce; c++)
            pl->ks->KS(panel_rows2)(x + ((n * d->c + c0 + c) * d->h + ih) * W, step * W,
                                    -d->pad_w, rhi - rlo, tlo, thi, Lp,
                                    panel + rlo * pitch + c * pl->Wp, pitch, x_end,
                                    (ce - 1 - c) * pl->Wp);
        return;
    }
    if (d->layout == FC_LAYOUT_NHWC && sizeof(T) == sizeof(float) && ce - cb >= 4) {
        /* NHWC: each row's slot a transpose of its [pixel][channel] block, the
           pixels sw*C apart, by 4x4 register blocks (g32 128x56x56 3x3 1.3x
           against a gather per channel, which went over the same pixels' lines
           Cg times; at stride 2, 256x56x56 g32, 5x).  Not for fewer than 4
           channels (3-channel stems: 0.96x). */
        const int64_t nc = ce - cb;
        for (int64_t k = 0; k < nslot; k++) {
            const fc_slot_range_t sl = fc_slot_range(d, pl, k);
            const int64_t np = imax(0, sl.thi - sl.tlo);
            for (int64_t r = rlo; r < rhi; r++) {
                const T *src =
                    x + ((n * d->h + ih + (r - rlo) * step) * W + sl.iw0) * d->c + c0 + cb;
                T *dst = panel + r * pitch + cb * pl->Wp + k * Lp;
                FN(transpose_bias)(src, sw * d->c, np, nc, NULL, dst + sl.tlo, pl->Wp);
                for (int64_t c = 0; c < nc; c++) { /* the padding's zeros */
                    T *dc = dst + c * pl->Wp;
                    for (int64_t t = 0; t < sl.tlo; t++)
                        dc[t] = (T)0;
                    for (int64_t t = sl.tlo + np; t < Lp; t++)
                        dc[t] = (T)0;
                }
            }
        }
        return;
    }
    for (int64_t k = 0; k < nslot; k++) {
        /* which t of the slot hold real pixels (0 <= t*sw + q - pw < W) */
        const fc_slot_range_t sl = fc_slot_range(d, pl, k);
        for (int64_t c = cb; c < ce; c++) {
            T *dst = panel + c * pl->Wp + k * Lp;
            /* a row may overrun its slot into the later channels' slots of the
               panel row that this call writes after it (with one slot per
               channel: with several, the next channel's first was written in an
               earlier pass over k); rows of 7 or 14 then copy as one vector, not
               scalars (g32 1024x7x7 1.15x, 512x14x14 1.07x) */
            const int64_t slack = nslot == 1 ? (ce - 1 - c) * Lp : 0;
            if (d->layout == FC_LAYOUT_NCHW)
                pl->ks->KS(panel_rows)(x + ((n * d->c + c0 + c) * d->h + ih) * W + sl.iw0,
                                       step * W, sw, rhi - rlo, sl.tlo, sl.thi, Lp,
                                       dst + rlo * pitch, pitch, x_end, slack);
            else
                pl->ks->KS(panel_rows)(x + ((n * d->h + ih) * W + sl.iw0) * d->c + c0 + c,
                                       step * W * d->c, sw * d->c, rhi - rlo, sl.tlo, sl.thi,
                                       Lp, dst + rlo * pitch, pitch, x_end, slack);
        }
    }
}

/* The panel of output rows [oh0, oh1) of image n, channels c0 .. c0+Cg-1: the
 * input rows they read, every row_step-th one.  Part `part` of `nparts`
 * builds only its share of the channels (each reads whole input planes). */
static void FN(build_row_block_panel)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                                      const T *x, int64_t n, int64_t c0, int64_t Cg, int64_t oh0,
                                      int64_t oh1, T *panel, int64_t part, int64_t nparts)
{
    const int64_t cb = Cg * part / nparts, ce = Cg * (part + 1) / nparts;
    /* kh rows per output row, none in between (with one kernel row they are
       every row_step-th: the general case below) */
    if (pl->disjoint && d->kh > 1) {
        for (int64_t oh = oh0; oh < oh1; oh++)
            FN(fc_build_panel)(d, pl, x, n, c0, Cg, cb, ce, oh * d->stride_h - d->pad_h, d->kh,
                               panel + (oh - oh0) * pl->orp * Cg * pl->Wp);
        return;
    }
    const int64_t ih0 = oh0 * d->stride_h - d->pad_h;
    const int64_t nrows =
        ((oh1 - oh0 - 1) * d->stride_h + (d->kh - 1) * d->dil_h) / pl->row_step + 1;
    FN(fc_build_panel)(d, pl, x, n, c0, Cg, cb, ce, ih0, nrows, panel);
}

/* One block gb = (g, blk) of the packed weights [g][block][r][OB] (zero-padded
 * past Og), written at dst; returns 1 when its weights are all finite (checked
 * on the way: they are read once).  The reduction index r runs over (tap,
 * channel) pairs in (c, tap) order when taps == 1: a transpose of the block's OB
 * rows, the ISA's pack_rows.  In (tap, c) order otherwise: each packed row of OB
 * weights written contiguously, reading the OB source rows side by side. */
static int FN(pack_weight_block)(const fc_ukernel_set *ks, const T *w, int64_t Og, int64_t K,
                                 int64_t taps, int64_t OB, int64_t nob, int64_t gb, T *dst)
{
    const int64_t g = gb / nob, blk = gb % nob, Cg = K / taps;
    const int64_t nl = imax(0, imin(OB, Og - blk * OB)); /* real output channels */
    const T *src = w + (g * Og + blk * OB) * K;          /* row l: [c][tap] */
    if (taps == 1)
        return ks->KS(pack_rows)(src, K, nl, K, OB, dst);
    int finite = 1;
    /* 16 source rows at a time: their read streams fit L1's associativity even
       when the row length is a multiple of 4 KB apart (512 x 3 x 3 floats) */
    for (int64_t l0 = 0; l0 < OB; l0 += 16) {
        const int64_t l1 = imin(OB, l0 + 16), lr = imax(l0, imin(l1, nl));
        for (int64_t t = 0; t < taps; t++)
            for (int64_t c = 0; c < Cg; c++) {
                T *d = dst + (t * Cg + c) * OB;
                const T *s = src + c * taps + t;
                for (int64_t l = l0; l < lr; l++) {
                    const T v = s[l * K];
                    d[l] = v;
                    finite &= (v - v) == (T)0; /* NaN - NaN and Inf - Inf are NaN */
                }
                for (int64_t l = lr; l < l1; l++)
                    d[l] = (T)0;
            }
    }
    return finite;
}

/* Packs OIHW weights (O = G*Og rows of K) into [g][block][k][OB], zero-padded
 * past Og: the a-operand of the oc-vector micro-kernel (also used by deform). */
void FN(fc_pack_weights)(const fc_ukernel_set *ks, const T *w, int64_t G, int64_t Og,
                         int64_t K, int64_t OB, int64_t nob, T *wp)
{
    for (int64_t gb = 0; gb < G * nob; gb++)
        (void)FN(pack_weight_block)(ks, w, Og, K, 1, OB, nob, gb, wp + gb * K * OB);
}

/* out[oc][pixel q + p] = tile[p][l] + bias, for p < np, l < nl; oc = oc0 + l,
 * q = pixel ow0 of output row oh, the np pixels consecutive in row-major order
 * (they may run over several rows).  The result tile of the oc-vector
 * micro-kernel; also used by deform and separable_conv2d.  NCHW runs of V or
 * more pixels go through the ISA's V x V transposes (tile_unpack; against 4x4
 * SSE transposes row by row, dense 3x3 64x56x56 and 256x14x14 stored a work
 * item at a time 1.01x, 1x7 128x17x17 1.02x), shorter ones through 4x4 ones. */
void FN(fc_store_tile)(const fc_ukernel_set *ks, const fc_conv2d_desc *d, T *y, int64_t n,
                       int64_t oh, int64_t ow0, int64_t oc0, const T *tile, int64_t ldc,
                       int64_t np, int64_t nl, const T *bias)
{
    if (d->layout == FC_LAYOUT_NCHW) {
        T *dst0 = y + ((n * d->o + oc0) * d->ho + oh) * d->wo + ow0;
        const int64_t ldd = d->ho * d->wo;
        const int64_t V = sizeof(T) == 4 ? ks->vlen_f32 : ks->vlen_f64;
        if (np >= V && ks->KS(tile_unpack)) {
            for (int64_t l0 = 0; l0 < nl; l0 += V)
                ks->KS(tile_unpack)(tile + l0, ldc, np, bias ? bias + oc0 + l0 : NULL,
                                    dst0 + l0 * ldd, ldd, imin(V, nl - l0));
            return;
        }
        FN(transpose_bias)(tile, ldc, np, nl, bias ? bias + oc0 : NULL, dst0, ldd);
    } else {
        for (int64_t p = 0; p < np; p++) {
            T *dst = y + ((n * d->ho + oh) * d->wo + ow0 + p) * d->o + oc0;
            for (int64_t l = 0; l < nl; l++)
                dst[l] = tile[p * ldc + l] + (bias ? bias[oc0 + l] : (T)0);
        }
    }
}

/* 1 when every weight is finite: then taps that only ever meet zero padding can
 * be skipped without changing a result (0 * Inf would have been NaN). */
static int FN(all_finite)(const T *w, int64_t n)
{
    int ok = 1;
    for (int64_t i = 0; i < n; i++)
        ok &= (w[i] - w[i]) == (T)0; /* NaN - NaN and Inf - Inf are NaN; vectorises */
    return ok;
}

static int FN(conv2d_dense)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                            const T *w, const T *bias, T *y, int nthreads, const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, K = pl->K, OB = pl->OB;
    const int64_t V = pl->V, taps = d->kh * d->kw;
    int err = FC_OK;

    /* packed weights [g][block][c][tap][OB] (the OIHW reduction order), the tap
       tables, row tiles: shared, read-only (or packed per item: fc_pack_lazily) */
    const int nt = fc_resolve_threads(nthreads, pl->items);
    const int lazy = fc_pack_lazily(d, pl, nt);
    /* Fewer panels than threads (the output channels are split to feed them):
       every thread would build the same panel, all of it, the stride-2 1x1
       layers' dearest part (10% of 512x28x28 -> 1024 on one thread, on 16 it
       kept the layer from scaling past 4).  The threads then build the panels
       together, each a share of the channels, and the items read them shared:
       2 threads, 512x28x28 -> 1024 1x1 s2 1.08-1.14x, 1024x14x14 -> 2048 1.04x.
       Not a 1x1 stride-1 panel, a plain copy of the input: copying it again
       costs less than fetching the other cores' parts (1024x14x14 -> 256 0.79x).
       The shared panels take no more memory than one per thread. */
    const int64_t panels = pl->items / pl->nchunk;
    const int plain_copy = d->kh == 1 && d->kw == 1 && d->stride_h == 1 && d->stride_w == 1;
    const int in_place = pl->in_place; /* the panel is the input (fc_conv2d_plan) */
    /* pixel to pixel in the panel: its stride phases are split; in the input
       the stride */
    const int64_t bs = in_place ? d->stride_w : 1;
    /* (a panel per thread again where their total would not fit in 64 bits) */
    const int64_t spanel_elems = mul_ok(panels, pl->panel_elems); /* -1: overflow */
    const int shared = nt > 1 && panels < nt && !plain_copy && !in_place && spanel_elems >= 0 &&
                       spanel_elems <= FC_MAX_SCRATCH_ELEMS;
    const int64_t parts = shared ? cdiv(nt, panels) : 1; /* builders per panel */
    int64_t wp_elems = lazy ? mul_ok(K, OB) : mul4(G, pl->nob, K, OB);
    if (wp_elems < 0)
        return FC_EOVERFLOW;
    if (wp_elems > FC_MAX_SCRATCH_ELEMS)
        return FC_ENOMEM;
    fc_scratch_pool *pool = fc_scratch_acquire();
    T *wp = lazy ? NULL
                 : (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS, (size_t)wp_elems * sizeof(T));
    T *spanel = shared ? (T *)fc_scratch_get(pool, 0, FC_SLOT_CALL2,
                                             (size_t)spanel_elems * sizeof(T))
                       : NULL;
    fc_tap_tables_t tt;
    int rc = fc_tap_tables(d, pl, &tt);
    if ((!wp && !lazy) || (!spanel && shared) || rc != FC_OK) {
        fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wp);
        fc_scratch_put(pool, 0, FC_SLOT_CALL2, spanel);
        fc_scratch_release(pool);
        fc_tap_tables_free(&tt);
        return rc != FC_OK ? rc : FC_ENOMEM;
    }
    int finite = 1;
    const int64_t rowlen = d->wo * OB; /* result buffer elements per output row */
    /* channels per reduction chunk: its packed weights stay in L1 */
    const int64_t cpc = pl->cpc;

    /* items in chunks (fc_sched_chunk); consecutive items of one thread that
       share a panel build it once (items are numbered chunk first) */
    const int64_t sched_chunk = fc_sched_chunk(pl->items, nt);
    (void)nt; /* unused in a serial build */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *panel = shared || in_place ? NULL
                                      : (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL,
                                                            (size_t)pl->panel_elems * sizeof(T));
        T *cbuf = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)(pl->R * rowlen) * sizeof(T));
        T *wlocal = lazy ? (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE2, (size_t)wp_elems * sizeof(T))
                         : NULL;
        const int ok = (panel || shared || in_place) && cbuf && (wlocal || !lazy);
        if (!ok)
            fc_set_error(&err, FC_ENOMEM);
        int64_t panel_key = -1; /* the (image, group, row block) in the panel */
        /* weights are packed (and checked) by all threads */
        int my_finite = 1;
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
        for (int64_t gb = 0; gb < (lazy ? 0 : G * pl->nob); gb++)
            my_finite &= FN(pack_weight_block)(ks, w, Og, K, 1, OB, pl->nob, gb, wp + gb * K * OB);
        /* the shared panels, key = (image, group, row block) as for the items */
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
        for (int64_t q = 0; q < (shared ? panels * parts : 0); q++) {
            const fc_row_item_t p = fc_row_item(d, pl, q / parts);
            FN(build_row_block_panel)(d, pl, x, p.n, p.g * Cg, Cg, p.oh0, p.oh1,
                                      spanel + q / parts * pl->panel_elems, q % parts, parts);
        }
#ifdef _OPENMP
#pragma omp atomic update
#endif
        finite &= my_finite;
#ifdef _OPENMP
#pragma omp barrier
#endif
        /* padding-only taps may be skipped only when 0 * w is 0 for every weight */
        const int clip_all = finite && tt.clip_ok;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, sched_chunk)
#endif
        for (int64_t it = 0; it < pl->items; it++) {
            if (!ok)
                continue;
            /* consecutive items of a thread that differ only in their chunk of
               output channels share the panel (key): built once; an in-place
               row may be split into ncc parts (of its tiles) */
            const int64_t chunk = it % pl->nchunk, part = it / pl->nchunk % pl->ncc;
            const int64_t key = it / pl->nchunk / pl->ncc;
            const fc_row_item_t itm = fc_row_item(d, pl, key);
            const int64_t n = itm.n, g = itm.g, oh0 = itm.oh0, oh1 = itm.oh1;
            const T *items_panel = panel;
            if (in_place) /* image n's plane of the group's first channel */
                items_panel = x + (n * d->c + g * Cg) * d->h * d->w;
            else if (shared)
                items_panel = spanel + key * pl->panel_elems;
            else if (key != panel_key)
                FN(build_row_block_panel)(d, pl, x, n, g * Cg, Cg, oh0, oh1, panel, 0, 1);
            panel_key = key;

            const int64_t b0 = chunk * pl->ob_per_chunk, b1 = imin(pl->nob, b0 + pl->ob_per_chunk);
            for (int64_t blk = b0; blk < b1; blk++) {
                const int64_t nl = imin(OB, Og - blk * OB);
                const int m = (int)cdiv(nl, V);
                const T *wblk = lazy ? wlocal : wp + (g * pl->nob + blk) * K * OB;
                /* a lazily packed block decides for its own outputs: only its
                   weights meet them */
                const int clip = lazy ? FN(pack_weight_block)(ks, w, Og, K, 1, OB, pl->nob,
                                                              g * pl->nob + blk, wlocal) &&
                                            tt.clip_ok
                                      : clip_all;
                const fc_row_tile_t *tiles = clip ? tt.tiles_clip : tt.tiles_all;
                const int64_t nt_row = clip ? tt.ntiles_clip : tt.ntiles_all;
                /* this item's part of the row's tiles, pixels [px0, px0 + npx) */
                const int64_t ti0 = part * nt_row / pl->ncc, ti1 = (part + 1) * nt_row / pl->ncc;
                const int64_t px0 = ti0 < ti1 ? tiles[ti0].ow0 : 0;
                const int64_t npx = ti0 < ti1 ? tiles[ti1 - 1].ow0 + tiles[ti1 - 1].np - px0 : 0;
                /* the reduction in cache-sized chunks of channels, so the packed
                   weights of a chunk stay in L1 while every pixel of the item goes
                   past them */
                for (int64_t c0 = 0; c0 < Cg; c0 += cpc) {
                    const int64_t c1 = imin(Cg, c0 + cpc);
                    for (int64_t oh = oh0; oh < oh1; oh++) {
                        const T *prow = in_place ? items_panel + oh * d->stride_h * d->w
                                                 : items_panel + (oh - oh0) * pl->orp * Cg * pl->Wp;
                        T *crow = cbuf + (oh - oh0) * rowlen;
                        for (int64_t ti = ti0; ti < ti1; ti++) {
                            const fc_row_tile_t tl = tiles[ti];
                            /* the taps this tile of this row can see (all, unless clipped) */
                            const int64_t cls = clip ? tt.vclass[oh] * tt.nh + tl.hclass : -1;
                            const int64_t tv = clip ? tt.count[cls] : taps;
                            const int64_t *ta = clip ? tt.tab + 2 * cls * K : tt.full;
                            /* the first chunk starts the sums (no zeroing pass) */
                            if (tv > 0)
                                ks->SFX[tl.np][m]((c1 - c0) * tv, wblk, ta + c0 * tv,
                                                  prow + tl.ow0 * bs, ta + K + c0 * tv, bs,
                                                  crow + tl.ow0 * OB, OB, c0 > 0, NULL);
                            else if (c0 == 0) /* pixels that see only padding */
                                memset(crow + tl.ow0 * OB, 0, (size_t)(tl.np * OB) * sizeof(T));
                        }
                    }
                }
                /* the item's rows at once: they are consecutive in cbuf (an
                   item with part of a row: its pixels) */
                if (pl->ncc == 1)
                    FN(fc_store_tile)(ks, d, y, n, oh0, 0, g * Og + blk * OB, cbuf, OB,
                                      (oh1 - oh0) * d->wo, nl, bias);
                else if (npx > 0)
                    FN(fc_store_tile)(ks, d, y, n, oh0, px0, g * Og + blk * OB, cbuf + px0 * OB,
                                      OB, npx, nl, bias);
            }
        }
        if (panel)
            fc_scratch_put(pool, tid, FC_SLOT_PANEL, panel);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, cbuf);
        fc_scratch_put(pool, tid, FC_SLOT_TILE2, wlocal);
    }
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wp);
    fc_scratch_put(pool, 0, FC_SLOT_CALL2, spanel);
    fc_scratch_release(pool);
    fc_tap_tables_free(&tt);
    return err;
}

/* Input rows [ih0, ih0 + nrows) of image n, channels [c0, c0 + nc), as a
 * channels-last panel: row k at panel + k*pitch (>= (pad_w + W)*nc), pixel iw
 * (from -pad_w) at (iw + pad_w)*nc, zeros outside the image and to the row's
 * end.  Whole rows are one copy when nc is all the channels. */
static void FN(build_nhwc_panel)(const fc_conv2d_desc *d, const T *x, int64_t n, int64_t c0,
                                 int64_t nc, int64_t ih0, int64_t nrows, int64_t pitch, T *panel)
{
    const int64_t C = d->c, W = d->w, lead = d->pad_w * nc;
    for (int64_t k = 0; k < nrows; k++) {
        T *dst = panel + k * pitch;
        const int64_t ih = ih0 + k;
        if (ih < 0 || ih >= d->h) {
            memset(dst, 0, (size_t)pitch * sizeof(T));
            continue;
        }
        const T *src = x + ((n * d->h + ih) * W) * C + c0;
        memset(dst, 0, (size_t)lead * sizeof(T));
        if (nc == C)
            memcpy(dst + lead, src, (size_t)(W * C) * sizeof(T));
        else
            for (int64_t iw = 0; iw < W; iw++)
                memcpy(dst + lead + iw * nc, src + iw * C, (size_t)nc * sizeof(T));
        memset(dst + lead + W * nc, 0, (size_t)(pitch - lead - W * nc) * sizeof(T));
    }
}

/* NHWC in the oc-vector form.  With the channels innermost, a tile's pixels
 * are a fixed stride apart for every (channel, tap), so the micro-kernel
 * broadcasts them with its strided path: unpadded, straight from x (stride_w*C
 * apart, no copy at all); padded, from a channels-last panel of the item's
 * input rows with the padding's zeros (stride_w*Cg apart), built with plain
 * row copies.  The NCHW-style panel gathered each channel across pixels
 * instead: 59% of a 256 -> 64 1x1 layer's time.  Whole blocks of OB output
 * channels are summed straight into y, which holds them as rows of channels,
 * the bias added after the sums; a last partial block goes through the
 * per-thread tile and fc_store_tile (the same order).  Padding taps multiply
 * the panel's zeros, as the oracle's do.  The reduction runs in the dense
 * form's channel chunks (pl->cpc), each chunk's steps (channel, tap) in the
 * order of the packed weights, so every output is summed in one order whatever
 * the thread count. */
static int FN(conv2d_nhwc)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                           const T *w, const T *bias, T *y, int nthreads,
                           const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, K = pl->K, OB = pl->OB;
    const int64_t V = pl->V, taps = d->kh * d->kw, C = d->c, W = d->w;
    const int64_t cpc = pl->cpc;
    /* padding on any side (bottom and right follow from ho and wo) */
    const int64_t pad_r = fc_pad_right(d);
    const int padded = d->pad_h > 0 || d->pad_w > 0 || pad_r > 0 || fc_pad_bottom(d) > 0;
    /* element steps of the source: pixel to pixel, row to row */
    const int64_t pix = padded ? Cg : C;
    const int64_t pitch = padded ? mul_ok(d->pad_w + W + pad_r, Cg) : W * C;
    const int64_t prows = (pl->R - 1) * d->stride_h + (d->kh - 1) * d->dil_h + 1;
    const int64_t panel_elems = padded ? mul_ok(prows, pitch) : 0;
    const int64_t bs = d->stride_w * pix;
    int err = FC_OK;
    const int nt = fc_resolve_threads(nthreads, pl->items);
    const int lazy = fc_pack_lazily(d, pl, nt);
    const int64_t wp_elems = lazy ? mul_ok(K, OB) : mul4(G, pl->nob, K, OB);
    if (wp_elems < 0 || pitch < 0 || panel_elems < 0)
        return FC_EOVERFLOW;
    if (wp_elems > FC_MAX_SCRATCH_ELEMS || panel_elems > FC_MAX_SCRATCH_ELEMS)
        return FC_ENOMEM;
    /* step r = c*taps + t: packed weight row r, source element boff[r] from the
       tile's first pixel's top-left input */
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    int64_t *aoff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    fc_row_tile_t *tiles = (fc_row_tile_t *)malloc((size_t)d->wo * sizeof(fc_row_tile_t));
    fc_scratch_pool *pool = fc_scratch_acquire();
    T *wp = lazy || !boff || !aoff || !tiles
                ? NULL
                : (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS, (size_t)wp_elems * sizeof(T));
    if (!boff || !aoff || !tiles || (!wp && !lazy)) {
        fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wp);
        fc_scratch_release(pool);
        free(boff), free(aoff), free(tiles);
        return FC_ENOMEM;
    }
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t t = 0; t < taps; t++) {
            const int64_t i = t / d->kw, j = t % d->kw;
            boff[c * taps + t] = i * d->dil_h * pitch + j * d->dil_w * pix + c;
            aoff[c * taps + t] = (c * taps + t) * OB;
        }
    const int64_t ntiles = fc_row_tiles(d, pl->P, 0, tiles);
    const int64_t rowlen = d->wo * OB; /* tile buffer elements per output row */
    const int64_t sched_chunk = fc_sched_chunk(pl->items, nt);
    (void)nt; /* unused in a serial build */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *panel = padded ? (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL,
                                                (size_t)panel_elems * sizeof(T))
                          : NULL;
        T *cbuf = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)(pl->R * rowlen) * sizeof(T));
        T *wlocal = lazy ? (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE2, (size_t)wp_elems * sizeof(T))
                         : NULL;
        const int ok = cbuf && (wlocal || !lazy) && (panel || !padded);
        if (!ok)
            fc_set_error(&err, FC_ENOMEM);
        int64_t panel_key = -1; /* the (image, group, row block) in the panel */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t gb = 0; gb < (lazy ? 0 : G * pl->nob); gb++)
            (void)FN(pack_weight_block)(ks, w, Og, K, 1, OB, pl->nob, gb, wp + gb * K * OB);
        /* (the loop's implicit barrier: the packed weights are complete) */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, sched_chunk)
#endif
        for (int64_t it = 0; it < pl->items; it++) {
            if (!ok)
                continue;
            const int64_t chunk = it % pl->nchunk, key = it / pl->nchunk;
            const fc_row_item_t itm = fc_row_item(d, pl, key);
            const int64_t n = itm.n, g = itm.g, oh0 = itm.oh0, oh1 = itm.oh1;
            const int64_t ih0 = oh0 * d->stride_h - d->pad_h; /* the item's first input row */
            /* (an item's chunks of output channels, consecutive, share the panel) */
            if (padded && key != panel_key)
                FN(build_nhwc_panel)(d, x, n, g * Cg, Cg, ih0, (oh1 - oh0 - 1) * d->stride_h +
                                     (d->kh - 1) * d->dil_h + 1, pitch, panel);
            panel_key = key;
            const T *src = padded ? panel : x + ((n * d->h + ih0) * W) * C + g * Cg;
            const int64_t b0 = chunk * pl->ob_per_chunk, b1 = imin(pl->nob, b0 + pl->ob_per_chunk);
            for (int64_t blk = b0; blk < b1; blk++) {
                const int64_t nl = imin(OB, Og - blk * OB), oc0 = g * Og + blk * OB;
                const int m = (int)cdiv(nl, V);
                const int direct = nl == OB; /* whole vectors of y's channels */
                const T *wblk = wp + (g * pl->nob + blk) * K * OB;
                if (lazy) {
                    (void)FN(pack_weight_block)(ks, w, Og, K, 1, OB, pl->nob, g * pl->nob + blk,
                                                wlocal);
                    wblk = wlocal;
                }
                for (int64_t c0 = 0; c0 < Cg; c0 += cpc) {
                    const int64_t r0 = c0 * taps, nr = (imin(Cg, c0 + cpc) - c0) * taps;
                    for (int64_t oh = oh0; oh < oh1; oh++) {
                        const T *srow = src + (oh - oh0) * d->stride_h * pitch;
                        for (int64_t ti = 0; ti < ntiles; ti++) {
                            const int64_t ow0 = tiles[ti].ow0;
                            T *c = direct ? y + ((n * d->ho + oh) * d->wo + ow0) * d->o + oc0
                                          : cbuf + (oh - oh0) * rowlen + ow0 * OB;
                            ks->SFX[tiles[ti].np][m](nr, wblk, aoff + r0, srow + ow0 * bs,
                                                     boff + r0, bs, c, direct ? d->o : OB,
                                                     c0 > 0, NULL);
                        }
                    }
                }
                /* the bias last, as fc_store_tile adds it: which blocks are whole
                   depends on the thread count (narrower blocks on many threads) */
                if (direct && bias)
                    for (int64_t oh = oh0; oh < oh1; oh++)
                        for (int64_t ow = 0; ow < d->wo; ow++) {
                            T *dst = y + ((n * d->ho + oh) * d->wo + ow) * d->o + oc0;
                            for (int64_t l = 0; l < OB; l++)
                                dst[l] += bias[oc0 + l];
                        }
                if (!direct)
                    FN(fc_store_tile)(ks, d, y, n, oh0, 0, oc0, cbuf, OB, (oh1 - oh0) * d->wo,
                                      nl, bias);
            }
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, panel);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, cbuf);
        fc_scratch_put(pool, tid, FC_SLOT_TILE2, wlocal);
    }
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wp);
    fc_scratch_release(pool);
    free(boff), free(aoff), free(tiles);
    return err;
}

static int FN(conv2d_pixel)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                            const T *w, const T *bias, T *y, int nthreads, const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, K = pl->K;
    const int64_t V = pl->V, MV = (int64_t)pl->M * V;
    int err = FC_OK;

    /* weights packed per group as [tap][c][Og]: the Og channels a tile broadcasts
       are adjacent and consecutive reduction steps read consecutive weights, so
       the micro-kernel runs its unit-stride path.  (Packing [c][tap][Og] with
       the ISA's transposing pack_rows is faster on small groups, below, but 8%
       slower on the 7x7 stem: the steps' weights then lie taps*Og apart.) */
    const int64_t taps = d->kh * d->kw;
    fc_scratch_pool *pool = fc_scratch_acquire();
    T *wpk = (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS, (size_t)(d->o * K) * sizeof(T));
    int64_t *aoff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    if (!wpk || !aoff || !boff) {
        fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wpk);
        fc_scratch_release(pool);
        free(aoff); free(boff);
        return FC_ENOMEM;
    }
    /* Small groups' weights (g32: 0.6-2.3 KB) stay in L1 in any order: they are
       packed [c][tap][Og] instead, by the ISA's transposing pack_rows (the
       reduction steps find them through boff): g32 256x28x28 1.02x, 128x56x56
       1.02-1.09x; 16-channel groups (9 KB) measured no gain */
    const int64_t pack_taps = Og * K * (int64_t)sizeof(T) <= 4096 ? 1 : taps;
    for (int64_t i = 0, r = 0; i < d->kh; i++)
        for (int64_t j = 0; j < d->kw; j++)
            for (int64_t c = 0; c < Cg; c++, r++) {
                aoff[r] = fc_panel_offset(d, pl, c, i, j);
                boff[r] = (pack_taps == 1 ? c * taps + i * d->kw + j : r) * Og;
            }
    const int64_t row_steps = d->kw * Cg; /* reduction steps of one kernel row */
    int finite = 1;

    /* NHWC with several groups, on images of over 1 MB: an item is a block of
       output rows of every group, whose panels are built row by row, all
       groups of a row in turn, so the pixels' lines that the first group's
       copies bring into L1 serve the others.  Group by group, each group's
       panels read Cg of every pixel's C channels, the whole image again for
       every group, from L3 once it outgrows L2: the copies were two thirds of
       g32 128x56x56's time.  Against that, 1 thread / 2 threads: g32
       128x56x56 2.18x / 1.69x (double 2.77x), g32 256x56x56 stride 2 1.47x /
       1.38x; on smaller images (g32 256x28x28, g16 64x56x56, g32 4x128x28x28)
       0.93-0.97x, so not there.  Blocks of rows whose G panels fit 512 KB, 2
       or more per thread. */
    const int all_groups = d->layout == FC_LAYOUT_NHWC && G > 1 && !pl->disjoint &&
                           (double)d->c * (double)(d->h * d->w) * (double)sizeof(T) > 1048576.0;
    int64_t R = pl->R, nrb = pl->nrb;
    if (all_groups) {
        const double row_bytes = (double)G * (double)(Cg * pl->Wp) * (double)sizeof(T);
        while (R > 1 && row_bytes * (double)(((R - 1) * d->stride_h + (d->kh - 1) * d->dil_h) /
                                                 pl->row_step + 1) > 512.0 * 1024)
            R--;
        const int nt_want = fc_resolve_threads(nthreads, d->n * d->ho);
        while (R > 1 && d->n * cdiv(d->ho, R) < 2 * (int64_t)nt_want)
            R = cdiv(R, 2);
        R = cdiv(d->ho, cdiv(d->ho, R)); /* of equal height */
        nrb = cdiv(d->ho, R);
    }
    const int64_t PR = ((R - 1) * d->stride_h + (d->kh - 1) * d->dil_h) / pl->row_step + 1;
    const int64_t pe = all_groups ? PR * Cg * pl->Wp : pl->panel_elems; /* a group's panel */
    const int64_t items = all_groups ? d->n * nrb : pl->items;

    const int nt = fc_resolve_threads(nthreads, items);
    (void)nt; /* unused in a serial build */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *panels = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL,
                                        (size_t)((all_groups ? G : 1) * pe) * sizeof(T));
        T *tile = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)(pl->P * MV) * sizeof(T));
        if (!panels || !tile)
            fc_set_error(&err, FC_ENOMEM);
        int my_finite = 1;
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
        for (int64_t g = 0; g < G; g++)
            my_finite &= FN(pack_weight_block)(ks, w, Og, K, pack_taps, Og, 1, g, wpk + g * K * Og);
#ifdef _OPENMP
#pragma omp atomic update
#endif
        finite &= my_finite;
#ifdef _OPENMP
#pragma omp barrier
#endif
        const int clip = finite; /* see conv2d_dense */
        /* items of equal work, statically (repeated calls keep their data in one
           core's L2): 2 threads, g8 128x28x28 x2 0.217 -> 0.181 ms, the 7x7
           stem 0.647 -> 0.577, g32 2% */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t it = 0; it < items; it++) {
            if (!panels || !tile)
                continue;
            int64_t n, g0, g1, oh0, oh1;
            if (all_groups) {
                n = it / nrb, oh0 = it % nrb * R, oh1 = imin(d->ho, oh0 + R), g0 = 0, g1 = G;
                const int64_t ih0 = oh0 * d->stride_h - d->pad_h;
                const int64_t nrows = ((oh1 - oh0 - 1) * d->stride_h + (d->kh - 1) * d->dil_h) /
                                          pl->row_step + 1;
                for (int64_t r = 0; r < nrows; r++)
                    for (int64_t g = 0; g < G; g++)
                        FN(fc_build_panel)(d, pl, x, n, g * Cg, Cg, 0, Cg, ih0 + r * pl->row_step,
                                           1, panels + g * pe + r * Cg * pl->Wp);
            } else {
                const fc_row_item_t itm = fc_row_item(d, pl, it);
                n = itm.n, g0 = itm.g, g1 = g0 + 1, oh0 = itm.oh0, oh1 = itm.oh1;
                FN(build_row_block_panel)(d, pl, x, n, g0 * Cg, Cg, oh0, oh1, panels, 0, 1);
            }

            for (int64_t g = g0; g < g1; g++)
            for (int64_t oh = oh0; oh < oh1; oh++) {
                const T *panel = all_groups ? panels + g * pe : panels;
                const T *prow = panel + (oh - oh0) * pl->orp * Cg * pl->Wp;
                /* kernel rows that fall into vertical padding are skipped */
                int64_t ilo = 0, ihi = d->kh;
                if (clip)
                    fc_valid_taps(oh * d->stride_h - d->pad_h, d->dil_h, d->kh, d->h, &ilo, &ihi);
                const int64_t r0 = ilo * row_steps, nr = imax(0, ihi - ilo) * row_steps;
                /* pixels outer, channels inner: the pixels' inputs stay in L1 while
                   every output channel tile goes past them */
                for (int64_t ow0 = 0; ow0 < d->wo; ow0 += MV) {
                    const int64_t nw = imin(MV, d->wo - ow0);
                    const int m = (int)cdiv(nw, V);
                    for (int64_t t = 0; t < pl->nob; t++) {
                        const int64_t oc_lo = t * pl->P, np = imin(pl->P, Og - oc_lo);
                        const T *wt = wpk + g * K * Og + oc_lo;
                        UKT uk = ks->SFX[np][m];
                        const int64_t oc0 = g * Og + oc_lo;
                        /* lanes past the row's end land in the rows after it
                           (NCHW), which this item writes later */
                        const int spill_ok = (ow0 + m * V - d->wo) <= (oh1 - 1 - oh) * d->wo;
                        if (nr > 0 && (nw % V == 0 || spill_ok) &&
                            d->layout == FC_LAYOUT_NCHW) {
                            /* whole vectors: finished rows (bias included) go
                               straight into the output */
                            uk(nr, prow + ow0, aoff + r0, wt, boff + r0, 1,
                               y + ((n * d->o + oc0) * d->ho + oh) * d->wo + ow0, d->ho * d->wo,
                               0, bias ? bias + oc0 : NULL);
                            continue;
                        }
                        /* the sums start from the bias, as in the direct store */
                        if (nr > 0)
                            uk(nr, prow + ow0, aoff + r0, wt, boff + r0, 1, tile, MV, 0,
                               bias ? bias + oc0 : NULL);
                        else
                            for (int64_t p = 0; p < np; p++)
                                for (int64_t l = 0; l < MV; l++)
                                    tile[p * MV + l] = bias ? bias[oc0 + p] : (T)0;
                        /* tile[p][l]: channel oc_lo + p, pixel ow0 + l */
                        if (d->layout == FC_LAYOUT_NCHW) {
                            for (int64_t p = 0; p < np; p++)
                                memcpy(y + ((n * d->o + oc0 + p) * d->ho + oh) * d->wo + ow0,
                                       tile + p * MV, (size_t)nw * sizeof(T));
                        } else { /* NHWC: a transpose */
                            FN(transpose_bias)(tile, MV, np, nw, NULL,
                                               y + ((n * d->ho + oh) * d->wo + ow0) * d->o + oc0,
                                               d->o);
                        }
                    }
                }
            }
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, panels);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, tile);
    }
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wpk);
    fc_scratch_release(pool);
    free(aoff); free(boff);
    return err;
}

/* nr output rows of one depthwise channel into out (rows back to back, wo long)
 * from its panel rows at prow (in_pitch apart), with the kernel's taps
 * [t0, t0 + ntap) (a range of kernel rows; all of them or those inside the image):
 * full-kernel rows in pairs that share their input rows when the vertical
 * stride equals the dilation -- square 3x3 and 5x5 kernels with their weights
 * in registers, others generally -- the rest by the 9-, 25- or any-tap kernels.
 * Also the depthwise stage of separable_conv2d. */
void FN(fc_depthwise_rows)(const fc_ukernel_set *ks, const fc_conv2d_desc *d, int64_t nr,
                           int64_t ntap, int64_t t0, const T *prow, int64_t in_pitch,
                           const int64_t *toff, const T *wt, T b, T *out)
{
    const int64_t kw = d->kw, taps = d->kh * kw, wo = d->wo;
    const int shared = ntap == taps && d->kh > 1 && d->stride_h == d->dil_h;
    if (shared && d->kh == kw && (taps == 9 || taps == 25)) {
        (taps == 9 ? ks->KS(dw3s) : ks->KS(dw5s))(nr, wo, ntap, prow, in_pitch, toff, wt, b, out,
                                                   wo);
        return;
    }
    const int64_t npair = shared && taps != 9 && taps != 25 ? nr / 2 * 2 : 0;
    if (npair > 0)
        ks->KS(dws)(npair, wo, d->kh, kw, prow, in_pitch, toff, wt, b, out, wo);
    if (ntap > 0 && npair < nr)
        (ntap == 9 ? ks->KS(dw3) : ntap == 25 ? ks->KS(dw5) : ks->KS(dw))(
            nr - npair, wo, ntap, prow + npair * in_pitch, in_pitch, toff + t0, wt + t0, b,
            out + npair * wo, wo);
    else if (ntap == 0)
        for (int64_t e = 0; e < nr * wo; e++)
            out[e] = b;
}

/* Depthwise (one input channel per group, any channel multiplier): per output
 * row and channel, the ISA's depthwise row kernel streams every tap over whole
 * vectors of output pixels of the stride-phase panel and writes the row. */
static int FN(conv2d_depthwise)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                                const T *x, const T *w, const T *bias, T *y, int nthreads,
                                const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Og = d->o / G, kw = d->kw, taps = d->kh * d->kw;
    int err = FC_OK;
    int64_t *toff = (int64_t *)malloc((size_t)taps * sizeof(int64_t));
    if (!toff)
        return FC_ENOMEM;
    fc_scratch_pool *pool = fc_scratch_acquire();
    for (int64_t i = 0; i < d->kh; i++)
        for (int64_t j = 0; j < kw; j++)
            toff[i * kw + j] = fc_panel_offset(d, pl, 0, i, j);
    /* output rows [full_lo, full_hi) see the whole kernel inside the image */
    const int64_t last = d->h - 1 + d->pad_h - (d->kh - 1) * d->dil_h;
    const int64_t full_lo = cdiv(d->pad_h, d->stride_h);
    const int64_t full_hi = last >= 0 ? last / d->stride_h + 1 : 0;
    /* The panel holds the padding's zero rows, so every row can run the whole
       kernel in the fast row-pair kernels; skipping the zero taps (finite weights
       only: 0 * Inf must stay NaN) runs the edge rows one at a time through the
       general kernel, which pays only when they are most of the rows (kernels as
       tall as the image): 576x14x14 3x3 went 0.38 -> 0.32 ms without it. */
    const int64_t nfull = imax(0, full_hi - full_lo);
    const int clip = 2 * nfull < d->ho && FN(all_finite)(w, d->o * taps);

    const int nt = fc_resolve_threads(nthreads, pl->items);
    const int64_t sched_chunk = fc_sched_chunk(pl->items, nt);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *panel = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL, (size_t)pl->panel_elems * sizeof(T));
        /* NHWC output rows are strided: computed here first */
        T *row = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)d->wo * sizeof(T));
        if (!panel || !row)
            fc_set_error(&err, FC_ENOMEM);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, sched_chunk)
#endif
        for (int64_t it = 0; it < pl->items; it++) {
            if (!panel || !row)
                continue;
            const fc_row_item_t itm = fc_row_item(d, pl, it);
            const int64_t n = itm.n, g = itm.g, oh0 = itm.oh0, oh1 = itm.oh1;
            FN(build_row_block_panel)(d, pl, x, n, g, 1, oh0, oh1, panel, 0, 1);
            const int64_t in_pitch = pl->orp * pl->Wp;
            /* rows whose kernel meets vertical padding get their own taps (when the
               weights are finite); the rows in between run in one call */
            int64_t oh = oh0;
            while (oh < oh1) {
                int64_t ilo = 0, ihi = d->kh, run = oh1 - oh;
                if (clip && oh >= full_lo && oh < full_hi) {
                    run = imin(oh1, full_hi) - oh;
                } else if (clip) {
                    fc_valid_taps(oh * d->stride_h - d->pad_h, d->dil_h, d->kh, d->h, &ilo, &ihi);
                    run = 1;
                }
                const T *prow = panel + (oh - oh0) * in_pitch;
                const int64_t t0 = ilo * kw, ntap = imax(0, ihi - ilo) * kw;
                for (int64_t m = 0; m < Og; m++) {
                    const int64_t oc = g * Og + m;
                    const T b = bias ? bias[oc] : (T)0;
                    const int nchw = d->layout == FC_LAYOUT_NCHW;
                    for (int64_t r0 = 0; r0 < run; r0 += nchw ? run : 1) {
                        const int64_t nr = nchw ? run : 1;
                        T *out = nchw ? y + ((n * d->o + oc) * d->ho + oh) * d->wo : row;
                        FN(fc_depthwise_rows)(ks, d, nr, ntap, t0, prow + r0 * in_pitch, in_pitch,
                                              toff, w + oc * taps, b, out);
                        if (!nchw) /* NHWC: scatter the channel's row */
                            for (int64_t ow = 0; ow < d->wo; ow++)
                                y[((n * d->ho + oh + r0) * d->wo + ow) * d->o + oc] = row[ow];
                    }
                }
                oh += run;
            }
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, panel);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, row);
    }
    fc_scratch_release(pool);
    free(toff);
    return err;
}

/* output rows [oh0, oh0 + nr) of input channels [g, g + ng) of image n, for
 * their Og output channels each (output channel m of input channel g + q at
 * out + (q*Og + m)*ch_pitch, rows back to back), with the in-place kernels; ip
 * from fc_dw_inplace_geometry, buf its per-thread buffer (zeroed once).  Bias
 * b[q*Og + m] (b may be NULL).  Several planes (ng > 1) only with Og == 1 and
 * whole planes of at most FC_DWI_ROWS rows: one kernel call takes them all.
 * Also the depthwise stage of separable_conv2d. */
void FN(fc_depthwise_inplace_rows)(const fc_ukernel_set *ks, const fc_conv2d_desc *d,
                                   const fc_dw_inplace_t *ip, const T *x, int64_t n, int64_t g,
                                   int64_t ng, int64_t oh0, int64_t nr, const T *w, const T *b,
                                   T *out, int64_t ch_pitch, T *buf)
{
    const int64_t W = d->w, Og = d->o / d->groups, lo = ip->lo, hi = ip->hi, L = hi - lo;
    const int64_t total = d->n * d->c * d->h * W; /* reads stay in [0, total) of x */
    const T *rp[FC_DWI_PLANES * (3 * FC_DWI_ROWS + 2)];
    for (int64_t r0 = 0; r0 < nr; r0 += FC_DWI_ROWS) {
        const int64_t rows = imin(FC_DWI_ROWS, nr - r0), oh = oh0 + r0;
        const int64_t np = ip->s2 ? 3 * rows : rows + 2; /* row pointers per plane */
        int64_t used = 0;
        for (int64_t q = 0; q < ng; q++) {
            const int64_t poff = (n * d->c + g + q) * d->h * W; /* the plane in x */
            const T *plane = x + poff;
            /* only planes at the input's ends have rows that need checking */
            const int safe = poff + lo >= 0 && poff + (d->h - 1) * W + hi <= total;
            if (safe && !ip->s2) { /* the common case, 10% of a 14x14 layer's time */
                const int64_t ih0 = oh - d->pad_h;
                const T **slot = &rp[q * np];
                for (int64_t k = 0; k < np; k++)
                    slot[k] = ih0 + k >= 0 && ih0 + k < d->h ? plane + (ih0 + k) * W : buf - lo;
                continue;
            }
            if (safe) { /* stride 2 likewise (the loop below: 23% of 144x56x56) */
                const T **slot = &rp[q * np];
                for (int64_t rr = 0; rr < rows; rr++)
                    for (int64_t i = 0; i < 3; i++) {
                        const int64_t ih = (oh + rr) * d->stride_h - d->pad_h + i * d->dil_h;
                        slot[3 * rr + i] = ih >= 0 && ih < d->h ? plane + ih * W : buf - lo;
                    }
                continue;
            }
            for (int64_t k = 0; k < np; k++) { /* a plane at the input's ends */
                const int64_t ih = ip->s2 ? (oh + k / 3) * d->stride_h - d->pad_h + k % 3 * d->dil_h
                                          : oh - d->pad_h + k;
                const T *row = plane + ih * W;
                const T **slot = &rp[q * np + k];
                if (ih < 0 || ih >= d->h) {
                    *slot = buf - lo;
                } else if (poff + ih * W + lo >= 0 && poff + ih * W + hi <= total) {
                    *slot = row;
                } else {
                    T *copy = buf + (++used) * L - lo; /* column 0 of the copy */
                    memcpy(copy, row, (size_t)imin(W, hi) * sizeof(T));
                    *slot = copy; /* zeros around it stay from the memset */
                }
            }
        }
        for (int64_t m = 0; m < Og; m++) {
            /* Og == 1 when ng > 1: the planes' weights, biases and outputs follow
               each other */
            const T *wm = w + (g * Og + m) * 9;
            const T *bm = b ? b + m : NULL;
            T *o = out + m * ch_pitch + r0 * d->wo;
            if (ip->s2)
                ks->KS(dw3x3s2p1)(ng, rows, d->wo, W, rp, wm, bm, o, ch_pitch);
            else
                ks->KS(dwi3)(ng, rows, d->wo, W, d->pad_w, rp, wm, bm, o, ch_pitch);
        }
    }
}

/* The in-place depthwise kernels over the plan's work items.  Small whole
 * planes (Og == 1, at most FC_DWI_ROWS rows, one row block) go several to a
 * kernel call, which spreads its setup over them (960x7x7: 0.059 -> 0.053 ms). */
static int FN(conv2d_depthwise_inplace)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl,
                                        const fc_dw_inplace_t *ip, const T *x, const T *w,
                                        const T *bias, T *y, int nthreads,
                                        const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Og = d->o / G;
    /* planes per item: about 64 row chunks of V outputs per call, while leaving
       8 items per thread */
    int64_t ng = 1;
    if (Og == 1 && pl->nrb == 1 && d->ho <= FC_DWI_ROWS) {
        const int64_t chunks = d->ho * cdiv(d->wo, pl->V);
        ng = imax(1, imin(FC_DWI_PLANES, 64 / chunks));
        const int nt_max = fc_resolve_threads(nthreads, d->n * G);
        while (ng > 1 && d->n * cdiv(G, ng) < 8 * (int64_t)nt_max)
            ng /= 2;
    }
    const int64_t per_img = cdiv(G, ng), items = ng > 1 ? d->n * per_img : pl->items;
    int err = FC_OK;
    fc_scratch_pool *pool = fc_scratch_acquire();
    const int nt = fc_resolve_threads(nthreads, items);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *buf = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL, (size_t)ip->buf_elems * sizeof(T));
        if (buf)
            memset(buf, 0, (size_t)ip->buf_elems * sizeof(T));
        else
            fc_set_error(&err, FC_ENOMEM);
        /* equal items, scheduled statically as in conv2d_depthwise_cvec (2 threads:
           576x14x14 x4 0.095 -> 0.091 ms, 144x56x56 0.071 -> 0.065) */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t it = 0; it < items; it++) {
            if (!buf)
                continue;
            fc_row_item_t itm;
            int64_t nplanes = 1;
            if (ng > 1) { /* image, run of ng planes, all rows */
                itm.n = it / per_img;
                itm.g = it % per_img * ng;
                itm.oh0 = 0;
                itm.oh1 = d->ho;
                nplanes = imin(ng, G - itm.g);
            } else {
                itm = fc_row_item(d, pl, it);
            }
            FN(fc_depthwise_inplace_rows)(ks, d, ip, x, itm.n, itm.g, nplanes, itm.oh0,
                                          itm.oh1 - itm.oh0, w, bias ? bias + itm.g * Og : NULL,
                                          y + ((itm.n * d->o + itm.g * Og) * d->ho + itm.oh0) * d->wo,
                                          d->ho * d->wo, buf);
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, buf);
    }
    fc_scratch_release(pool);
    return err;
}

/* Block b (channels b*V ..) of the dwc kernels' weights, wb = [taps][V] then
 * the V biases: the block's V rows of taps weights transposed as if they were
 * V channel planes of taps pixels, by the image transposes (pack_rows takes 16
 * steps at a time, and its scalar edge took a sixth of 960x7x7's time).  Fewer
 * taps than V: a local V x V transpose whose last rows read V - taps weights
 * past the block, into the next block's (never past the end of w). */
static void FN(pack_dwc_block)(const fc_ukernel_set *ks, const T *w, const T *bias, int64_t C,
                               int64_t taps, int64_t V, int64_t b, T *wb)
{
    const int64_t nc = imin(V, C - b * V);
    if (taps >= V) {
        ks->KS(dwc_pack)(w + b * V * taps, taps, nc, taps, taps, wb, 0);
    } else if (nc == V && (b + 1) * V * taps + (V - taps) <= C * taps) {
        T sq[FC_UK_MAX_VLEN * FC_UK_MAX_VLEN];
        ks->KS(dwc_pack)(w + b * V * taps, taps, nc, V, V, sq, 0);
        memcpy(wb, sq, (size_t)(taps * V) * sizeof(T));
    } else {
        ks->KS(pack_rows)(w + b * V * taps, taps, nc, taps, V, wb);
    }
    if (bias && nc == V)
        memcpy(wb + taps * V, bias + b * V, (size_t)V * sizeof(T));
    else
        for (int64_t l = 0; l < V; l++)
            wb[taps * V + l] = bias && l < nc ? bias[b * V + l] : (T)0;
}

/* NHWC in place ("wide" panels, the dwcn kernels): where the output rows are
 * at least 28 wide and the panel fits FC_DWCN_MAX_BYTES.  Instead of copying
 * each block of V channels into a panel of pixel vectors and back, a vector of
 * every pixel at a time at a stride of C (most of a 960-channel layer's time),
 * a band of output rows copies its input rows whole -- all channels, zeros
 * around them for the padding -- and the kernels read every block's pixel
 * vectors from there, C elements apart, and write them straight into the
 * output (a last partial block through a small buffer).  Against the
 * per-block panels (1 thread / 2 threads, AVX-512 float): 3x3 d2 960x33x33
 * 1.13x / 1.77x, 144x56x56 1.19x / 1.13x, stride 2 1.23x, 32x112x112 1.34x /
 * 1.23x, 5x5 240x28x28 1.43x / 1.13x, 7x7 96x56x56 1.29x / 1.13x; AVX2
 * 1.26-1.42x, double 1.21-1.57x.  On 14- and 7-column rows the copies cost
 * more than the per-block panels' (14x14 0.91-0.97x, 7x7 0.79x). */
#ifndef FC_DWCN_BAND_BYTES
#define FC_DWCN_BAND_BYTES (1 << 20) /* a band's input rows, in L2 */
#define FC_DWCN_MAX_BYTES (32 << 20) /* else the per-block panels */
#endif
static int FN(dwcn_applies)(const fc_conv2d_desc *d, const fc_ukernel_set *ks)
{
    const int64_t ext = (d->kw - 1) * d->dil_w + 1;
    /* the panel's size (conv2d_depthwise_cvec's pitch), in double: its int64
       product must not overflow */
    const double Wa = (double)imax((d->wo - 1) * d->stride_w + ext, d->pad_w + d->w);
    const double bytes = (Wa * (double)d->c + FC_UK_MAX_VLEN) * (double)ext * (double)sizeof(T);
    return d->layout == FC_LAYOUT_NHWC && d->wo >= 28 && bytes <= FC_DWCN_MAX_BYTES &&
           ks->KS(dwcn_rows) &&
           ks->KS(dwcn_rows)(0, d->wo, d->kh, d->stride_h, d->dil_h, NULL, 0, 0, NULL,
                             (const T *)fc_zero_vector, NULL, 0, 0);
}

/* Depthwise on channel vectors (fc_dwc_applies; the dwc kernels in ukernel.h):
 * a work item is (image, band of output rows, block of V channels), or, for
 * NHWC "wide" panels (above), (image, band) with all its blocks.  The
 * block's input rows go into a per-thread panel of pixel vectors whose padding
 * is zero pixels (NCHW: transposed; NHWC: copied, pixels are channel vectors
 * already), the dwc kernel computes the band as pixel vectors, and these go back
 * into the output the same way.  Weights and biases are packed once per call,
 * one vector per tap and block. */
static int FN(conv2d_depthwise_cvec)(const fc_conv2d_desc *d, const T *x, const T *w,
                                     const T *bias, T *y, int nthreads,
                                     const fc_ukernel_set *ks)
{
    const int64_t V = sizeof(T) == 4 ? ks->vlen_f32 : ks->vlen_f64;
    const int64_t C = d->c, H = d->h, W = d->w, ho = d->ho, wo = d->wo;
    const int64_t k = d->kh, s = d->stride_h, dil = d->dil_h, taps = k * k, nblk = cdiv(C, V);
    const int64_t ext = (k - 1) * dil + 1; /* input rows and columns a kernel spans */
    const int nhwc = d->layout == FC_LAYOUT_NHWC, wide = FN(dwcn_applies)(d, ks);
    /* panel columns: input column t - pad_w at column t; room for every input
       column (pack writes them all) and every column the kernel reads; each a
       pixel vector, or (wide) a pixel's C channels */
    const int64_t Wa = imax((wo - 1) * s + ext, d->pad_w + W);
    /* (wide: + V, a partial last block's vectors read past the row's end) */
    const int64_t pitch = wide ? Wa * C + V : Wa * V;
    /* output rows per band: a panel of ~256 KB (measured against 64 and 16: the
       steps below keep the rows in use in L1 anyway, and fewer bands transpose
       fewer shared rows twice); NHWC: the band's rows of all channels, in and
       out, in ~256 KB, so that its blocks, one after the other, find them in L2
       (with whole-image bands 144x56x56 took 2.5x its NCHW time, with these
       1.8x; channel groups sharing each pixel's copies measured slower still
       on 5x5 and 14x14).  Bands split until there are 4 items per thread. */
    const int64_t row_bytes = s * Wa * V * (int64_t)sizeof(T);
    int64_t band = imax(1, imin(ho, ((int64_t)256 << 10) / row_bytes));
    if (nhwc)
        band = imax(1, imin(band, ((int64_t)256 << 10) / ((s * W + wo) * C * (int64_t)sizeof(T))));
    /* wide: a band's input rows in FC_DWCN_BAND_BYTES; its items hold every block */
    if (wide)
        band = imax(1, imin(ho, (FC_DWCN_BAND_BYTES / (pitch * (int64_t)sizeof(T)) - ext) / s + 1));
    const int64_t iblk = wide ? 1 : nblk; /* blocks per item: items of 1 or all */
    const int64_t want = 4 * (int64_t)fc_resolve_threads(nthreads, d->n * iblk * ho);
    while (band > 1 && d->n * iblk * cdiv(ho, band) < want)
        band = cdiv(band, 2);
    /* bands of equal height: the items are scheduled statically, band by band,
       so a short last band left one thread with the long ones (320x65x65 5x5,
       bands of 59 and 6 rows: 2 threads 1.12x the 1-thread speed) */
    band = cdiv(ho, cdiv(ho, band));
    const int64_t nband = cdiv(ho, band), items = d->n * iblk * nband;
    const int64_t prows = (band - 1) * s + ext;
    /* output rows per step (below): at least 2V output pixels and V new input
       pixels, so the transposes run on whole vectors; then evened out over the
       band, so that no step is left with a few pixels (the transposes' scalar
       edge: 960x7x7 0.026 -> 0.023 ms) */
    int64_t G = imin(band, imax(cdiv(2 * V, wo), cdiv(V, s * W)));
    G = cdiv(band, cdiv(band, G));
    /* a band whose results fit 8 KB (7x7 planes) in one step: each step's
       transposes end on an overlapping or scalar chunk (960x7x7 1.08x, 1152x7x7
       5x5 1.03x; 14x14 planes measured 3-6% slower in one step) */
    if (band * wo * V * (int64_t)sizeof(T) <= 8 * 1024 || wide)
        G = band; /* (wide: the results of a partial last block, if any) */
    int err = FC_OK;
    fc_scratch_pool *pool = fc_scratch_acquire();
    /* [blk][taps + 1][V]: the taps' weights, then the biases */
    T *wp = (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS,
                                (size_t)(nblk * (taps + 1) * V) * sizeof(T));
    if (!wp) {
        fc_scratch_release(pool);
        return FC_ENOMEM;
    }
    const int nt = fc_resolve_threads(nthreads, items);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *panel = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL, (size_t)(prows * pitch) * sizeof(T));
        T *ob = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)(G * wo * V) * sizeof(T));
        if (panel && ob && !wide) /* the padding columns are never written again */
            memset(panel, 0, (size_t)(prows * pitch) * sizeof(T));
        else if (!panel || !ob)
            fc_set_error(&err, FC_ENOMEM);
        /* the weights, shared by all threads' items: packed by all of them */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t b = 0; b < nblk; b++)
            FN(pack_dwc_block)(ks, w, bias, C, taps, V, b, wp + b * (taps + 1) * V);
        /* items of equal work (but a last band or block): statically, so that
           repeated calls find their data in the same core's L2 (960x7x7 at 2
           threads: 0.023 -> 0.013 ms, dynamic chunks moved it between cores) */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t it = 0; it < (wide ? items : 0); it++) {
            if (!panel || !ob)
                continue;
            const int64_t n = it / nband, oy0 = it % nband * band, nr = imin(band, ho - oy0);
            const int64_t iy0 = oy0 * s - d->pad_h, pr = (nr - 1) * s + ext;
            /* panel row r: input row iy0 + r, its column t at t + pad_w */
            FN(build_nhwc_panel)(d, x, n, 0, C, iy0, pr, pitch, panel);
            T *yb = y + (n * ho + oy0) * wo * C;
            for (int64_t b = 0; b < nblk; b++) {
                const int64_t c0 = b * V, nc = imin(V, C - c0);
                const T *wb = wp + b * (taps + 1) * V;
                /* 0 (nothing computed) never happens: dwcn_applies asked the set */
                if (!ks->KS(dwcn_rows)(nr, wo, k, s, dil, panel + c0, pitch, C, wb, wb + taps * V,
                                       nc == V ? yb + c0 : ob, nc == V ? wo * C : wo * V,
                                       nc == V ? C : V)) {
                    fc_set_error(&err, FC_EINVAL);
                    break;
                }
                for (int64_t q = 0; q < (nc == V ? 0 : nr * wo); q++)
                    memcpy(yb + q * C + c0, ob + q * V, (size_t)nc * sizeof(T));
            }
        }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t it = 0; it < (wide ? 0 : items); it++) {
            if (!panel || !ob)
                continue;
            /* blocks fastest: neighbouring items share no output lines (two threads
               on one block's bands measured 25% slower) */
            const int64_t n = it / (nblk * nband), b = it % nblk;
            const int64_t oy0 = it / nblk % nband * band, nr = imin(band, ho - oy0);
            const int64_t c0 = b * V, nc = imin(V, C - c0);
            /* panel row r holds input row iy0 + r; rows [lo, hi) are in the image */
            const int64_t iy0 = oy0 * s - d->pad_h, pr = (nr - 1) * s + ext;
            const int64_t lo = imin(pr, imax(0, -iy0)), hi = imax(lo, imin(pr, H - iy0));
            for (int64_t r = 0; r < pr; r++)
                if (r < lo || r >= hi)
                    memset(panel + r * pitch, 0, (size_t)pitch * sizeof(T));
            /* panel row r's input row (r >= lo, so the offset is >= 0), NCHW: channel
               c0 + c at x + xoff + r*W + c*H*W; NHWC: pixel t at x + xoff + (r*W + t)*C */
            const int64_t xoff = nhwc ? (n * H + iy0) * W * C + c0 : ((n * C + c0) * H + iy0) * W;
            T *yb = nhwc ? y + (n * ho + oy0) * wo * C + c0 : y + ((n * C + c0) * ho + oy0) * wo;
            const T *wb = wp + b * (taps + 1) * V; /* the block's weights, then biases */
            /* G output rows at a time: the input rows they add are brought in,
               computed and written out while all of it is in L1 (and the loads
               of one step overlap the FMAs of another) */
            int64_t done = lo; /* panel rows [lo, done) hold their input row */
            for (int64_t r0 = 0; r0 < nr; r0 += G) {
                const int64_t g = imin(G, nr - r0), need = imin(hi, (r0 + g - 1) * s + ext);
                T *prow = panel + done * pitch + d->pad_w * V;
                if (need > done && nhwc)
                    for (int64_t r = done; r < need; r++, prow += pitch)
                        ks->KS(dwc_gather)(x + (xoff + r * W * C), C, nc, W, prow);
                else if (need > done) {
                    /* at least V pixels a call, when the image has them: the
                       transposes' scalar edge took a third of 960x7x7's time.
                       Rows packed already are packed again, identically. */
                    const int64_t from = imax(lo, imin(done, need - cdiv(V, W)));
                    ks->KS(dwc_pack)(x + (xoff + from * W), H * W, nc, (need - from) * W, W,
                                     prow - (done - from) * pitch, pitch);
                }
                done = imax(done, need);
                /* 0 (nothing computed) never happens: fc_dwc_applies admits only
                   the kernels the set has; an error, not garbage, if it did */
                if (!ks->KS(dwc_rows)(g, wo, k, s, dil, panel + r0 * s * pitch, pitch, wb,
                                      wb + taps * V, ob)) {
                    fc_set_error(&err, FC_EINVAL);
                    break;
                }
                if (nhwc)
                    ks->KS(dwc_scatter)(ob, g * wo, yb + r0 * wo * C, C, nc);
                else
                    ks->KS(dwc_unpack)(ob, g * wo, yb + r0 * wo, ho * wo, nc);
            }
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, panel);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, ob);
    }
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wp);
    fc_scratch_release(pool);
    return err;
}

/* 1x1, unit stride, no padding, NCHW: per image and group a GEMM
 * Y[Og][HW] = W[Og][Cg] x X[Cg][HW], blocked the way GEMM libraries do it: for a
 * block of pixels (all channels, sized for L2), each tile of output channels (its
 * packed weights in L1) sweeps the block's chunks of M*V pixels through the
 * pixel-vector micro-kernel, reading the input in place, and results go straight
 * into contiguous output rows.  Only a last chunk that ends inside a vector is
 * copied (zero-padded), so no load runs past the input. */
static int FN(conv2d_pointwise)(const fc_conv2d_desc *d, const fc_conv2d_plan_t *pl, const T *x,
                                const T *w, const T *bias, T *y, int nthreads,
                                const fc_ukernel_set *ks)
{
    const int64_t G = d->groups, Cg = d->c / G, Og = d->o / G, K = pl->K, HW = d->w;
    const int64_t V = pl->V, MV = (int64_t)pl->M * V, blk_len = pl->cc_len;
    int err = FC_OK;
    fc_scratch_pool *pool = fc_scratch_acquire();
    T *wpk = (T *)fc_scratch_get(pool, 0, FC_SLOT_WEIGHTS, (size_t)(d->o * K) * sizeof(T));
    int64_t *aoff = (int64_t *)malloc((size_t)(2 * K) * sizeof(int64_t));
    int64_t *boff = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    if (!wpk || !aoff || !boff) {
        fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wpk);
        fc_scratch_release(pool);
        free(aoff); free(boff);
        return FC_ENOMEM;
    }
    int64_t *tail_off = aoff + K;
    for (int64_t r = 0; r < K; r++) {
        aoff[r] = r * HW;     /* channel rows of the input */
        tail_off[r] = r * MV; /* the copied last chunk: [c][MV] */
        boff[r] = r * Og;     /* packed weights: [c][Og] */
    }
    const int nt = fc_resolve_threads(nthreads, pl->items);
    const int64_t sched_chunk = fc_sched_chunk(pl->items, nt);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        const int tid = fc_thread_id();
        T *tailbuf = (T *)fc_scratch_get(pool, tid, FC_SLOT_PANEL, (size_t)(K * MV) * sizeof(T));
        T *tile = (T *)fc_scratch_get(pool, tid, FC_SLOT_TILE, (size_t)(pl->P * MV) * sizeof(T));
        if (!tailbuf || !tile)
            fc_set_error(&err, FC_ENOMEM);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t g = 0; g < G; g++)
            (void)FN(pack_weight_block)(ks, w, Og, K, 1, Og, 1, g, wpk + g * K * Og);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, sched_chunk)
#endif
        for (int64_t it = 0; it < pl->items; it++) {
            if (!tailbuf || !tile)
                continue;
            const int64_t bi = it % pl->ncc;
            const int64_t g = (it / pl->ncc) % G;
            const int64_t n = it / (pl->ncc * G);
            const int64_t p_lo = bi * blk_len, p_hi = imin(HW, p_lo + blk_len);
            const int64_t nchunk = cdiv(p_hi - p_lo, MV);
            const T *src = x + (n * d->c + g * Cg) * HW;
            const int64_t tail_nw = (p_hi - p_lo) - (nchunk - 1) * MV;
            const int tail_copy = tail_nw % V != 0;
            if (tail_copy)
                for (int64_t c = 0; c < K; c++) {
                    const T *s0 = src + c * HW + p_hi - tail_nw;
                    for (int64_t e = 0; e < MV; e++)
                        tailbuf[c * MV + e] = e < tail_nw ? s0[e] : (T)0;
                }
            /* While this block computes, pull the next block of the row towards L2,
               a slice per micro-kernel call: its channel rows are too many streams
               for the hardware prefetchers. */
            const int64_t line = 64 / (int64_t)sizeof(T);
            const int64_t row_lines = cdiv(imax(0, imin(blk_len, HW - p_hi)), line);
            const int64_t pf_total = row_lines * K, pf_step = cdiv(pf_total, pl->nob * nchunk);
            int64_t pf = 0, pf_row = 0, pf_line = 0;
            for (int64_t t = 0; t < pl->nob; t++) {
                const int64_t oc_lo = t * pl->P, np = imin(pl->P, Og - oc_lo);
                const int64_t oc0 = g * Og + oc_lo;
                const T *wt = wpk + g * K * Og + oc_lo;
                for (int64_t q = 0; q < nchunk; q++) {
                    const int64_t p0 = p_lo + q * MV, nw = imin(MV, p_hi - p0);
                    const int m = (int)cdiv(nw, V);
                    for (int64_t e = 0; e < pf_step && pf < pf_total; e++, pf++) {
                        __builtin_prefetch(src + pf_row * HW + p_hi + pf_line * line, 0, 3);
                        if (++pf_line == row_lines) { pf_line = 0; pf_row++; }
                    }
                    if (!(tail_copy && q == nchunk - 1)) {
                        /* whole vectors: finished rows (bias included) go straight
                           into the output */
                        ks->SFX[np][m](K, src + p0, aoff, wt, boff, 1, y + (n * d->o + oc0) * HW + p0,
                                       HW, 0, bias ? bias + oc0 : NULL);
                        continue;
                    }
                    /* the bias goes first here too: where the blocks end depends on
                       the thread count, the rounding must not */
                    ks->SFX[np][m](K, tailbuf, tail_off, wt, boff, 1, tile, MV, 0,
                                   bias ? bias + oc0 : NULL);
                    for (int64_t p = 0; p < np; p++)
                        memcpy(y + (n * d->o + oc0 + p) * HW + p0, tile + p * MV,
                               (size_t)nw * sizeof(T));
                }
            }
        }
        fc_scratch_put(pool, tid, FC_SLOT_PANEL, tailbuf);
        fc_scratch_put(pool, tid, FC_SLOT_TILE, tile);
    }
    fc_scratch_put(pool, 0, FC_SLOT_WEIGHTS, wpk);
    fc_scratch_release(pool);
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
    /* a 1x1, stride-1, unpadded NCHW convolution is one GEMM per image: view each
       image as a single row of H*W pixels so tiles never stop at row ends */
    fc_conv2d_desc flat = *d;
    if (d->kh == 1 && d->kw == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_h == 0 &&
        d->pad_w == 0 && d->ho == d->h && d->wo == d->w && d->layout == FC_LAYOUT_NCHW) {
        flat.w = flat.wo = d->h * d->w;
        flat.h = flat.ho = 1;
        d = &flat;
    }
    fc_conv2d_plan_t pl;
    const int nt_max = nthreads > 0 ? nthreads : fc_max_threads();
    rc = fc_conv2d_plan(d, ks, (int)sizeof(T), nt_max, &pl);
    if (rc != FC_OK)
        return rc;
    if (pl.direct)
        return FN(conv2d_pointwise)(d, &pl, x, w, bias, y, nthreads, ks);
    fc_dw_inplace_t ip;
    const int inplace = pl.pixel_form && d->c == d->groups &&
                        fc_dw_inplace_geometry(d, &pl, ks, (int)sizeof(T), &ip);
    if (pl.pixel_form && fc_dwc_applies(d, ks, (int)sizeof(T), nt_max, inplace))
        return FN(conv2d_depthwise_cvec)(d, x, w, bias, y, nthreads, ks);
    if (inplace)
        return FN(conv2d_depthwise_inplace)(d, &pl, &ip, x, w, bias, y, nthreads, ks);
    if (pl.pixel_form && d->c == d->groups)
        return FN(conv2d_depthwise)(d, &pl, x, w, bias, y, nthreads, ks);
    if (!pl.pixel_form && d->layout == FC_LAYOUT_NHWC && fc_padding_tap_share(d) <= 0.05)
        return FN(conv2d_nhwc)(d, &pl, x, w, bias, y, nthreads, ks);
    return pl.pixel_form ? FN(conv2d_pixel)(d, &pl, x, w, bias, y, nthreads, ks)
                         : FN(conv2d_dense)(d, &pl, x, w, bias, y, nthreads, ks);
}

#undef FN
#undef UKT
#undef KS

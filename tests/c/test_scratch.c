/* test_scratch.c -- the pool of scratch blocks kept across calls
 * (csrc/common/scratch.c): one holder at a time, blocks kept per thread and
 * slot and grown on demand, everything else malloc/free; and that conv2d still
 * gives the same results when the pool is busy (another call holds it) and after
 * it was released.  Under AddressSanitizer nothing is kept: the checks on kept
 * blocks are skipped there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastconv.h"
#include "common/scratch.h"

static int cases, failures;

static void expect(int ok, const char *what)
{
    cases++;
    if (!ok) {
        failures++;
        printf("FAILED: %s\n", what);
    }
}

static int conv_equal_when_pool_busy(void)
{
    fc_conv2d_desc d = {.n = 1, .c = 8, .h = 9, .w = 11, .o = 16, .kh = 3, .kw = 3, .stride_h = 1,
                        .stride_w = 1, .pad_h = 1, .pad_w = 1, .dil_h = 1, .dil_w = 1, .groups = 1,
                        .ho = 9, .wo = 11, .layout = FC_LAYOUT_NCHW};
    float x[8 * 9 * 11], w[16 * 8 * 9], y1[16 * 9 * 11], y2[16 * 9 * 11];
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        x[i] = (float)((i * 7919) % 13) - 6.0f;
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        w[i] = (float)((i * 104729) % 11) - 5.0f;
    int ok = fc_conv2d_f32(&d, x, w, NULL, y1, 2, fc_isa_best()) == FC_OK;
    fc_scratch_pool *held = fc_scratch_acquire(); /* as if another call ran now */
    ok &= fc_conv2d_f32(&d, x, w, NULL, y2, 2, fc_isa_best()) == FC_OK;
    ok &= memcmp(y1, y2, sizeof y1) == 0;
    fc_scratch_release(held);
    ok &= fc_release_scratch() == 0;
    ok &= fc_conv2d_f32(&d, x, w, NULL, y2, 2, fc_isa_best()) == FC_OK;
    return ok && memcmp(y1, y2, sizeof y1) == 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    fc_scratch_pool *pool = fc_scratch_acquire();
    const int keeps = pool != NULL; /* 0 under AddressSanitizer */
    printf("test_scratch: blocks %s\n", keeps ? "kept" : "not kept (sanitizer build)");
    expect(fc_scratch_acquire() == NULL, "a second holder is refused");
    expect(fc_release_scratch() == (keeps ? -1 : 0), "nothing is freed while the pool is held");

    unsigned char *a = fc_scratch_get(pool, 0, FC_SLOT_PANEL, 1000);
    expect(a != NULL, "get 1000 bytes");
    memset(a, 1, 1000);
    fc_scratch_put(pool, 0, FC_SLOT_PANEL, a);
    unsigned char *b = fc_scratch_get(pool, 0, FC_SLOT_PANEL, 500);
    if (keeps)
        expect(b == a, "a smaller request reuses the kept block");
    fc_scratch_put(pool, 0, FC_SLOT_PANEL, b);
    unsigned char *c = fc_scratch_get(pool, 0, FC_SLOT_PANEL, 5000);
    expect(c != NULL, "a larger request grows the block");
    memset(c, 2, 5000);
    fc_scratch_put(pool, 0, FC_SLOT_PANEL, c);
    unsigned char *e = fc_scratch_get(pool, 3, FC_SLOT_PANEL, 5000);
    expect(e != NULL && e != c, "threads have their own blocks");
    fc_scratch_put(pool, 3, FC_SLOT_PANEL, e);
    /* out of range threads and slots, huge and empty requests: plain malloc */
    void *f = fc_scratch_get(pool, FC_SCRATCH_THREADS, 0, 64);
    void *g = fc_scratch_get(pool, 0, FC_SCRATCH_SLOTS, 64);
    void *h = fc_scratch_get(pool, 0, FC_SLOT_TILE, FC_SCRATCH_KEEP_MAX + 1);
    void *z = fc_scratch_get(NULL, 0, FC_SLOT_TILE, 0);
    expect(f && g && z, "unkept blocks are allocated");
    fc_scratch_put(pool, FC_SCRATCH_THREADS, 0, f);
    fc_scratch_put(pool, 0, FC_SCRATCH_SLOTS, g);
    fc_scratch_put(pool, 0, FC_SLOT_TILE, h); /* NULL (out of memory) is fine too */
    fc_scratch_put(NULL, 0, FC_SLOT_TILE, z);
    fc_scratch_release(pool);
    expect(fc_release_scratch() == 0, "release frees everything once the pool is free");
    pool = fc_scratch_acquire();
    expect((pool != NULL) == keeps, "the pool can be taken again");
    fc_scratch_release(pool);

    expect(conv_equal_when_pool_busy(), "conv2d: same results with the pool busy and released");
    printf("%d passed, %d failed\n", cases - failures, failures);
    return failures != 0;
}

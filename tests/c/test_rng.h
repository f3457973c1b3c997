/* test_rng.h -- the C tests' random numbers: a xorshift64 generator, so that
 * every platform and compiler draws the same shapes.  Each test program defines
 * FC_TEST_SEED before including this header. */
#ifndef FC_TEST_RNG_H
#define FC_TEST_RNG_H
#include <stdint.h>

static uint64_t rng_state = FC_TEST_SEED;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rint_(int64_t lo, int64_t hi) { return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1)); }
static double runif(void) { return (double)(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0; }

#endif

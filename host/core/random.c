/* SPDX-License-Identifier: MIT */
/* Counter-based random numbers: the value at (seed, stream, counter) is a
 * pure function of the three, so weights and shuffles are the same on every
 * device and every run, and any position can be recomputed without replaying
 * the ones before it (which is what makes resuming exact). */
#include "core/core.h"

static uint64_t mix64(uint64_t z)
{
    /* The splitmix64 finaliser. */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t nncl__random(uint64_t seed, uint64_t stream, uint64_t counter)
{
    uint64_t key = mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ (stream * 0xa0761d6478bd642full));
    return mix64(key ^ (counter * 0xd1b54a32d192ed03ull));
}

float nncl__random_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    return (float)((double)(nncl__random(seed, stream, counter) >> 40) / 16777216.0);
}

void nncl__shuffle(size_t *order, size_t n, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) {
        /* Lemire's multiply-shift maps 64 random bits onto [0, i) without modulo bias worth
         * mentioning for i < 2^32. */
        uint64_t r = nncl__random(seed, stream, i) >> 32;
        size_t j = (size_t)((r * (uint64_t)i) >> 32);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

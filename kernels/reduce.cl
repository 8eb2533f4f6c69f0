/* SPDX-License-Identifier: MIT */
/* Deterministic reductions: sums taken in a fixed order, never with float
 * atomics, so a result has the same bits on every run. */

/* Elements per partial sum of sum_accumulate: partial sums keep the float
 * error small. Changing it changes the bits of every sum. */
#define SUM_BLOCK 64

/* acc[slot + v] (+)= Σ_i src_v[i], i in 0..n-1, for the sources src_0 =
 * a + a_off and src_1 = b + b_off, in segments of seg elements (n a
 * multiple of seg): each segment summed in index order in blocks of
 * SUM_BLOCK, then added to the accumulator, segment after segment; so k
 * segments in one launch give the bits of k launches of one segment each
 * (overwrite: the accumulator starts from 0 instead). Work-item v
 * takes source v, alone (work-groups of one), so the order, and so the bits,
 * never change. Launched with one work-item per source (a model sums the
 * row losses and correct counts of its waiting batches in one launch). */
__attribute__((reqd_work_group_size(1, 1, 1)))
__kernel void sum_accumulate(__global const float *a, uint a_off, __global const float *b, uint b_off, uint n,
                             uint seg, __global float *acc, uint slot, int overwrite)
{
    const uint v = get_global_id(0);
    __global const float *src = v ? b + b_off : a + a_off;
    float total = overwrite ? 0.0f : acc[slot + v];
    for (uint s0 = 0; s0 < n; s0 += seg) {
        const uint s1 = min(n, s0 + seg); /* (a short last segment never reads past n) */
        float sum = 0.0f;
        for (uint base = s0; base < s1; base += SUM_BLOCK) {
            float part = 0.0f;
            uint end = min(s1, base + SUM_BLOCK);
            for (uint i = base; i < end; i++) part += src[i];
            sum += part;
        }
        total += sum;
    }
    acc[slot + v] = total;
}

/* Flags the first non-finite element of a rows x cols view (one work-item
 * per row) in the status word as `code` (an NNCL_DEV_* code), with its row
 * and column. Keeps NaN input from silently poisoning the weights. */
WG_1D __kernel void check_finite(__global const float *x, uint off, uint ld, uint cols,
                                 __global int *status, int code, uint rows)
{
    uint row = get_global_id(0);
    if (row >= rows) return;
    __global const float *xr = x + off + (size_t)row * ld;
    for (uint c = 0; c < cols; c++)
        if (!isfinite(xr[c])) {
            report_status(status, code, (int)row, (int)c);
            return;
        }
}

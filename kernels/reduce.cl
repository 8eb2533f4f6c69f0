/* Deterministic reductions: sums taken in a fixed order, never with float
 * atomics, so a result has the same bits on every run. */

/* acc[slot] += Σ_i a[i] and acc[slot+1] += Σ_i b[i], i in 0..n-1, summed in
 * index order in blocks of 64 (partial sums keep the float error small).
 * Launched as one work-item: the order, and so the bits, never change. */
__kernel void sum_accumulate(__global const float *a, __global const float *b, uint n,
                             __global float *acc, uint slot)
{
    float sa = 0.0f, sb = 0.0f;
    for (uint base = 0; base < n; base += 64) {
        float pa = 0.0f, pb = 0.0f;
        uint end = min(n, base + 64);
        for (uint i = base; i < end; i++) {
            pa += a[i];
            pb += b[i];
        }
        sa += pa;
        sb += pb;
    }
    acc[slot] += sa;
    acc[slot + 1] += sb;
}

/* Flags the first non-finite element of a rows x cols view (one work-item
 * per row). Keeps NaN input from silently poisoning the weights. */
__kernel void check_finite(__global const float *x, uint off, uint ld, uint cols,
                           __global int *status, int code, uint row_base)
{
    uint row = get_global_id(0);
    __global const float *xr = x + off + (size_t)row * ld;
    for (uint c = 0; c < cols; c++)
        if (!isfinite(xr[c])) {
            report_status(status, code, (int)(row_base + row), (int)c);
            return;
        }
}

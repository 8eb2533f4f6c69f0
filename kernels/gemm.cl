/* GEMM with a fused prologue and epilogue:
 *   C = act(alpha·op(A)·op(B) + beta·C + bias) ⊙ dact'(D)
 * Rows a_rows .. M-1 of op(A) are not stored but read as ones, so a product
 * with a_rows = M - 1 also yields the column sums of op(B) in its last row:
 * backward gets a layer's bias gradient from its weight-gradient GEMM. The
 * factor dact'(D) (dact >= 0; the derivative of activation dact taken from
 * its outputs D, M x N) is backward through an activation, fused into the
 * product that produces the incoming gradient.
 * gemm_nn: op(A) = A (M x K, row-major), op(B) = B (K x N, row-major);
 * gemm_np: the same with B packed into TN-column panels (pack_b), so each
 *          work-item streams one contiguous block that stays in cache while
 *          neighbouring work-items reuse it; packing also absorbs Bᵀ;
 * gemm_tn: op(A) = Aᵀ (A stored K x M), for devices that do not transpose
 *          A first (see ops.c, which picks the path).
 *
 * Each work-item owns a TM x TN tile of C held in registers as TM vectors of
 * TN floats (float16 or float8). For every k it loads one TN-wide row of B and
 * broadcasts TM values of A: no local memory, no barriers, which suits CPUs
 * (PoCL) where the vectors map onto SIMD registers. Whole tiles take a fast
 * path; tiles on the right or bottom edge take a guarded one.
 *
 * NNCL_TM (1..16) and NNCL_TN (8 or 16) come from the build options. */

#ifndef NNCL_TM
#define NNCL_TM 4
#endif
#ifndef NNCL_TN
#define NNCL_TN 16
#endif

#if NNCL_TN == 16
#define floatT float16
#define VLOADT vload16
#define VSTORET vstore16
#define ACT_T act_v16
#define DACT_T act_grad_v16
#elif NNCL_TN == 8
#define floatT float8
#define VLOADT vload8
#define VSTORET vstore8
#define ACT_T act_v8
#define DACT_T act_grad_v8
#else
#error "NNCL_TN must be 8 or 16"
#endif

#ifndef NNCL_GEMM_WGX
#define NNCL_GEMM_WGX 1
#define NNCL_GEMM_WGY 1
#endif

/* B_ROW(k): the TN values op(B)[k][j0 .. j0+TN). Row-major B reads them from
 * row k; packed B holds each TN-column panel as a contiguous K x TN block,
 * zero-padded past N, so the read is always whole and unit-stride. */
#define B_ROW_NN(k) VLOADT(0, B + (size_t)(k) * ldb + j0)
#define B_ROW_PACKED(k) VLOADT(0, B + ((size_t)(j0 / NNCL_TN) * K + (k)) * NNCL_TN)

#define GEMM_KERNEL(NAME, A_AT, B_ROW, PACKED)                                         \
    __attribute__((reqd_work_group_size(NNCL_GEMM_WGX, NNCL_GEMM_WGY, 1)))             \
    __kernel void NAME(uint M, uint N, uint K, uint a_rows, float alpha,               \
                       __global const float *A, uint a_off, uint lda,                  \
                       __global const float *B, uint b_off, uint ldb, float beta,      \
                       __global float *C, uint c_off, uint ldc,                        \
                       __global const float *bias, uint bias_off, int has_bias,        \
                       int act, __global const float *D, uint d_off, uint ldd, int dact)\
    {                                                                                  \
        const uint j0 = get_global_id(1) * NNCL_TN;                                    \
        const uint i0 = get_global_id(0) * NNCL_TM;                                    \
        if (i0 >= M || j0 >= N) return;                                                \
        A += a_off;                                                                    \
        B += b_off;                                                                    \
        C += c_off;                                                                    \
        floatT acc[NNCL_TM];                                                           \
        for (int r = 0; r < NNCL_TM; r++) acc[r] = (floatT)0.0f;                       \
        const int whole_n = PACKED || j0 + NNCL_TN <= N;                               \
        if (i0 + NNCL_TM <= a_rows && whole_n) {                                       \
            for (uint k = 0; k < K; k++) {                                             \
                floatT b = B_ROW(k);                                                   \
                _Pragma("unroll") for (int r = 0; r < NNCL_TM; r++)                    \
                    acc[r] = fma((floatT)(A_AT(i0 + r, k)), b, acc[r]);                \
            }                                                                          \
        } else {                                                                       \
            for (uint k = 0; k < K; k++) {                                             \
                floatT b;                                                              \
                if (whole_n) {                                                         \
                    b = B_ROW(k);                                                      \
                } else {                                                               \
                    float bt[NNCL_TN];                                                 \
                    for (int t = 0; t < NNCL_TN; t++)                                  \
                        bt[t] = j0 + t < N ? B[(size_t)k * ldb + j0 + t] : 0.0f;       \
                    b = VLOADT(0, bt);                                                 \
                }                                                                      \
                for (int r = 0; r < NNCL_TM; r++) {                                    \
                    uint i = i0 + r;                                                   \
                    float a = i < a_rows ? A_AT(i, k) : i < M ? 1.0f : 0.0f;           \
                    acc[r] = fma((floatT)(a), b, acc[r]);                              \
                }                                                                      \
            }                                                                          \
        }                                                                              \
        floatT bv = (floatT)0.0f;                                                      \
        if (has_bias) {                                                                \
            if (j0 + NNCL_TN <= N) {                                                   \
                bv = VLOADT(0, bias + bias_off + j0);                                  \
            } else {                                                                   \
                float bt[NNCL_TN];                                                     \
                for (int t = 0; t < NNCL_TN; t++)                                      \
                    bt[t] = j0 + t < N ? bias[bias_off + j0 + t] : 0.0f;               \
                bv = VLOADT(0, bt);                                                    \
            }                                                                          \
        }                                                                              \
        for (int r = 0; r < NNCL_TM; r++) {                                            \
            if (i0 + r >= M) break;                                                    \
            __global float *c = C + (size_t)(i0 + r) * ldc + j0;                       \
            __global const float *d = D + d_off + (size_t)(i0 + r) * ldd + j0;         \
            if (j0 + NNCL_TN <= N) {                                                   \
                floatT v = alpha * acc[r] + bv;                                        \
                if (beta != 0.0f) v += beta * VLOADT(0, c);                            \
                v = ACT_T(v, act);                                                     \
                if (dact >= 0) v *= DACT_T(VLOADT(0, d), dact);                        \
                VSTORET(v, 0, c);                                                      \
            } else { /* the same in vectors, C and D read and C written to N */        \
                floatT v = alpha * acc[r] + bv;                                        \
                float ct[NNCL_TN], dt[NNCL_TN];                                        \
                for (int t = 0; t < NNCL_TN; t++) {                                    \
                    ct[t] = beta != 0.0f && j0 + t < N ? c[t] : 0.0f;                  \
                    dt[t] = dact >= 0 && j0 + t < N ? d[t] : 0.0f;                     \
                }                                                                      \
                v = ACT_T(v + beta * VLOADT(0, ct), act);                              \
                if (dact >= 0) v *= DACT_T(VLOADT(0, dt), dact);                       \
                VSTORET(v, 0, ct);                                                     \
                for (int t = 0; j0 + t < N; t++) c[t] = ct[t];                         \
            }                                                                          \
        }                                                                              \
    }

#define A_NN(i, k) A[(size_t)(i) * lda + (k)]
#define A_TN(i, k) A[(size_t)(k) * lda + (i)]
GEMM_KERNEL(gemm_nn, A_NN, B_ROW_NN, 0)
GEMM_KERNEL(gemm_np, A_NN, B_ROW_PACKED, 1)
GEMM_KERNEL(gemm_tn, A_TN, B_ROW_NN, 0)
GEMM_KERNEL(gemm_tp, A_TN, B_ROW_PACKED, 1)

/* GPUs: gemm_local, C = act(alpha·A·B + beta·C + bias) ⊙ dact'(D) with A
 * (M x K, rows a_rows.. read as ones) and B (K x N) row-major. A work-group of
 * LWG x LWG work-items computes a tile of (LWG·LRB) x (LWG·LRB) outputs; each
 * work-item keeps an LRB x LRB block in registers. K advances LKT at a time
 * through tiles of A and B staged in local memory, loaded as float4 vectors
 * with coalesced reads (neighbouring work-items, neighbouring addresses) and
 * zero-filled past the edges. A work-item's outputs are strided by LWG so
 * that its stores coalesce too. LKT and LWG·LRB are multiples of 4. */
#ifndef NNCL_LWG
#define NNCL_LWG 16
#endif
#ifndef NNCL_LRB
#define NNCL_LRB 4
#endif
#ifndef NNCL_LKT
#define NNCL_LKT 16
#endif
#define LTILE (NNCL_LWG * NNCL_LRB)

/* Four consecutive floats from p; those at and past the avail-th are 0 (the
 * edge of a matrix) and are not read. */
float4 load4_edge(__global const float *p, uint avail)
{
    if (avail >= 4) return vload4(0, p);
    float t[4];
    for (uint q = 0; q < 4; q++) t[q] = q < avail ? p[q] : 0.0f;
    return vload4(0, t);
}

__attribute__((reqd_work_group_size(NNCL_LWG, NNCL_LWG, 1)))
__kernel void gemm_local(uint M, uint N, uint K, uint a_rows, float alpha,
                         __global const float *A, uint a_off, uint lda,
                         __global const float *B, uint b_off, uint ldb, float beta,
                         __global float *C, uint c_off, uint ldc,
                         __global const float *bias, uint bias_off, int has_bias, int act,
                         __global const float *D, uint d_off, uint ldd, int dact)
{
    __local float As[NNCL_LKT][LTILE + 1]; /* As[k][i]: +1 keeps banks apart */
    __local float Bs[NNCL_LKT][LTILE + 1];
    const uint tx = get_local_id(0), ty = get_local_id(1);
    const uint col0 = get_group_id(0) * LTILE, row0 = get_group_id(1) * LTILE;
    A += a_off;
    B += b_off;
    C += c_off;
    float acc[NNCL_LRB][NNCL_LRB];
    for (int r = 0; r < NNCL_LRB; r++)
        for (int c = 0; c < NNCL_LRB; c++) acc[r][c] = 0.0f;
    const uint lid = ty * NNCL_LWG + tx, threads = NNCL_LWG * NNCL_LWG;
    for (uint k0 = 0; k0 < K; k0 += NNCL_LKT) {
        /* A tile: LTILE rows x LKT columns, a float4 along k per step;
         * consecutive lids read consecutive addresses along a row. */
        for (uint e = lid; e < LTILE * NNCL_LKT / 4; e += threads) {
            uint i = e / (NNCL_LKT / 4), k = e % (NNCL_LKT / 4) * 4;
            uint gi = row0 + i, gk = k0 + k, avail = gk < K ? K - gk : 0;
            float4 v = gi < a_rows ? load4_edge(A + (size_t)gi * lda + gk, avail)
                       : gi < M    ? convert_float4((int4)(0 < avail, 1 < avail, 2 < avail, 3 < avail))
                                   : (float4)(0.0f);
            As[k][i] = v.s0, As[k + 1][i] = v.s1, As[k + 2][i] = v.s2, As[k + 3][i] = v.s3;
        }
        /* B tile: LKT rows x LTILE columns, a float4 along j per step. */
        for (uint e = lid; e < LTILE * NNCL_LKT / 4; e += threads) {
            uint k = e / (LTILE / 4), j = e % (LTILE / 4) * 4;
            uint gk = k0 + k, gj = col0 + j;
            float4 v = gk < K ? load4_edge(B + (size_t)gk * ldb + gj, gj < N ? N - gj : 0) : (float4)(0.0f);
            vstore4(v, 0, &Bs[k][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint k = 0; k < NNCL_LKT; k++) {
            float a[NNCL_LRB], b[NNCL_LRB];
            for (int r = 0; r < NNCL_LRB; r++) a[r] = As[k][ty + r * NNCL_LWG];
            for (int c = 0; c < NNCL_LRB; c++) b[c] = Bs[k][tx + c * NNCL_LWG];
            for (int r = 0; r < NNCL_LRB; r++)
                for (int c = 0; c < NNCL_LRB; c++) acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int r = 0; r < NNCL_LRB; r++) {
        uint i = row0 + ty + r * NNCL_LWG;
        if (i >= M) continue;
        for (int c = 0; c < NNCL_LRB; c++) {
            uint j = col0 + tx + c * NNCL_LWG;
            if (j >= N) continue;
            float v = alpha * acc[r][c] + (has_bias ? bias[bias_off + j] : 0.0f);
            if (beta != 0.0f) v += beta * C[(size_t)i * ldc + j];
            v = act_f(v, act);
            if (dact >= 0) v *= act_grad_f(D[d_off + (size_t)i * ldd + j], dact);
            C[(size_t)i * ldc + j] = v;
        }
    }
}

/* Packs op(B) (K x N; B stored K x N, or N x K when trans) into TN-column
 * panels for gemm_np: panel p is K x TN floats at out + p·K·TN, columns past
 * N zero. Each work-item writes 8 rows k of one panel: whole blocks move as
 * vectors (row loads, or for Bᵀ eight-float column loads turned through
 * registers), blocks on the edges element by element. */
WG_1D __kernel void pack_b(__global const float *B, uint b_off, uint ldb, int trans, uint K, uint N,
                           __global float *out, uint out_off)
{
    size_t k0 = get_global_id(0) * 8, p = get_global_id(1), j0 = p * NNCL_TN;
    if (k0 >= K || j0 >= N) return;
    B += b_off;
    __global float *dst = out + out_off + (p * K + k0) * NNCL_TN;
    if (k0 + 8 <= K && j0 + NNCL_TN <= N) {
        if (!trans) {
            for (uint kk = 0; kk < 8; kk++)
                VSTORET(VLOADT(0, B + (k0 + kk) * ldb + j0), 0, dst + kk * NNCL_TN);
        } else {
            float col[NNCL_TN][8]; /* col[t] = B[j0 + t][k0 .. k0+8) */
            for (uint t = 0; t < NNCL_TN; t++) vstore8(vload8(0, B + (j0 + t) * ldb + k0), 0, col[t]);
            for (uint kk = 0; kk < 8; kk++) {
                float row[NNCL_TN];
                for (uint t = 0; t < NNCL_TN; t++) row[t] = col[t][kk];
                VSTORET(VLOADT(0, row), 0, dst + kk * NNCL_TN);
            }
        }
        return;
    }
    for (uint kk = 0; kk < 8 && k0 + kk < K; kk++) {
        float row[NNCL_TN];
        for (uint t = 0; t < NNCL_TN; t++) {
            size_t j = j0 + t, k = k0 + kk;
            row[t] = j < N ? (trans ? B[j * ldb + k] : B[k * ldb + j]) : 0.0f;
        }
        VSTORET(VLOADT(0, row), 0, dst + kk * NNCL_TN);
    }
}

/* out (cols x rows) = inᵀ (in is rows x cols). Each work-item moves an 8 x 8
 * block through registers: eight row loads, eight column stores, all
 * unit-stride; blocks on the edges go element by element. */
WG_1D __kernel void transpose(__global const float *in, uint in_off, uint in_ld,
                              __global float *out, uint out_off, uint out_ld, uint rows, uint cols)
{
    size_t c0 = get_global_id(0) * 8, r0 = get_global_id(1) * 8;
    if (c0 >= cols || r0 >= rows) return;
    in += in_off + r0 * in_ld + c0;
    out += out_off + c0 * out_ld + r0;
    if (r0 + 8 <= rows && c0 + 8 <= cols) {
        float8 a0 = vload8(0, in), a1 = vload8(0, in + in_ld), a2 = vload8(0, in + 2 * in_ld),
               a3 = vload8(0, in + 3 * in_ld), a4 = vload8(0, in + 4 * in_ld),
               a5 = vload8(0, in + 5 * in_ld), a6 = vload8(0, in + 6 * in_ld),
               a7 = vload8(0, in + 7 * in_ld);
        vstore8((float8)(a0.s0, a1.s0, a2.s0, a3.s0, a4.s0, a5.s0, a6.s0, a7.s0), 0, out);
        vstore8((float8)(a0.s1, a1.s1, a2.s1, a3.s1, a4.s1, a5.s1, a6.s1, a7.s1), 0, out + out_ld);
        vstore8((float8)(a0.s2, a1.s2, a2.s2, a3.s2, a4.s2, a5.s2, a6.s2, a7.s2), 0, out + 2 * out_ld);
        vstore8((float8)(a0.s3, a1.s3, a2.s3, a3.s3, a4.s3, a5.s3, a6.s3, a7.s3), 0, out + 3 * out_ld);
        vstore8((float8)(a0.s4, a1.s4, a2.s4, a3.s4, a4.s4, a5.s4, a6.s4, a7.s4), 0, out + 4 * out_ld);
        vstore8((float8)(a0.s5, a1.s5, a2.s5, a3.s5, a4.s5, a5.s5, a6.s5, a7.s5), 0, out + 5 * out_ld);
        vstore8((float8)(a0.s6, a1.s6, a2.s6, a3.s6, a4.s6, a5.s6, a6.s6, a7.s6), 0, out + 6 * out_ld);
        vstore8((float8)(a0.s7, a1.s7, a2.s7, a3.s7, a4.s7, a5.s7, a6.s7, a7.s7), 0, out + 7 * out_ld);
        return;
    }
    for (uint r = 0; r < 8 && r0 + r < rows; r++)
        for (uint c = 0; c < 8 && c0 + c < cols; c++) out[c * out_ld + r] = in[r * in_ld + c];
}

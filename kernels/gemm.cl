/* SPDX-License-Identifier: MIT */
/* GEMM with a fused prologue and epilogue:
 *   C = act(alpha·op(A)·op(B) + beta·C + bias) ⊙ dact'(D)
 * Rows a_rows .. M-1 of op(A) are not stored but read as ones, so a product
 * with a_rows = M - 1 also yields the column sums of op(B) in its last row:
 * backward gets a layer's bias gradient from its weight-gradient GEMM. The
 * factor dact'(D) (dact not NNCL_ACT_ID_NONE; the derivative of activation
 * dact taken from its outputs D, M x N) is backward through an activation,
 * fused into the product that produces the incoming gradient.
 *
 * One body (gemm_body) and one epilogue (gemm_epilogue_*) serve every GEMM;
 * the entry points are thin wrappers that call the body with the layout as
 * literal flags (trans_a, packed), which the compiler folds:
 * gemm_nn: op(A) = A (M x K, row-major), op(B) = B (K x N, row-major);
 * gemm_np: the same with B packed into TN-column panels (pack_b), so each
 *          work-item streams one contiguous block that stays in cache while
 *          neighbouring work-items reuse it; packing also absorbs Bᵀ;
 * gemm_tn, gemm_tp: op(A) = Aᵀ (A stored K x M), read in place, for when A is
 *          not transposed first (host/ops/gemm.c picks the path);
 * gemm_np_part, gemm_tp_part: split K (a large inner dimension, such as the
 *          batch of a weight gradient): work-item (i, j, s) sums k in
 *          [s·k_chunk, (s+1)·k_chunk) into part s of a scratch buffer, and
 *          gemm_reduce adds the parts in the fixed order s = 0, 1, ... and
 *          applies the epilogue, so the result is the same on every run;
 * gemm_local: the local-memory kernel for GPUs (further down).
 *
 * Each work-item of the register-tiled GEMMs owns a TM x TN tile of C held in
 * registers as TM x NV vectors of VW floats (TN = NV·VW; float16 for AVX-512,
 * float8 for AVX2, two or more per row for the wide tiles). For every k it
 * loads NV vectors of one TN-wide row of B and broadcasts TM values of A: no
 * local memory, no barriers, which suits CPUs (PoCL) where the vectors map
 * onto SIMD registers. Whole tiles take a fast path, its k loop unrolled KU
 * times (a tile one vector wide goes row by row through those k's instead:
 * gemm_steps_by_row); tiles on the right or bottom edge take a guarded one,
 * whose partial vectors are read and written in pieces (load16_edge, ...).
 *
 * NNCL_TM (1..16), NNCL_VW (8 or 16), NNCL_TN (VW, 2·VW or 4·VW) and NNCL_KU
 * (1..8) come from the build options (host/core/tuning.c). */

#ifndef NNCL_TM
#define NNCL_TM 4
#endif
#ifndef NNCL_TN
#define NNCL_TN 16
#endif
#ifndef NNCL_VW
#define NNCL_VW NNCL_TN
#endif
#ifndef NNCL_KU
#define NNCL_KU 1
#endif
#define NNCL_NV (NNCL_TN / NNCL_VW)
/* The fused kernels' products unroll k less than the tuned KU: at most 2
 * in gemm_tp_group's jobs, 1 in loss_head's. Each unrolled copy of the
 * tile step is code PoCL compiles on a first step; these two took 0.1-0.3
 * s off the cold build with training unchanged, where KU = 1 in
 * gemm_tp_group cost 3 % at batch 1024 (docs/PERFORMANCE.md, ninth
 * session). */
#define NNCL_GROUP_KU (NNCL_KU < 2 ? NNCL_KU : 2)
#define NNCL_HEAD_KU 1
/* The narrow tile with A row-major (gemm_steps_by_row) unrolls k at least 4
 * times: each row's ku values share one address. AVX2 code, whose tuned KU
 * is 1, ran NN 8192x8x128 7 % faster so on one thread (docs/PERFORMANCE.md,
 * tenth session); on AVX-512 the tuned KU is already 4. */
#define NNCL_NARROW_KU (NNCL_KU > 4 ? NNCL_KU : 4)
#if NNCL_NV * NNCL_VW != NNCL_TN || NNCL_NV > 4
#error "NNCL_TN must be 1, 2 or 4 times NNCL_VW"
#endif

#if NNCL_VW == 16
#define floatT float16
#define VLOADT vload16
#define STORET store16
#define ACT_T act_v16
#define DACT_T act_grad_v16
#elif NNCL_VW == 8
#define floatT float8
#define VLOADT vload8
#define STORET store8
#define ACT_T act_v8
#define DACT_T act_grad_v8
#else
#error "NNCL_VW must be 8 or 16"
#endif

#ifndef NNCL_GEMM_WGX
#define NNCL_GEMM_WGX 1
#define NNCL_GEMM_WGY 1
#endif

/* The epilogue of every GEMM, one definition for one value (T float, in
 * gemm_local) and for one vector of a register tile (T floatT):
 *   act(alpha·acc + bias + beta·c) ⊙ dact'(d)
 * c counts only when beta != 0 and d only when dact is an activation
 * (not NNCL_ACT_ID_NONE); the callers read them only then, as C and D may
 * hold anything otherwise. A macro generates the two typed variants because
 * OpenCL C 1.2 has no overloading; the math is written here once. */
#define DEFINE_GEMM_EPILOGUE(NAME, T, ACT, DACT)                                    \
    INLINE_FUNC T NAME(T acc, T bias, T c, T d, float alpha, float beta, int act,   \
                       int dact)                                                    \
    {                                                                               \
        T v = alpha * acc + bias;                                                   \
        if (beta != 0.0f) v += beta * c;                                            \
        v = ACT(v, act);                                                            \
        if (dact != NNCL_ACT_ID_NONE) v *= DACT(d, dact);                           \
        return v;                                                                   \
    }
DEFINE_GEMM_EPILOGUE(gemm_epilogue_f, float, act_f, act_grad_f)
DEFINE_GEMM_EPILOGUE(gemm_epilogue_t, floatT, ACT_T, DACT_T)

/* One element of C (*out) through the epilogue, for the kernels that take
 * an element at a time (gemm_reduce, gemm_local): bias[j] when has_bias,
 * the old value when beta is not 0, *d (D's element) when there is a dact. */
INLINE_FUNC void gemm_store_f(__global float *out, float acc, __global const float *bias, int has_bias, uint j,
                              __global const float *d, float alpha, float beta, int act, int dact)
{
    const float b = has_bias ? bias[j] : 0.0f;
    const float c = beta != 0.0f ? *out : 0.0f;
    const float dv = dact != NNCL_ACT_ID_NONE ? *d : 0.0f;
    *out = gemm_epilogue_f(acc, b, c, dv, alpha, beta, act, dact);
}

/* op(A)[i][k]: A stored M x K row-major, or (trans_a) K x M and read as Aᵀ.
 * trans_a is a literal constant at every call, so the choice folds away. */
INLINE_FUNC float a_at(__global const float *A, uint lda, uint i, uint k, const int trans_a)
{
    if (trans_a) return A[(size_t)k * lda + i];
    return A[(size_t)i * lda + k];
}

/* Where op(B)[k][j0 .. j0+TN) starts. Row-major B holds it in row k; packed
 * B (pack_b) holds each TN-column panel as a contiguous K x TN block,
 * zero-padded past N, so the read is always whole and unit-stride. */
INLINE_FUNC __global const float *b_at(__global const float *B, uint ldb, uint K, uint j0, uint k,
                                       const int packed, const int tn)
{
    if (packed) return B + ((size_t)(j0 / tn) * K + k) * tn;
    return B + (size_t)k * ldb + j0;
}

/* One k of a whole tile: nv vectors of B, tm broadcasts of A, tm·nv FMAs. */
INLINE_FUNC void gemm_step(floatT *acc, __global const float *A, uint lda, __global const float *B,
                           uint ldb, uint K, uint i0, uint j0, uint k, const int trans_a, const int packed,
                           const int tm, const int nv)
{
    __global const float *bp = b_at(B, ldb, K, j0, k, packed, nv * NNCL_VW);
    floatT b[NNCL_NV];
#pragma unroll
    for (int v = 0; v < nv; v++) b[v] = VLOADT(v, bp);
#pragma unroll
    for (int r = 0; r < tm; r++) {
        const floatT a = (floatT)(a_at(A, lda, i0 + r, k, trans_a));
#pragma unroll
        for (int v = 0; v < nv; v++) acc[r * nv + v] = fma(a, b[v], acc[r * nv + v]);
    }
}

/* ku k's of a whole tile one vector wide (nv 1), A row-major: ku vectors of
 * B, then row by row ku values of the row and ku FMAs into its accumulator,
 * in the same order per accumulator as ku gemm_steps. A row's ku values
 * take one address; k by k (gemm_step), the tile's many rows (the narrow
 * tile's 16) had more addresses than the registers hold, and one was
 * reloaded for every FMA: NN 1024x10x128 24-27 -> 21 us on one thread
 * (docs/PERFORMANCE.md, tenth session). */
INLINE_FUNC void gemm_steps_by_row(floatT *acc, __global const float *A, uint lda, __global const float *B, uint ldb,
                                   uint K, uint i0, uint j0, uint k, const int packed, const int tm, const int ku)
{
    floatT b[8]; /* ku <= 8 */
#pragma unroll
    for (int u = 0; u < ku; u++) b[u] = VLOADT(0, b_at(B, ldb, K, j0, k + u, packed, NNCL_VW));
#pragma unroll
    for (int r = 0; r < tm; r++) {
        __global const float *a = A + (size_t)(i0 + r) * lda + k;
#pragma unroll
        for (int u = 0; u < ku; u++) acc[r] = fma((floatT)(a[u]), b[u], acc[r]);
    }
}

/* The first a floats of p (a < 8 or a < 16) as a vector, the rest zero and
 * not read; and the first a lanes of v stored at p, the rest not written.
 * Both go by a's bits, in pieces of 8, 4, 2 and 1 floats, in registers: a
 * vector stored through a private array and read back (or assembled there
 * and read whole) stalls, the store split in pieces that cannot forward to
 * the wider load: a quarter of the narrow GEMM's time on Zen 5
 * (docs/PERFORMANCE.md, tenth session). The loads (a bias, C under beta,
 * D under dact: once per vector column, or only with those options) are
 * called, not inlined, which keeps the cold build 0.07 s shorter; the
 * stores, one per row of the narrow tile, are inlined (called, that
 * product took 8 % longer). */
__attribute__((noinline)) float8 load8_edge(__global const float *p, uint a)
{
    const uint o4 = a & 4, o2 = o4 + (a & 2);
    float2 r2 = (float2)0.0f;
    if (a & 1) r2.x = p[o2];
    float4 r4 = (float4)(r2, 0.0f, 0.0f);
    if (a & 2) r4 = (float4)(vload2(0, p + o4), r2);
    float8 r8 = (float8)(r4, (float4)0.0f);
    if (a & 4) r8 = (float8)(vload4(0, p), r4);
    return r8;
}
__attribute__((noinline)) float16 load16_edge(__global const float *p, uint a)
{
    if (a & 8) return (float16)(vload8(0, p), load8_edge(p + 8, a & 7));
    return (float16)(load8_edge(p, a), (float8)0.0f);
}
/* The stores' step: when a has bit n, the n lanes in part go to p, p moves
 * past them, and part becomes the upper half of whole (the lanes after). */
#define STORE_PIECE(n, part, whole) \
    if (a & n) {                    \
        store##n(part, p);          \
        part = (whole).hi;          \
        p += n;                     \
    }
INLINE_FUNC void store8_edge(float8 v, __global float *p, uint a)
{
    float4 r4 = v.lo;
    STORE_PIECE(4, r4, v)
    float2 r2 = r4.lo;
    STORE_PIECE(2, r2, r4)
    if (a & 1) p[0] = r2.x;
}
INLINE_FUNC void store16_edge(float16 v, __global float *p, uint a)
{
    float8 r8 = v.lo;
    STORE_PIECE(8, r8, v)
    store8_edge(r8, p, a & 7);
}
/* For n = 16 and 8 floats (OpenCL C 1.2 has no overloading):
 * first_lanesN(v, a, fill): v with its lanes from the a-th on set to fill;
 * loadN_upto(p, avail) / storeN_upto(v, p, avail): a vector at p of which
 * only the first avail floats (all when avail >= n) lie inside the matrix,
 * the edge of a row. The load reads only those and zeroes the rest; the
 * store writes only those and returns what it stored, the rest zero
 * (gemm_store_vector, loss_head's dH, softmax_ce). */
#define DEFINE_UPTO(n, lanes)                                                        \
    INLINE_FUNC float##n first_lanes##n(float##n v, uint a, float fill)              \
    {                                                                                \
        return select((float##n)fill, v, (int##n) lanes < (int##n)(int)a);           \
    }                                                                                \
    INLINE_FUNC float##n load##n##_upto(__global const float *p, uint avail)         \
    {                                                                                \
        return avail >= n ? vload##n(0, p) : load##n##_edge(p, avail);               \
    }                                                                                \
    INLINE_FUNC float##n store##n##_upto(float##n v, __global float *p, uint avail)  \
    {                                                                                \
        if (avail >= n) {                                                            \
            store##n(v, p);                                                          \
            return v;                                                                \
        }                                                                            \
        store##n##_edge(v, p, avail);                                                \
        return first_lanes##n(v, avail, 0.0f);                                       \
    }
DEFINE_UPTO(16, (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
DEFINE_UPTO(8, (0, 1, 2, 3, 4, 5, 6, 7))
#if NNCL_VW == 16
#define load_upto_t load16_upto
#define store_upto_t store16_upto
#else
#define load_upto_t load8_upto
#define store_upto_t store8_upto
#endif

/* acc[r·nv + v] = Σ_{k0 <= k < k1} op(A)[i0 + r][k] · op(B)[k][j0 + v·VW ..),
 * with rows a_rows .. M-1 of op(A) read as ones and rows from M on as zeros.
 * Whole tiles take an unguarded loop; tiles on the bottom or right edge a
 * guarded one that reads row-major B only up to N. K is op(B)'s whole inner
 * dimension (a packed panel's height). The tile is tm x nv vectors (tm·nv at
 * most NNCL_TM·NNCL_NV) and the fast loop unrolled ku times, literals at
 * every call. */
INLINE_FUNC void gemm_accumulate(floatT *acc, uint M, uint N, uint K, uint k0, uint k1, uint a_rows,
                                 __global const float *A, uint lda, __global const float *B,
                                 uint ldb, uint i0, uint j0, const int trans_a, const int packed,
                                 const int tm, const int nv, const int ku)
{
    const int tn = nv * NNCL_VW;
    for (int r = 0; r < tm * nv; r++) acc[r] = (floatT)0.0f;
    const int whole_n = packed || j0 + tn <= N;
    if (i0 + tm <= a_rows && whole_n) {
        uint k = k0;
        if (nv == 1 && !trans_a) {
            for (; k + ku <= k1; k += ku) gemm_steps_by_row(acc, A, lda, B, ldb, K, i0, j0, k, packed, tm, ku);
        } else {
            for (; k + ku <= k1; k += ku) {
#pragma unroll
                for (int u = 0; u < ku; u++)
                    gemm_step(acc, A, lda, B, ldb, K, i0, j0, k + u, trans_a, packed, tm, nv);
            }
        }
        for (; k < k1; k++) gemm_step(acc, A, lda, B, ldb, K, i0, j0, k, trans_a, packed, tm, nv);
        return;
    }
    if (whole_n && a_rows > 0) {
        /* A tile on the bottom edge: the rows past a_rows read a stored row
         * (the last) and select 1 (the ones rows below M) or 0 instead, so
         * the loop has no branch, and a non-finite value in that stored row
         * does not reach the rows it stands in for. (The branchy loop below
         * was 2-30x slower than whole tiles inside the split-K kernels,
         * docs/PERFORMANCE.md.) */
        uint row[NNCL_TM * NNCL_NV];
        int stored[NNCL_TM * NNCL_NV];
        float one[NNCL_TM * NNCL_NV];
        for (int r = 0; r < tm; r++) {
            const uint i = i0 + r;
            row[r] = i < a_rows ? i : a_rows - 1;
            stored[r] = i < a_rows;
            one[r] = i >= a_rows && i < M ? 1.0f : 0.0f;
        }
        for (uint k = k0; k < k1; k++) {
            __global const float *bp = b_at(B, ldb, K, j0, k, packed, tn);
            floatT b[NNCL_NV];
            for (int v = 0; v < nv; v++) b[v] = VLOADT(v, bp);
            for (int r = 0; r < tm; r++) {
                const float a = select(one[r], a_at(A, lda, row[r], k, trans_a), stored[r]);
                for (int v = 0; v < nv; v++) acc[r * nv + v] = fma((floatT)(a), b[v], acc[r * nv + v]);
            }
        }
        return;
    }
    for (uint k = k0; k < k1; k++) {
        floatT b[NNCL_NV];
        if (whole_n) {
            for (int v = 0; v < nv; v++) b[v] = VLOADT(v, b_at(B, ldb, K, j0, k, packed, tn));
        } else {
            for (int v = 0; v < nv; v++) {
                const uint j = j0 + v * NNCL_VW;
                b[v] = j < N ? load_upto_t(B + (size_t)k * ldb + j, N - j) : (floatT)0.0f;
            }
        }
        for (int r = 0; r < tm; r++) {
            uint i = i0 + r;
            float a = i < a_rows ? a_at(A, lda, i, k, trans_a) : i < M ? 1.0f : 0.0f;
            for (int v = 0; v < nv; v++) acc[r * nv + v] = fma((floatT)(a), b[v], acc[r * nv + v]);
        }
    }
}

/* One VW-wide vector of C at (i, j) through the epilogue: a whole vector as
 * one store, one on the right edge (avail = N - j < VW) in the same vector
 * math with C and D read and C written only up to N. Returns what it
 * stored, the lanes past the edge zero. */
INLINE_FUNC floatT gemm_store_vector(floatT acc, uint avail, float alpha, float beta, __global float *c,
                                     floatT bv, int act, __global const float *d, int dact)
{
    const floatT cv = beta != 0.0f ? load_upto_t(c, avail) : (floatT)0.0f;
    const floatT dv = dact != NNCL_ACT_ID_NONE ? load_upto_t(d, avail) : (floatT)0.0f;
    return store_upto_t(gemm_epilogue_t(acc, bv, cv, dv, alpha, beta, act, dact), c, avail);
}

/* Where C's (i, j) lies in Q, C packed into q_tn-column panels as pack_b
 * lays out an M-row op(B): panel j / q_tn, M x q_tn floats each. */
INLINE_FUNC __global float *packed_at(__global float *Q, uint M, uint q_tn, uint i, uint j)
{
    return Q + ((size_t)(j / q_tn) * M + i) * q_tn + j % q_tn;
}

/* Rows i0 .. of C's tile at column j0 through the epilogue, each row nv
 * vectors; vectors wholly past N are skipped. q_tn not 0 (the host passes
 * it only as the tile's own width, so the tile is one panel): each stored
 * vector goes to Q too, C packed (packed_at), and the tile's vectors past N
 * are zeroed there, as pack_b pads a panel.
 * fast (a literal): a whole tile with the plain epilogue (beta 0, no dact,
 * no packed copy, identity or ReLU) goes through the same epilogue
 * straight from the registers, its options fixed; the general loop keeps
 * the accumulators in memory and branches on every vector: a quarter to a
 * half of a product with K = 10 (docs/PERFORMANCE.md, ninth session). The
 * entry points pass 1; the fused kernels pass 0, as a second copy of the
 * stores would lengthen their build, and so do the split-K parts, whose
 * deep K leaves the store a small share. */
INLINE_FUNC void gemm_store(const floatT *acc, uint M, uint N, uint i0, uint j0, float alpha,
                            float beta, __global float *C, uint ldc, __global const float *bias,
                            int has_bias, int act, __global const float *D, uint ldd, int dact,
                            __global float *Q, uint q_tn, const int tm, const int nv, const int fast)
{
    if (fast && i0 + tm <= M && j0 + nv * NNCL_VW <= N && beta == 0.0f && dact == NNCL_ACT_ID_NONE &&
        q_tn == 0 && (act == NNCL_ACT_ID_IDENTITY || act == NNCL_ACT_ID_RELU)) {
        floatT bv[NNCL_NV];
        for (int v = 0; v < nv; v++) bv[v] = has_bias ? VLOADT(v, bias + j0) : (floatT)0.0f;
        /* act again, written so that the compiler sees its two values and
         * keeps only their arms of the activation's switch */
        const int plain_act = act == NNCL_ACT_ID_RELU ? NNCL_ACT_ID_RELU : NNCL_ACT_ID_IDENTITY;
#pragma unroll
        for (int r = 0; r < tm; r++)
#pragma unroll
            for (int v = 0; v < nv; v++)
                STORET(gemm_epilogue_t(acc[r * nv + v], bv[v], (floatT)0.0f, (floatT)0.0f, alpha, 0.0f, plain_act,
                                       NNCL_ACT_ID_NONE),
                       C + (size_t)(i0 + r) * ldc + j0 + v * NNCL_VW);
        return;
    }
    for (int v = 0; v < nv; v++) {
        const uint j = j0 + v * NNCL_VW;
        if (j >= N) {
            if (q_tn == 0) break;
            for (int r = 0; r < tm && i0 + r < M; r++) STORET((floatT)0.0f, packed_at(Q, M, q_tn, i0 + r, j));
            continue;
        }
        const uint avail = N - j; /* columns of this vector inside C */
        const floatT bv = has_bias ? load_upto_t(bias + j, avail) : (floatT)0.0f;
        for (int r = 0; r < tm; r++) {
            if (i0 + r >= M) break;
            const floatT out = gemm_store_vector(acc[r * nv + v], avail, alpha, beta,
                                                 C + (size_t)(i0 + r) * ldc + j, bv, act,
                                                 D + (size_t)(i0 + r) * ldd + j, dact);
            if (q_tn) STORET(out, packed_at(Q, M, q_tn, i0 + r, j));
        }
    }
}

/* One work-item's tm x (nv·VW) tile of C (the register-tiled GEMMs below),
 * over k in [k0, k1); fast as gemm_store's, ku as gemm_accumulate's. */
INLINE_FUNC void gemm_body(uint M, uint N, uint K, uint k0, uint k1, uint a_rows, float alpha,
                           __global const float *A, uint lda, __global const float *B, uint ldb, float beta,
                           __global float *C, uint ldc, __global const float *bias, int has_bias, int act,
                           __global const float *D, uint ldd, int dact, __global float *Q, uint q_tn, uint i0,
                           uint j0, const int trans_a, const int packed, const int tm, const int nv,
                           const int fast, const int ku)
{
    if (i0 >= M || j0 >= N) return;
    floatT acc[NNCL_TM * NNCL_NV];
    gemm_accumulate(acc, M, N, K, k0, k1, a_rows, A, lda, B, ldb, i0, j0, trans_a, packed, tm, nv, ku);
    gemm_store(acc, M, N, i0, j0, alpha, beta, C, ldc, bias, has_bias, act, D, ldd, dact, Q, q_tn, tm, nv, fast);
}

/* The entry points: every whole-K GEMM takes the same arguments
 * (host/ops/gemm.c sets them in one list; the split-K parts below take a
 * shorter one). Views are (buffer, offset in floats,
 * leading dimension); has_bias 0 means no bias, dact NNCL_ACT_ID_NONE no
 * derivative factor, q_tn 0 no packed copy of C (Q, from q_off; the
 * register-tiled kernels write it, gemm_local never gets one). */
#define GEMM_PARAMS                                                                             \
    uint M, uint N, uint K, uint a_rows, float alpha, __global const float *A, uint a_off,      \
        uint lda, __global const float *B, uint b_off, uint ldb, float beta, __global float *C, \
        uint c_off, uint ldc, __global const float *bias, uint bias_off, int has_bias, int act, \
        __global const float *D, uint d_off, uint ldd, int dact, __global float *Q, uint q_off, uint q_tn
#define GEMM_WG __attribute__((reqd_work_group_size(NNCL_GEMM_WGX, NNCL_GEMM_WGY, 1)))
/* gemm_body over all of K with the layout (trans_a, packed), the tile (tm
 * rows of nv vectors) and the k unrolling (ku) compile-time constants. */
#define GEMM_BODY(trans_a, packed, tm, nv, ku)                                                    \
    gemm_body(M, N, K, 0, K, a_rows, alpha, A + a_off, lda, B + b_off, ldb, beta, C + c_off, ldc, \
              bias + bias_off, has_bias, act, D + d_off, ldd, dact, Q + q_off, q_tn,              \
              get_global_id(0) * (tm), get_global_id(1) * (nv) * NNCL_VW, trans_a, packed, tm, nv, 1, ku)

/* op(A) = A, op(B) = B, both row-major. */
GEMM_WG __kernel void gemm_nn(GEMM_PARAMS) { GEMM_BODY(0, 0, NNCL_TM, NNCL_NV, NNCL_KU); }
/* op(A) = A row-major, B packed. */
GEMM_WG __kernel void gemm_np(GEMM_PARAMS) { GEMM_BODY(0, 1, NNCL_TM, NNCL_NV, NNCL_KU); }
/* op(A) = Aᵀ read in place, B row-major. */
GEMM_WG __kernel void gemm_tn(GEMM_PARAMS) { GEMM_BODY(1, 0, NNCL_TM, NNCL_NV, NNCL_KU); }
/* op(A) = Aᵀ read in place, B packed. */
GEMM_WG __kernel void gemm_tp(GEMM_PARAMS) { GEMM_BODY(1, 1, NNCL_TM, NNCL_NV, NNCL_KU); }

/* The narrow tile, for products at most one vector wide (N <= VW: a
 * classifier's output layer, whose 10 columns would leave most of a wide
 * tile's lanes idle): one vector per row and NNCL_NARROW_TM = TM·NV rows
 * (at most 16), as many accumulators as the wide tile. B is packed in VW-column panels
 * (pack_b_narrow). */
#ifndef NNCL_NARROW_TM
#error "NNCL_NARROW_TM comes from the host (nncl__narrow_tm, in the build options)"
#endif
GEMM_WG __kernel void gemm_np_narrow(GEMM_PARAMS) { GEMM_BODY(0, 1, NNCL_NARROW_TM, 1, NNCL_NARROW_KU); }
GEMM_WG __kernel void gemm_tp_narrow(GEMM_PARAMS) { GEMM_BODY(1, 1, NNCL_NARROW_TM, 1, NNCL_KU); }

/* Up to NNCL_TP_GROUP weight-gradient products C = [A, 1]ᵀ·B in one launch
 * (host/ops/gemm.c, nncl__gemm_tp_group): each what gemm_tp (or
 * gemm_tp_narrow) would do with it, B packed, alpha 1, beta 0, no
 * epilogue, so the bits of separate launches. A job is a uint16: M, N, K
 * (C is M x N, the last row of op(A) the ones row), A's offset and ld, B's
 * offset, C's offset and ld, (unused), its first work-item, its row tiles,
 * and 1 for the narrow tile. The work-items run the jobs' tiles, one job
 * after another, each job's row tiles panel by panel.
 * Each job's branch inlines the wide tile code on its own kernel
 * arguments: one shared copy (a job picked first, or a call) ran the
 * batch-1024 gradients 5-6 % slower (docs/PERFORMANCE.md); the narrow
 * tile, a small share of the work, is one called copy, which keeps the
 * build at about 0.6 s. */
__attribute__((noinline)) void tp_narrow(uint M, uint N, uint K, __global const float *A, uint lda,
                                         __global const float *B, __global float *C, uint ldc, uint i0, uint j0)
{
    gemm_body(M, N, K, 0, K, M - 1, 1.0f, A, lda, B, 0, 0.0f, C, ldc, C, 0, NNCL_ACT_ID_IDENTITY, C, 0,
              NNCL_ACT_ID_NONE, C, 0, i0, j0, 1, 1, NNCL_NARROW_TM, 1, 0, NNCL_KU);
}
INLINE_FUNC void tp_job(uint w, uint16 j, __global const float *A, __global const float *B, __global float *C)
{
    const uint tile = w - j.s9, tiles_m = j.sa;
    const uint i = tile % tiles_m, panel = tile / tiles_m;
    if (j.sb)
        tp_narrow(j.s0, j.s1, j.s2, A + j.s3, j.s4, B + j.s5, C + j.s6, j.s7, i * NNCL_NARROW_TM, panel * NNCL_VW);
    else
        gemm_body(j.s0, j.s1, j.s2, 0, j.s2, j.s0 - 1, 1.0f, A + j.s3, j.s4, B + j.s5, 0, 0.0f, C + j.s6, j.s7, C,
                  0, NNCL_ACT_ID_IDENTITY, C, 0, NNCL_ACT_ID_NONE, C, 0, i * NNCL_TM, panel * NNCL_TN, 1, 1, NNCL_TM,
                  NNCL_NV, 0, NNCL_GROUP_KU);
}
#if NNCL_TP_GROUP != 4
#error "gemm_tp_group takes four jobs"
#endif
GEMM_WG __kernel void gemm_tp_group(uint jobs, __global float *C, __global const float *A0, __global const float *B0,
                                    uint16 j0, __global const float *A1, __global const float *B1, uint16 j1,
                                    __global const float *A2, __global const float *B2, uint16 j2,
                                    __global const float *A3, __global const float *B3, uint16 j3)
{
    const uint w = get_global_id(0);
    if (jobs > 3 && w >= j3.s9) tp_job(w, j3, A3, B3, C);
    else if (jobs > 2 && w >= j2.s9) tp_job(w, j2, A2, B2, C);
    else if (jobs > 1 && w >= j1.s9) tp_job(w, j1, A1, B1, C);
    else tp_job(w, j0, A0, B0, C);
}

/* Split K: part s of the raw product, k in [s·k_chunk, min(K, (s+1)·k_chunk)),
 * stored at P + p_off + s·M·ldp (no epilogue: gemm_reduce applies it once
 * the parts are summed). Dimension 1 runs over (panel, part) pairs,
 * panel-major, so the work-items the driver takes one after another share
 * one panel's k chunk of B and neighbouring columns of A. */
#define GEMM_PART_PARAMS                                                                            \
    uint M, uint N, uint K, uint a_rows, __global const float *A, uint a_off, uint lda,           \
        __global const float *B, uint b_off, uint ldb, __global float *P, uint p_off, uint ldp, \
        uint k_chunk
#define GEMM_PART(trans_a, packed, tm, nv, ku)                                                           \
    const uint parts = (K + k_chunk - 1) / k_chunk, s = get_global_id(1) % parts;                        \
    const uint k0 = s * k_chunk, k1 = min(K, k0 + k_chunk);                                              \
    gemm_body(M, N, K, k0, k1, a_rows, 1.0f, A + a_off, lda, B + b_off, ldb, 0.0f,                       \
              P + p_off + (size_t)s * M * ldp, ldp, P, 0, NNCL_ACT_ID_IDENTITY, P, 0, NNCL_ACT_ID_NONE, P, 0, \
              get_global_id(0) * (tm), get_global_id(1) / parts * (nv) * NNCL_VW, trans_a, packed, tm, nv, 0, ku)
GEMM_WG __kernel void gemm_np_part(GEMM_PART_PARAMS) { GEMM_PART(0, 1, NNCL_TM, NNCL_NV, NNCL_KU); }
GEMM_WG __kernel void gemm_tp_part(GEMM_PART_PARAMS) { GEMM_PART(1, 1, NNCL_TM, NNCL_NV, NNCL_KU); }
GEMM_WG __kernel void gemm_np_part_narrow(GEMM_PART_PARAMS) { GEMM_PART(0, 1, NNCL_NARROW_TM, 1, NNCL_NARROW_KU); }
GEMM_WG __kernel void gemm_tp_part_narrow(GEMM_PART_PARAMS) { GEMM_PART(1, 1, NNCL_NARROW_TM, 1, NNCL_KU); }

/* C = act(alpha·Σ_s P[s] + beta·C + bias) ⊙ dact'(D): the parts of a split-K
 * product (P[s] at P + p_off + s·M·N, M x N) added in the order s = 0 .. parts-1,
 * through the same epilogue as the GEMMs. One work-item per element. */
WG_1D __kernel void gemm_reduce(uint M, uint N, uint parts, __global const float *P, uint p_off, float alpha, float beta,
                                __global float *C, uint c_off, uint ldc, __global const float *bias,
                                uint bias_off, int has_bias, int act, __global const float *D, uint d_off,
                                uint ldd, int dact)
{
    const size_t e = get_global_id(0);
    if (e >= (size_t)M * N) return;
    const size_t i = e / N, j = e % N, plane = (size_t)M * N;
    float sum = 0.0f;
    for (uint s = 0; s < parts; s++) sum += P[p_off + s * plane + e];
    gemm_store_f(C + c_off + i * ldc + j, sum, bias + bias_off, has_bias, j, D + d_off + i * ldd + j, alpha, beta,
                 act, dact);
}

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
 * edge of a matrix) and are not read. avail is signed, negative past the
 * edge: the unsigned form "k < K ? K - k : 0" compiles to llvm.usub.sat,
 * which Oclgrind's interpreter lacks (it then needed -cl-opt-disable). */
float4 load4_edge(__global const float *p, int avail)
{
    if (avail >= 4) return vload4(0, p);
    float t[4];
    for (int q = 0; q < 4; q++) t[q] = q < avail ? p[q] : 0.0f;
    return vload4(0, t);
}

__attribute__((reqd_work_group_size(NNCL_LWG, NNCL_LWG, 1)))
__kernel void gemm_local(GEMM_PARAMS)
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
            uint gi = row0 + i, gk = k0 + k;
            int avail = (int)K - (int)gk;
            float4 v = gi < a_rows ? load4_edge(A + (size_t)gi * lda + gk, avail)
                       : gi < M    ? convert_float4((int4)(0 < avail, 1 < avail, 2 < avail, 3 < avail))
                                   : (float4)(0.0f);
            As[k][i] = v.s0, As[k + 1][i] = v.s1, As[k + 2][i] = v.s2, As[k + 3][i] = v.s3;
        }
        /* B tile: LKT rows x LTILE columns, a float4 along j per step. */
        for (uint e = lid; e < LTILE * NNCL_LKT / 4; e += threads) {
            uint k = e / (LTILE / 4), j = e % (LTILE / 4) * 4;
            uint gk = k0 + k, gj = col0 + j;
            float4 v = gk < K ? load4_edge(B + (size_t)gk * ldb + gj, (int)N - (int)gj) : (float4)(0.0f);
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
            gemm_store_f(C + (size_t)i * ldc + j, acc[r][c], bias + bias_off, has_bias, j,
                         D + d_off + (size_t)i * ldd + j, alpha, beta, act, dact);
        }
    }
}

/* Packs op(B) (K x N; B stored K x N, or N x K when trans) into panels of
 * nv vectors (tn = nv·VW columns) for gemm_np: panel p is K x tn floats at
 * out + p·K·tn, columns past N zero. Each work-item writes NNCL_PACK_ROWS
 * (8) rows k of one panel: whole blocks move as vectors (row loads, or for
 * Bᵀ float8 column loads turned through registers), blocks on the edges
 * element by element. pack_b makes the wide tiles' panels (nv = NNCL_NV),
 * pack_b_narrow the narrow tiles' (nv = 1). */
INLINE_FUNC void pack_panel(__global const float *B, uint b_off, uint ldb, int trans, uint K, uint N,
                            __global float *out, uint out_off, size_t k0, size_t p, const int nv)
{
    const int tn = nv * NNCL_VW;
    const size_t j0 = p * tn;
    if (k0 >= K || j0 >= N) return;
    B += b_off;
    __global float *dst = out + out_off + (p * K + k0) * tn;
    if (k0 + NNCL_PACK_ROWS <= K && j0 + tn <= N) {
        if (!trans) {
            for (uint kk = 0; kk < NNCL_PACK_ROWS; kk++)
                for (int v = 0; v < nv; v++) STORET(VLOADT(v, B + (k0 + kk) * ldb + j0), dst + kk * tn + v * NNCL_VW);
        } else {
            float col[NNCL_TN][NNCL_PACK_ROWS]; /* col[t] = B[j0 + t][k0 .. k0+8) */
            for (int t = 0; t < tn; t++) vstore8(vload8(0, B + (j0 + t) * ldb + k0), 0, col[t]);
            for (uint kk = 0; kk < NNCL_PACK_ROWS; kk++) {
                float row[NNCL_TN];
                for (int t = 0; t < tn; t++) row[t] = col[t][kk];
                for (int v = 0; v < nv; v++) STORET(VLOADT(v, row), dst + kk * tn + v * NNCL_VW);
            }
        }
        return;
    }
    for (uint kk = 0; kk < NNCL_PACK_ROWS && k0 + kk < K; kk++) {
        float row[NNCL_TN];
        for (int t = 0; t < tn; t++) {
            size_t j = j0 + t, k = k0 + kk;
            row[t] = j < N ? (trans ? B[j * ldb + k] : B[k * ldb + j]) : 0.0f;
        }
        for (int v = 0; v < nv; v++) STORET(VLOADT(v, row), dst + kk * tn + v * NNCL_VW);
    }
}

WG_1D __kernel void pack_b(__global const float *B, uint b_off, uint ldb, int trans, uint K, uint N,
                           __global float *out, uint out_off)
{
    pack_panel(B, b_off, ldb, trans, K, N, out, out_off, get_global_id(0) * NNCL_PACK_ROWS, get_global_id(1),
               NNCL_NV);
}

WG_1D __kernel void pack_b_narrow(__global const float *B, uint b_off, uint ldb, int trans, uint K, uint N,
                                  __global float *out, uint out_off)
{
    pack_panel(B, b_off, ldb, trans, K, N, out, out_off, get_global_id(0) * NNCL_PACK_ROWS, get_global_id(1), 1);
}

/* Several pack_b / pack_b_narrow jobs in one launch (a model's weights,
 * packed once per step: host/ops/gemm.c, nncl__pack_many). jobs holds
 * n_jobs records of NNCL_PACK_JOB_WORDS: the first work-item of the job,
 * then B's offset and leading dimension, trans, K, N, narrow (1: the narrow
 * tiles' panels) and the output offset. Work-item g of a job packs the
 * NNCL_PACK_ROWS rows from (g % k-blocks)·NNCL_PACK_ROWS of panel
 * g / k-blocks; items ends the range. */
WG_1D __kernel void pack_b_many(__global const float *B, __global float *out, __global const uint *jobs,
                                uint n_jobs, uint items)
{
    const uint g = get_global_id(0);
    if (g >= items) return;
    uint j = 0;
    while (j + 1 < n_jobs && jobs[(j + 1) * NNCL_PACK_JOB_WORDS] <= g) j++;
    __global const uint *job = jobs + j * NNCL_PACK_JOB_WORDS;
    const uint item = g - job[0], K = job[4], k_blocks = (K + NNCL_PACK_ROWS - 1) / NNCL_PACK_ROWS;
    const size_t k0 = (size_t)(item % k_blocks) * NNCL_PACK_ROWS, p = item / k_blocks;
    if (job[6])
        pack_panel(B, job[1], job[2], (int)job[3], K, job[5], out, job[7], k0, p, 1);
    else
        pack_panel(B, job[1], job[2], (int)job[3], K, job[5], out, job[7], k0, p, NNCL_NV);
}

/* out (cols x rows) = inᵀ (in is rows x cols). Each work-item moves an
 * NNCL_TRANSPOSE_BLOCK (8) square block through registers: eight float8 row
 * loads, eight column stores, all unit-stride; blocks on the edges go element
 * by element. */
WG_1D __kernel void transpose(__global const float *in, uint in_off, uint in_ld,
                              __global float *out, uint out_off, uint out_ld, uint rows, uint cols)
{
    size_t c0 = get_global_id(0) * NNCL_TRANSPOSE_BLOCK, r0 = get_global_id(1) * NNCL_TRANSPOSE_BLOCK;
    if (c0 >= cols || r0 >= rows) return;
    in += in_off + r0 * in_ld + c0;
    out += out_off + c0 * out_ld + r0;
    if (r0 + NNCL_TRANSPOSE_BLOCK <= rows && c0 + NNCL_TRANSPOSE_BLOCK <= cols) {
        float8 a0 = vload8(0, in), a1 = vload8(0, in + in_ld), a2 = vload8(0, in + 2 * in_ld),
               a3 = vload8(0, in + 3 * in_ld), a4 = vload8(0, in + 4 * in_ld),
               a5 = vload8(0, in + 5 * in_ld), a6 = vload8(0, in + 6 * in_ld),
               a7 = vload8(0, in + 7 * in_ld);
        store8((float8)(a0.s0, a1.s0, a2.s0, a3.s0, a4.s0, a5.s0, a6.s0, a7.s0), out);
        store8((float8)(a0.s1, a1.s1, a2.s1, a3.s1, a4.s1, a5.s1, a6.s1, a7.s1), out + out_ld);
        store8((float8)(a0.s2, a1.s2, a2.s2, a3.s2, a4.s2, a5.s2, a6.s2, a7.s2), out + 2 * out_ld);
        store8((float8)(a0.s3, a1.s3, a2.s3, a3.s3, a4.s3, a5.s3, a6.s3, a7.s3), out + 3 * out_ld);
        store8((float8)(a0.s4, a1.s4, a2.s4, a3.s4, a4.s4, a5.s4, a6.s4, a7.s4), out + 4 * out_ld);
        store8((float8)(a0.s5, a1.s5, a2.s5, a3.s5, a4.s5, a5.s5, a6.s5, a7.s5), out + 5 * out_ld);
        store8((float8)(a0.s6, a1.s6, a2.s6, a3.s6, a4.s6, a5.s6, a6.s6, a7.s6), out + 6 * out_ld);
        store8((float8)(a0.s7, a1.s7, a2.s7, a3.s7, a4.s7, a5.s7, a6.s7, a7.s7), out + 7 * out_ld);
        return;
    }
    for (uint r = 0; r < NNCL_TRANSPOSE_BLOCK && r0 + r < rows; r++)
        for (uint c = 0; c < NNCL_TRANSPOSE_BLOCK && c0 + c < cols; c++) out[c * out_ld + r] = in[r * in_ld + c];
}

/* SPDX-License-Identifier: MIT */
/* Launchers for kernels/gemm.cl: the GEMM family (gemm_nn, gemm_np, gemm_tn,
 * gemm_tp, gemm_local), pack_b, pack_b_many (a model's weights in one
 * launch) and transpose, and the public products built on them (nncl_gemm,
 * nncl_dense_forward). nncl__gemm picks the kernel and the copies that feed
 * it, and takes operands already packed or leaves its result packed for a
 * later product (nncl__gemm_extras); shapes are checked by the public calls. */
#include "core/core.h"
#include "ops/ops.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

/* When the TN layout (ctx->tiles.transpose_a NNCL__TN_AUTO) transposes A into
 * scratch instead of reading Aᵀ in place: its rows are a multiple of 1 KB
 * apart (read in place, every k would then land in the same few cache sets)
 * and the product is at least this big in every dimension, so that the
 * misses cost more than the copy; rows a multiple of 4 KB apart (every k in
 * the same L1 set) pay for the copy from a shallower K. (First measured with
 * AVX-512 tiles; AVX2 tiles followed once the copy's rows were padded: AVX2
 * code on the AVX-512 machine, 1024x128x256 159 -> 187 GFLOP/s.) The
 * measurements behind the thresholds are in docs/PERFORMANCE.md, "Why the
 * GEMM paths are chosen as they are". */
#define CONFLICT_STRIDE_FLOATS 256 /* 1 KB of floats */
#define TRANSPOSE_A_MIN_M 512
#define TRANSPOSE_A_MIN_N 128
#define TRANSPOSE_A_MIN_K 512
#define PAGE_STRIDE_FLOATS 1024 /* 4 KB of floats */
#define A_PAD_FLOATS 16         /* one cache line */
#define TRANSPOSE_A_PAGE_MIN_K 64

/* At most this many parts in a split-K product (its scratch is parts·M·N
 * floats): a deeper K gets deeper chunks instead. */
#define MAX_PARTS 16

/* The depth of each part when a product with a packed B (pack) is split along
 * K; 0 when it is not split. */
static size_t split_chunk(const nncl_context *ctx, int pack, size_t K)
{
    size_t kc = (size_t)ctx->tiles.kc;
    if (!pack || kc == 0 || K < 2 * kc) return 0;
    size_t chunk = div_up(K, MAX_PARTS);
    chunk = div_up(chunk, 8) * 8;
    return chunk > kc ? chunk : kc;
}

/* The register tile a product runs with, and its kernels: the wide one the
 * context was built with (TM x TN), or for products at most one vector wide
 * (N <= VW, a classifier's output layer) the narrow one, one vector per row
 * and nncl__narrow_tm rows (TM·NV, at most 16). */
typedef struct {
    size_t tm, tn;
    nncl__kernel_id np, tp, np_part, tp_part, pack;
} gemm_tile;

static gemm_tile choose_tile(const nncl_context *ctx, size_t N)
{
    const nncl__gemm_tiles *t = &ctx->tiles;
    if (t->tn > t->vw && N <= (size_t)t->vw)
        return (gemm_tile){(size_t)nncl__narrow_tm(t), (size_t)t->vw, NNCL__K_GEMM_NP_NARROW,
                           NNCL__K_GEMM_TP_NARROW, NNCL__K_GEMM_NP_PART_NARROW, NNCL__K_GEMM_TP_PART_NARROW,
                           NNCL__K_PACK_B_NARROW};
    return (gemm_tile){(size_t)t->tm, (size_t)t->tn, NNCL__K_GEMM_NP, NNCL__K_GEMM_TP,
                       NNCL__K_GEMM_NP_PART, NNCL__K_GEMM_TP_PART, NNCL__K_PACK_B};
}

/* op(B) (K x N; B stored K x N, or N x K when trans) packed into the panels
 * of tile at out: pack_b or pack_b_narrow. */
static nncl_status pack_panels(nncl_context *ctx, const gemm_tile *tile, nncl__view B, int trans, size_t K,
                               size_t N, cl_mem out, cl_uint out_off)
{
    NNCL__TRY(NNCL__SET_ARGS(ctx, tile->pack, PACK_B, NNCL__VIEW(B), NNCL__I(trans), NNCL__U((cl_uint)K),
                             NNCL__U((cl_uint)N), NNCL__MEM(out), NNCL__U(out_off)));
    size_t global[2] = {div_up(K, NNCL_PACK_ROWS), div_up(N, tile->tn)};
    return nncl__launch(ctx, tile->pack, 2, global);
}

/* The epilogue's kernel arguments, the same for every GEMM kernel that has
 * one: the bias (buffer and offset; has_bias 0: none), the activation, D
 * (the outputs dact'() is taken from) and dact (NNCL_ACT_ID_NONE: no
 * derivative factor). Absent views name C's buffer (never read). */
#define EPILOGUE_ARGS(x, C)                                                                            \
    NNCL__MEM((x)->bias ? (x)->bias->mem : (C).mem), NNCL__U((x)->bias ? (x)->bias->off : 0),          \
        NNCL__I((x)->bias != NULL), NNCL__I((cl_int)(x)->act),                                           \
        NNCL__VIEW(((x)->dact_y ? *(x)->dact_y : (nncl__view){(C).mem, 0, 0})),                             \
        NNCL__I((x)->dact_y ? (cl_int)(x)->dact : NNCL_ACT_ID_NONE)

/* A split-K product: gemm_np_part or gemm_tp_part writes the parts of
 * op(A)·op(B) into P (parts x M x N, ld N), then gemm_reduce adds them in
 * order and applies the epilogue into C. B is already packed. */
static nncl_status gemm_split(nncl_context *ctx, int trans_a, const gemm_tile *tile, size_t M, size_t N,
                              size_t K, size_t a_rows, size_t k_chunk, float alpha, nncl__view A, nncl__view B,
                              float beta, nncl__view C, const nncl__gemm_extras *x, nncl__view P)
{
    size_t parts = div_up(K, k_chunk), panels = div_up(N, tile->tn);
    nncl__kernel_id id = trans_a ? tile->tp_part : tile->np_part;
    NNCL__TRY(NNCL__SET_ARGS(ctx, id, GEMM_NP_PART, NNCL__U((cl_uint)M), NNCL__U((cl_uint)N), NNCL__U((cl_uint)K),
                             NNCL__U((cl_uint)a_rows), NNCL__VIEW(A), NNCL__VIEW(B), NNCL__VIEW(P),
                             NNCL__U((cl_uint)k_chunk)));
    size_t global[2] = {div_up(M, tile->tm), panels * parts};
    NNCL__TRY(nncl__launch(ctx, id, 2, global));
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_GEMM_REDUCE, GEMM_REDUCE, NNCL__U((cl_uint)M), NNCL__U((cl_uint)N),
                             NNCL__U((cl_uint)parts), NNCL__MEM(P.mem), NNCL__U(P.off), NNCL__F(alpha), NNCL__F(beta),
                             NNCL__VIEW(C), EPILOGUE_ARGS(x, C)));
    size_t elements[1] = {M * N};
    return nncl__launch(ctx, NNCL__K_GEMM_REDUCE, 1, elements);
}

/* Whether a product with op(A) = Aᵀ (A stored K x a_rows, rows lda
 * apart) first transposes A into scratch (see nncl__gemm); a_rows 0: op(A)
 * is a lone row of ones, with nothing stored to copy. */
static int copies_a(const nncl_context *ctx, int pack, size_t M, size_t N, size_t K, size_t a_rows, size_t lda)
{
    if (a_rows == 0) return 0;
    if (ctx->tiles.local_gemm || ctx->tiles.transpose_a == NNCL__TN_TRANSPOSE) return 1;
    if (ctx->tiles.transpose_a != NNCL__TN_AUTO) return 0;
    return !pack || (lda % CONFLICT_STRIDE_FLOATS == 0 && M >= TRANSPOSE_A_MIN_M && N >= TRANSPOSE_A_MIN_N &&
                     (K >= TRANSPOSE_A_MIN_K || (lda % PAGE_STRIDE_FLOATS == 0 && K >= TRANSPOSE_A_PAGE_MIN_K)));
}

/* C = act(alpha·op(A)·op(B) + beta·C + bias) ⊙ dact'(Y), on raw views;
 * shapes already checked. */
nncl_status nncl__gemm(nncl_context *ctx, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                       float alpha, nncl__view A, nncl__view B, float beta, nncl__view C,
                       const nncl__gemm_extras *x)
{
    const nncl__gemm_extras none = {0};
    if (!x) x = &none;
    size_t a_rows = x->ones_row ? M - 1 : M; /* rows of op(A) stored */
    /* Operands are rearranged in the context's scratch (A first, B after,
     * then split-K parts) so that one fast kernel (two with split K: the
     * parts, then gemm_reduce) does every product; each copy is O(M·K) or
     * O(K·N) against the product's O(M·N·K):
     *  - Aᵀ is transposed into row-major when B is not packed, or when its
     *    rows are CONFLICT_STRIDE_FLOATS apart and the product is at least
     *    TRANSPOSE_A_MIN_{M,N,K} (or PAGE_STRIDE_FLOATS apart and K at least
     *    TRANSPOSE_A_PAGE_MIN_K; above). Otherwise gemm_tp reads Aᵀ in place,
     *    the TM values of one k being contiguous;
     *  - B is packed into panels when it is transposed, or when M is large
     *    enough that every panel is reused by many row tiles, or N is below
     *    one panel (the zero padding then keeps the fast path); where B
     *    arrives packed (x->b_packed: a model's weights, a dZ its product
     *    left packed) it is read as it is, where the product would pack it
     *    or K is not split (nncl__gemm_reads_packed).
     * docs/PERFORMANCE.md ("Why the GEMM paths are chosen as they are") has
     * the measurements behind each rule. */
    int local = ctx->tiles.local_gemm;
    /* an operand that arrives packed (nncl__gemm_reads_packed) saves the
     * pack, or where the product would not pack B, reads it packed */
    const int prepacked = x->b_packed && nncl__gemm_reads_packed(ctx, trans_b, M, N, K);
    int pack = prepacked || nncl__gemm_packs_b(ctx, trans_b, M, N);
    int copy_a = trans_a && copies_a(ctx, pack, M, N, K, a_rows, A.ld);
    int copy_b = local && trans_b;
    /* packed products of at most one vector's width take the narrow tile */
    const gemm_tile tile = choose_tile(ctx, pack ? N : SIZE_MAX);
    size_t tn = tile.tn, panels = div_up(N, tn);
    /* Split K (a packed B and K at least two chunks, the weight gradients of
     * large batches): parts of at most MAX_PARTS, each k_chunk deep, summed
     * by gemm_reduce in a fixed order. */
    size_t k_chunk = split_chunk(ctx, pack, K), parts = k_chunk ? div_up(K, k_chunk) : 1;
    /* Aᵀ's rows in scratch: K floats, padded when that is a multiple of
     * 1 KB, so that the copy's stores (a column of the block per row) and
     * the product's row reads do not all fall in the same cache sets */
    size_t a_ld = K % CONFLICT_STRIDE_FLOATS == 0 ? K + A_PAD_FLOATS : K;
    size_t a_floats = copy_a ? a_rows * a_ld : 0,
           b_floats = prepacked ? 0 : pack ? panels * tn * K : copy_b ? K * N : 0;
    size_t p_floats = parts > 1 ? parts * M * N : 0;
    cl_mem tmp = NULL;
    if (a_floats + b_floats + p_floats)
        NNCL__TRY(nncl__scratch(ctx, (a_floats + b_floats + p_floats) * sizeof(float), &tmp));
    if (copy_a) {
        /* A is K x a_rows; scratch gets Aᵀ, a_rows x K. */
        NNCL__TRY(nncl__transpose(ctx, A, K, a_rows, (nncl__view){tmp, 0, (cl_uint)a_ld}));
        A = (nncl__view){tmp, 0, (cl_uint)a_ld};
        trans_a = 0;
    }
    if (prepacked) {
        B = *x->b_packed;
    } else if (pack) {
        cl_uint out_off = (cl_uint)a_floats;
        NNCL__TRY(pack_panels(ctx, &tile, B, trans_b, K, N, tmp, out_off));
        B = (nncl__view){tmp, out_off, (cl_uint)K};
    } else if (copy_b) {
        /* B is N x K; scratch gets Bᵀ, K x N. */
        nncl__view bt = {tmp, (cl_uint)a_floats, (cl_uint)N};
        NNCL__TRY(nncl__transpose(ctx, B, N, K, bt));
        B = bt;
    }
    /* C packed as a later product's op(B) reads it (c_packed): by the
     * product's own stores (its tile, off gemm_local, is the panel that
     * choose_tile gives for N whether it packs B or not: an unpacked B has
     * N >= TN), else, split or local, by a pack after it */
    const cl_uint q_tn = x->c_packed && !local && parts == 1 ? (cl_uint)tn : 0;
    if (parts > 1) {
        NNCL__TRY(gemm_split(ctx, trans_a, &tile, M, N, K, a_rows, k_chunk, alpha, A, B, beta, C, x,
                             (nncl__view){tmp, (cl_uint)(a_floats + b_floats), (cl_uint)N}));
    } else {
        nncl__kernel_id id = local             ? NNCL__K_GEMM_LOCAL
                             : trans_a && pack ? tile.tp
                             : trans_a         ? NNCL__K_GEMM_TN
                             : pack            ? tile.np
                                               : NNCL__K_GEMM_NN;
        /* Every whole-K GEMM kernel takes: sizes, alpha, A, B, beta, C, the
         * epilogue, the packed copy of C. */
        NNCL__TRY(NNCL__SET_ARGS(ctx, id, GEMM_NN, NNCL__U((cl_uint)M), NNCL__U((cl_uint)N), NNCL__U((cl_uint)K),
                                 NNCL__U((cl_uint)a_rows), NNCL__F(alpha), NNCL__VIEW(A), NNCL__VIEW(B),
                                 NNCL__F(beta), NNCL__VIEW(C), EPILOGUE_ARGS(x, C),
                                 NNCL__MEM(q_tn ? x->c_packed->mem : C.mem), NNCL__U(q_tn ? x->c_packed->off : 0),
                                 NNCL__U(q_tn)));
        /* Register tiles: one work-item per TM x TN tile; gemm_local: columns
         * along x, one work-group per (lwg·lrb)-square tile of C. */
        size_t side = (size_t)ctx->tiles.lwg * (size_t)ctx->tiles.lrb;
        size_t global[2] = {div_up(M, tile.tm), panels};
        size_t groups[2] = {div_up(N, side) * (size_t)ctx->tiles.lwg, div_up(M, side) * (size_t)ctx->tiles.lwg};
        NNCL__TRY(nncl__launch(ctx, id, 2, local ? groups : global));
    }
    if (x->c_packed && !q_tn) {
        const gemm_tile c_tile = choose_tile(ctx, N);
        return pack_panels(ctx, &c_tile, C, 0, M, N, x->c_packed->mem, x->c_packed->off);
    }
    return NNCL_OK;
}

int nncl__gemm_packs_b(const nncl_context *ctx, int trans_b, size_t M, size_t N)
{
    return !ctx->tiles.local_gemm && (trans_b || M >= ctx->tiles.pack_min_m || N < (size_t)ctx->tiles.tn);
}

int nncl__gemm_splits_k(const nncl_context *ctx, size_t K) { return split_chunk(ctx, 1, K) != 0; }

int nncl__gemm_reads_packed(const nncl_context *ctx, int trans_b, size_t M, size_t N, size_t K)
{
    return !ctx->tiles.local_gemm && (nncl__gemm_packs_b(ctx, trans_b, M, N) || !split_chunk(ctx, 1, K));
}

int nncl__gemm_tp_groups(const nncl_context *ctx, size_t M, size_t N, size_t K, size_t lda)
{
    /* (unsplit, it reads a packed B whether it would pack one or not) */
    return !ctx->tiles.local_gemm && !split_chunk(ctx, 1, K) && !copies_a(ctx, 1, M, N, K, M - 1, lda);
}

nncl_status nncl__gemm_tp_group(nncl_context *ctx, const nncl__tp_job *jobs, size_t n)
{
    nncl__arg args[2 + 3 * NNCL_TP_GROUP];
    size_t items = 0;
    args[0] = NNCL__U((cl_uint)n);
    args[1] = NNCL__MEM(jobs[0].C.mem);
    for (size_t j = 0; j < NNCL_TP_GROUP; j++) {
        const nncl__tp_job *b = &jobs[j < n ? j : 0];
        const gemm_tile tile = choose_tile(ctx, b->N);
        size_t tiles_m = div_up(b->M, tile.tm);
        cl_uint16 w = {{(cl_uint)b->M, (cl_uint)b->N, (cl_uint)b->K, b->A.off, b->A.ld, b->B.off, b->C.off, b->C.ld,
                        0, (cl_uint)items, (cl_uint)tiles_m, tile.tp == NNCL__K_GEMM_TP_NARROW}};
        args[2 + 3 * j] = NNCL__MEM(b->A.mem);
        args[3 + 3 * j] = NNCL__MEM(b->B.mem);
        args[4 + 3 * j] = NNCL__U16(w);
        if (j < n) items += tiles_m * div_up(b->N, tile.tn);
    }
    NNCL__TRY(nncl__set_args(ctx, NNCL__K_GEMM_TP_GROUP, args, 2 + 3 * NNCL_TP_GROUP));
    return nncl__launch(ctx, NNCL__K_GEMM_TP_GROUP, 1, &items);
}

size_t nncl__pack_width(const nncl_context *ctx, size_t N)
{
    return ctx->tiles.local_gemm ? 0 : choose_tile(ctx, N).tn;
}

size_t nncl__pack_floats(const nncl_context *ctx, size_t K, size_t N)
{
    size_t tn = nncl__pack_width(ctx, N);
    return tn ? div_up(N, tn) * tn * K : 0;
}

size_t nncl__pack_job_record(const nncl_context *ctx, const nncl__pack_job *job, size_t first, cl_uint *rec)
{
    const gemm_tile tile = choose_tile(ctx, job->N);
    const cl_uint words[NNCL_PACK_JOB_WORDS] = {
        (cl_uint)first, job->b_off, job->ldb, (cl_uint)job->trans, (cl_uint)job->K, (cl_uint)job->N,
        tile.pack == NNCL__K_PACK_B_NARROW, (cl_uint)job->out_off};
    memcpy(rec, words, sizeof words);
    return div_up(job->K, NNCL_PACK_ROWS) * div_up(job->N, tile.tn);
}

nncl_status nncl__pack_many(nncl_context *ctx, cl_mem src, cl_mem out, cl_mem jobs, size_t n_jobs, size_t items)
{
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_PACK_B_MANY, PACK_B_MANY, NNCL__MEM(src), NNCL__MEM(out), NNCL__MEM(jobs),
                             NNCL__U((cl_uint)n_jobs), NNCL__U((cl_uint)items)));
    return nncl__launch(ctx, NNCL__K_PACK_B_MANY, 1, &items);
}

nncl_status nncl__transpose(nncl_context *ctx, nncl__view in, size_t rows, size_t cols,
                            nncl__view out)
{
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_TRANSPOSE, TRANSPOSE, NNCL__VIEW(in), NNCL__VIEW(out),
                             NNCL__U((cl_uint)rows), NNCL__U((cl_uint)cols)));
    size_t global[2] = {div_up(cols, NNCL_TRANSPOSE_BLOCK), div_up(rows, NNCL_TRANSPOSE_BLOCK)};
    return nncl__launch(ctx, NNCL__K_TRANSPOSE, 2, global);
}

/* nncl__check_tensor on the operand `name` of the public call `who`. */
static nncl_status check_operand(nncl_context *ctx, const char *who, const char *name, const nncl_tensor *t)
{
    char what[64];
    snprintf(what, sizeof what, "%s: %s", who, name);
    return nncl__check_tensor(ctx, t, what);
}

nncl_status nncl__gemm_check(nncl_context *ctx, const char *who, int trans_a, int trans_b, float alpha,
                             const nncl_tensor *A, const nncl_tensor *B, float beta, const nncl_tensor *C,
                             const nncl_tensor *bias, size_t *M, size_t *N, size_t *K)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "%s: ctx is NULL", who);
    NNCL__TRY(check_operand(ctx, who, "A", A));
    NNCL__TRY(check_operand(ctx, who, "B", B));
    NNCL__TRY(check_operand(ctx, who, "C", C));
    if (bias) NNCL__TRY(check_operand(ctx, who, "bias", bias));
    *M = trans_a ? A->cols : A->rows;
    *K = trans_a ? A->rows : A->cols;
    *N = trans_b ? B->rows : B->cols;
    size_t KB = trans_b ? B->cols : B->rows;
    if (*K != KB || C->rows != *M || C->cols != *N || (bias && (bias->rows != 1 || bias->cols != *N)))
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "%s: op(A) is %zux%zu, op(B) is %zux%zu, C is %zux%zu, bias is %zux%zu; need "
                          "op(A) MxK, op(B) KxN, C MxN, bias 1xN or none",
                          who, *M, *K, KB, *N, C->rows, C->cols, bias ? bias->rows : 0, bias ? bias->cols : 0);
    if (nncl__overlap(C, A) || nncl__overlap(C, B) || nncl__overlap(C, bias))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: C shares memory with A, B or bias", who);
    if (!(alpha == alpha) || !(beta == beta))
        return nncl__fail(ctx, NNCL_ERR_NUMERIC, "%s: alpha or beta is NaN", who);
    return NNCL_OK;
}

nncl_status nncl_gemm(nncl_context *ctx, int trans_a, int trans_b, float alpha,
                      const nncl_tensor *A, const nncl_tensor *B, float beta, nncl_tensor *C)
{
    size_t M = 0, N = 0, K = 0;
    NNCL__TRY(nncl__gemm_check(ctx, "nncl_gemm", trans_a, trans_b, alpha, A, B, beta, C, NULL, &M, &N, &K));
    return nncl__gemm(ctx, trans_a, trans_b, M, N, K, alpha, nncl__view_of(A), nncl__view_of(B),
                      beta, nncl__view_of(C), NULL);
}

/* Y = act(X·W + b): X batch x in, W in x out, b 1 x out, Y batch x out. */
nncl_status nncl_dense_forward(nncl_context *ctx, const nncl_tensor *X, const nncl_tensor *W,
                               const nncl_tensor *b, nncl_activation act, nncl_tensor *Y)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_dense_forward: ctx is NULL");
    NNCL__TRY(nncl__check_tensor(ctx, X, "nncl_dense_forward: X"));
    NNCL__TRY(nncl__check_tensor(ctx, W, "nncl_dense_forward: W"));
    NNCL__TRY(nncl__check_tensor(ctx, Y, "nncl_dense_forward: Y"));
    if (b) NNCL__TRY(nncl__check_tensor(ctx, b, "nncl_dense_forward: b"));
    if ((int)act < 0 || act >= NNCL_ACT_SOFTMAX)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                          "nncl_dense_forward: activation %d is not identity, sigmoid, tanh, "
                          "relu or leaky_relu",
                          (int)act);
    if (X->cols != W->rows || Y->rows != X->rows || Y->cols != W->cols ||
        (b && (b->rows != 1 || b->cols != W->cols)))
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "nncl_dense_forward: X is %zux%zu, W %zux%zu, b %zux%zu, Y %zux%zu; "
                          "need X batch x in, W in x out, b 1 x out, Y batch x out",
                          X->rows, X->cols, W->rows, W->cols, b ? b->rows : 0, b ? b->cols : 0,
                          Y->rows, Y->cols);
    if (nncl__overlap(Y, X) || nncl__overlap(Y, W) || nncl__overlap(Y, b))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_dense_forward: Y shares memory with X, W or b");
    nncl__view bias = b ? nncl__view_of(b) : (nncl__view){0};
    nncl__gemm_extras x = {.bias = b ? &bias : NULL, .act = act};
    return nncl__gemm(ctx, 0, 0, X->rows, W->cols, X->cols, 1.0f, nncl__view_of(X),
                      nncl__view_of(W), 0.0f, nncl__view_of(Y), &x);
}

/* Launchers for the GEMM and activation kernels (kernels/gemm.cl,
 * kernels/activation.cl): shapes checked here, one launch per call. */
#include "core/core.h"
#include "ops/ops.h"

#include <string.h>

static const char *const act_names[] = {"identity", "sigmoid", "tanh", "relu", "leaky_relu",
                                        "softmax"};

const char *nncl_activation_name(nncl_activation act)
{
    if ((int)act < 0 || (int)act >= (int)(sizeof act_names / sizeof *act_names)) return NULL;
    return act_names[act];
}

nncl_status nncl_activation_parse(const char *name, nncl_activation *act)
{
    if (!name || !act)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_activation_parse: NULL argument");
    for (int i = 0; i < (int)(sizeof act_names / sizeof *act_names); i++)
        if (!strcmp(name, act_names[i])) {
            *act = (nncl_activation)i;
            return NNCL_OK;
        }
    if (!strcmp(name, "leaky-relu") || !strcmp(name, "leakyrelu")) {
        *act = NNCL_ACT_LEAKY_RELU;
        return NNCL_OK;
    }
    if (!strcmp(name, "linear") || !strcmp(name, "none")) {
        *act = NNCL_ACT_IDENTITY;
        return NNCL_OK;
    }
    return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                      "unknown activation \"%s\" (identity, sigmoid, tanh, relu, leaky_relu, "
                      "softmax)",
                      name);
}

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

/* C = act(alpha·op(A)·op(B) + beta·C + bias) ⊙ dact'(Y), on raw views;
 * shapes already checked. */
nncl_status nncl__gemm(nncl_context *ctx, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                       float alpha, nncl__view A, nncl__view B, float beta, nncl__view C,
                       const nncl__gemm_extras *x)
{
    const nncl__gemm_extras none = {0};
    if (!x) x = &none;
    size_t a_rows = x->ones_row ? M - 1 : M; /* rows of op(A) stored */
    /* Operands are rearranged in the context's scratch (A first, B after) so
     * that one fast kernel does every product; each copy is O(M·K) or O(K·N)
     * against the product's O(M·N·K):
     *  - Aᵀ is transposed into row-major when B is not packed, or when its
     *    rows are a multiple of 1 KB apart (read in place, every k would then
     *    land in the same few cache sets) and the product is big enough for
     *    the misses to cost more than the copy: M >= 512, N >= 128, K >= 512
     *    (1024 x 256 x 1024: 134 GFLOP/s transposed, 96 in place; but
     *    1024 x 128 x 256: 88 and 97, 1024 x 10 x 1024: 28 and 37,
     *    256 x 128 x 1024: 67 and 80; tests/perf/gemm_ab). Otherwise gemm_tp
     *    reads Aᵀ in place, the TM values of one k being contiguous;
     *  - B is packed into panels when it is transposed, or when M is large
     *    enough that every panel is reused by many row tiles, or N is below
     *    one panel (the zero padding then keeps the fast path). */
    int local = ctx->tiles.local_gemm;
    int pack = !local && (trans_b || M >= ctx->tiles.pack_min_m || N < (size_t)ctx->tiles.tn);
    /* (a_rows 0: op(A) is a lone row of ones, with nothing stored to copy) */
    int copy_a = trans_a && a_rows > 0 &&
                 (local || ctx->tiles.transpose_a == NNCL__TN_TRANSPOSE ||
                  (ctx->tiles.transpose_a == NNCL__TN_AUTO &&
                   ((A.ld % 256 == 0 && M >= 512 && N >= 128 && K >= 512) || !pack)));
    int copy_b = local && trans_b;
    size_t tn = (size_t)ctx->tiles.tn, panels = div_up(N, tn);
    size_t a_floats = copy_a ? a_rows * K : 0, b_floats = pack ? panels * tn * K : copy_b ? K * N : 0;
    cl_mem tmp = NULL;
    if (a_floats + b_floats) NNCL__TRY(nncl__scratch(ctx, (a_floats + b_floats) * sizeof(float), &tmp));
    if (copy_a) {
        /* A is K x a_rows; scratch gets Aᵀ, a_rows x K. */
        NNCL__TRY(nncl__transpose(ctx, A, K, a_rows, (nncl__view){tmp, 0, (cl_uint)K}));
        A = (nncl__view){tmp, 0, (cl_uint)K};
        trans_a = 0;
    }
    if (pack) {
        cl_int trans = trans_b;
        cl_uint k = (cl_uint)K, n = (cl_uint)N, out_off = (cl_uint)a_floats;
        NNCL__TRY(nncl__set_args(ctx, NNCL__K_PACK_B, NNCL__ARG(B.mem), NNCL__ARG(B.off),
                                 NNCL__ARG(B.ld), NNCL__ARG(trans), NNCL__ARG(k), NNCL__ARG(n),
                                 NNCL__ARG(tmp), NNCL__ARG(out_off), NNCL__END));
        size_t global[2] = {div_up(K, 8), panels};
        NNCL__TRY(nncl__launch(ctx, NNCL__K_PACK_B, 2, global));
        B = (nncl__view){tmp, out_off, (cl_uint)K};
    } else if (copy_b) {
        /* B is N x K; scratch gets Bᵀ, K x N. */
        nncl__view bt = {tmp, (cl_uint)a_floats, (cl_uint)N};
        NNCL__TRY(nncl__transpose(ctx, B, N, K, bt));
        B = bt;
    }
    nncl__kernel_id id = local             ? NNCL__K_GEMM_LOCAL
                         : trans_a && pack ? NNCL__K_GEMM_TP
                         : trans_a         ? NNCL__K_GEMM_TN
                         : pack            ? NNCL__K_GEMM_NP
                                           : NNCL__K_GEMM_NN;
    cl_uint m = (cl_uint)M, n = (cl_uint)N, k = (cl_uint)K, am = (cl_uint)a_rows;
    nncl__view bias = x->bias ? *x->bias : (nncl__view){C.mem, 0, 0};
    nncl__view d = x->dact_y ? *x->dact_y : (nncl__view){C.mem, 0, 0};
    cl_int has_bias = x->bias != NULL, act_code = (cl_int)x->act;
    cl_int dact_code = x->dact_y ? (cl_int)x->dact : -1;
    NNCL__TRY(nncl__set_args(ctx, id, NNCL__ARG(m), NNCL__ARG(n), NNCL__ARG(k), NNCL__ARG(am),
                             NNCL__ARG(alpha), NNCL__ARG(A.mem), NNCL__ARG(A.off), NNCL__ARG(A.ld),
                             NNCL__ARG(B.mem), NNCL__ARG(B.off), NNCL__ARG(B.ld), NNCL__ARG(beta),
                             NNCL__ARG(C.mem), NNCL__ARG(C.off), NNCL__ARG(C.ld),
                             NNCL__ARG(bias.mem), NNCL__ARG(bias.off), NNCL__ARG(has_bias),
                             NNCL__ARG(act_code), NNCL__ARG(d.mem), NNCL__ARG(d.off),
                             NNCL__ARG(d.ld), NNCL__ARG(dact_code), NNCL__END));
    if (local) {
        /* Columns along x: one work-group per (lwg·lrb)-square tile of C. */
        size_t side = (size_t)ctx->tiles.lwg * (size_t)ctx->tiles.lrb;
        size_t groups[2] = {div_up(N, side) * (size_t)ctx->tiles.lwg, div_up(M, side) * (size_t)ctx->tiles.lwg};
        return nncl__launch(ctx, id, 2, groups);
    }
    size_t global[2] = {div_up(M, (size_t)ctx->tiles.tm), panels};
    return nncl__launch(ctx, id, 2, global);
}

nncl_status nncl__transpose(nncl_context *ctx, nncl__view in, size_t rows, size_t cols,
                            nncl__view out)
{
    cl_uint n_rows = (cl_uint)rows, n_cols = (cl_uint)cols;
    NNCL__TRY(nncl__set_args(ctx, NNCL__K_TRANSPOSE, NNCL__ARG(in.mem), NNCL__ARG(in.off),
                             NNCL__ARG(in.ld), NNCL__ARG(out.mem), NNCL__ARG(out.off),
                             NNCL__ARG(out.ld), NNCL__ARG(n_rows), NNCL__ARG(n_cols), NNCL__END));
    size_t global[2] = {div_up(cols, 8), div_up(rows, 8)}; /* 8 x 8 blocks */
    return nncl__launch(ctx, NNCL__K_TRANSPOSE, 2, global);
}

nncl__view nncl__view_of(const nncl_tensor *t)
{
    return (nncl__view){t->mem, (cl_uint)t->offset, (cl_uint)t->ld};
}

nncl_status nncl_gemm(nncl_context *ctx, int trans_a, int trans_b, float alpha,
                      const nncl_tensor *A, const nncl_tensor *B, float beta, nncl_tensor *C)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_gemm: ctx is NULL");
    NNCL__TRY(nncl__check_tensor(ctx, A, "nncl_gemm: A"));
    NNCL__TRY(nncl__check_tensor(ctx, B, "nncl_gemm: B"));
    NNCL__TRY(nncl__check_tensor(ctx, C, "nncl_gemm: C"));
    size_t M = trans_a ? A->cols : A->rows, K = trans_a ? A->rows : A->cols;
    size_t KB = trans_b ? B->cols : B->rows, N = trans_b ? B->rows : B->cols;
    if (K != KB || C->rows != M || C->cols != N)
        return nncl__fail(ctx, NNCL_ERR_SHAPE,
                          "nncl_gemm: op(A) is %zux%zu, op(B) is %zux%zu, C is %zux%zu; need "
                          "op(A) MxK, op(B) KxN, C MxN",
                          M, K, KB, N, C->rows, C->cols);
    if (nncl__overlap(C, A) || nncl__overlap(C, B))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_gemm: C shares memory with A or B");
    if (!(alpha == alpha) || !(beta == beta))
        return nncl__fail(ctx, NNCL_ERR_NUMERIC, "nncl_gemm: alpha or beta is NaN");
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

/* dZ = dY ⊙ act'(Y) written over dY, and db = Σ_rows dZ (db NULL: no bias). */
nncl_status nncl__act_backward_bias(nncl_context *ctx, nncl__view dY, nncl__view Y, size_t rows,
                                    size_t cols, nncl_activation act, const nncl__view *db)
{
    cl_uint n_rows = (cl_uint)rows, n_cols = (cl_uint)cols;
    cl_int act_code = (cl_int)act, has_bias = db != NULL;
    cl_mem db_mem = db ? db->mem : dY.mem;
    cl_uint db_off = db ? db->off : 0;
    NNCL__TRY(nncl__set_args(ctx, NNCL__K_ACT_BACKWARD_BIAS, NNCL__ARG(dY.mem), NNCL__ARG(dY.off),
                             NNCL__ARG(dY.ld), NNCL__ARG(Y.mem), NNCL__ARG(Y.off), NNCL__ARG(Y.ld),
                             NNCL__ARG(n_rows), NNCL__ARG(n_cols), NNCL__ARG(act_code), NNCL__ARG(db_mem),
                             NNCL__ARG(db_off), NNCL__ARG(has_bias), NNCL__END));
    return nncl__launch(ctx, NNCL__K_ACT_BACKWARD_BIAS, 1, &cols);
}

/* Y = act(X), elementwise; Y may be X. */
nncl_status nncl__act_forward(nncl_context *ctx, nncl__view X, nncl__view Y, size_t rows,
                              size_t cols, nncl_activation act)
{
    cl_int act_code = (cl_int)act;
    cl_uint n_rows = (cl_uint)rows, n_cols = (cl_uint)cols;
    NNCL__TRY(nncl__set_args(ctx, NNCL__K_ACT_FORWARD, NNCL__ARG(X.mem), NNCL__ARG(X.off),
                             NNCL__ARG(X.ld), NNCL__ARG(Y.mem), NNCL__ARG(Y.off), NNCL__ARG(Y.ld),
                             NNCL__ARG(n_rows), NNCL__ARG(n_cols), NNCL__ARG(act_code), NNCL__END));
    size_t global[2] = {cols, rows};
    return nncl__launch(ctx, NNCL__K_ACT_FORWARD, 2, global);
}

nncl_status nncl__loss(nncl_context *ctx, nncl_loss loss, nncl_activation act, nncl__view z,
                       const nncl__view *t, size_t rows, size_t cols, nncl__loss_out what,
                       nncl__view out, cl_mem row_loss, cl_uint rl_off, cl_mem row_correct,
                       cl_mem status)
{
    nncl__kernel_id id = loss == NNCL_LOSS_SOFTMAX_CE ? NNCL__K_SOFTMAX_CE : NNCL__K_ELEMENTWISE_LOSS;
    nncl__view targets = t ? *t : z;
    cl_int kind = (cl_int)loss, act_code = (cl_int)act, has_t = t != NULL, out_what = (cl_int)what;
    cl_uint n_cols = (cl_uint)cols, n_rows = (cl_uint)rows;
    /* the mean over every loss term: rows for softmax-ce, rows x outputs else */
    float scale = 1.0f / (float)(loss == NNCL_LOSS_SOFTMAX_CE ? rows : rows * cols);
    NNCL__TRY(nncl__set_args(ctx, id, NNCL__ARG(kind), NNCL__ARG(act_code), NNCL__ARG(z.mem),
                             NNCL__ARG(z.off), NNCL__ARG(z.ld), NNCL__ARG(n_cols), NNCL__ARG(targets.mem),
                             NNCL__ARG(targets.off), NNCL__ARG(targets.ld), NNCL__ARG(has_t),
                             NNCL__ARG(out.mem), NNCL__ARG(out.off), NNCL__ARG(out.ld), NNCL__ARG(out_what),
                             NNCL__ARG(scale), NNCL__ARG(row_loss), NNCL__ARG(rl_off),
                             NNCL__ARG(row_correct), NNCL__ARG(status), NNCL__ARG(n_rows), NNCL__END));
    return nncl__launch(ctx, id, 1, &rows);
}

/* acc[slot] (+)= Σ of n consecutive floats from a.off, in a fixed order. */
nncl_status nncl__sum(nncl_context *ctx, nncl__view a, size_t n, cl_mem acc, cl_uint slot, int overwrite)
{
    cl_uint count = (cl_uint)n;
    cl_int over = overwrite;
    NNCL__TRY(nncl__set_args(ctx, NNCL__K_SUM_ACCUMULATE, NNCL__ARG(a.mem), NNCL__ARG(a.off),
                             NNCL__ARG(count), NNCL__ARG(acc), NNCL__ARG(slot), NNCL__ARG(over),
                             NNCL__END));
    size_t single = 1;
    return nncl__launch(ctx, NNCL__K_SUM_ACCUMULATE, 1, &single);
}

/* The first non-finite element of X, one work-item per row, flagged in the
 * status word as NNCL_DEV_NONFINITE_INPUT (row, column). */
nncl_status nncl__check_finite(nncl_context *ctx, nncl__view X, size_t rows, size_t cols, cl_mem status)
{
    cl_uint n_cols = (cl_uint)cols, n_rows = (cl_uint)rows;
    cl_int code = NNCL_DEV_NONFINITE_INPUT;
    NNCL__TRY(nncl__set_args(ctx, NNCL__K_CHECK_FINITE, NNCL__ARG(X.mem), NNCL__ARG(X.off),
                             NNCL__ARG(X.ld), NNCL__ARG(n_cols), NNCL__ARG(status), NNCL__ARG(code),
                             NNCL__ARG(n_rows), NNCL__END));
    return nncl__launch(ctx, NNCL__K_CHECK_FINITE, 1, &rows);
}

/* x[r] = (features[idx[first + r]]·scale - mean)·inv_std, y[r] = its target;
 * one row per work-item. Absent buffers are passed as x (never read). */
nncl_status nncl__gather(nncl_context *ctx, const nncl__gather_source *src, cl_mem idx, size_t first,
                         size_t rows, cl_mem x, cl_mem y)
{
    nncl__kernel_id id = src->u8 ? NNCL__K_GATHER_U8 : NNCL__K_GATHER_F32;
    cl_uint n_cols = (cl_uint)src->cols, start = (cl_uint)first, ld = (cl_uint)src->cols,
            n_rows = (cl_uint)rows;
    cl_int has_norm = src->mean != NULL, has_targets = src->targets != NULL;
    cl_mem mean = has_norm ? src->mean : x, inv = has_norm ? src->inv_std : x;
    cl_mem targets = has_targets ? src->targets : y;
    NNCL__TRY(nncl__set_args(ctx, id, NNCL__ARG(src->features), NNCL__ARG(n_cols), NNCL__ARG(idx),
                             NNCL__ARG(start), NNCL__ARG(src->scale), NNCL__ARG(mean), NNCL__ARG(inv),
                             NNCL__ARG(has_norm), NNCL__ARG(x), NNCL__ARG(ld), NNCL__ARG(n_rows),
                             NNCL__ARG(targets), NNCL__ARG(has_targets), NNCL__ARG(y), NNCL__END));
    return nncl__launch(ctx, id, 1, &rows);
}

/* SPDX-License-Identifier: MIT */
/* Internal launchers on raw buffer views, shared by the public ops, the
 * model's forward/backward passes and the interop API. Shapes are the
 * caller's responsibility here; the public wrappers check them.
 *
 * One launcher file per kernel file, by the same name: host/ops/gemm.c
 * launches kernels/gemm.cl, activation.c activation.cl, loss.c loss.cl,
 * reduce.c reduce.cl, optim.c optim.cl, data.c data.cl. Each sets a
 * kernel's arguments in one NNCL__SET_ARGS list (core/core.h). */
#ifndef NNCL_OPS_H
#define NNCL_OPS_H

#include "core/core.h"

/* A row-major matrix inside a buffer: element (r, c) at mem[off + r·ld + c]. */
typedef struct {
    cl_mem mem;
    cl_uint off, ld;
} nncl__view;

static inline nncl__view nncl__view_of(const nncl_tensor *t)
{
    return (nncl__view){t->mem, (cl_uint)t->offset, (cl_uint)t->ld};
}

/* A view as the three kernel arguments (buffer, offset, ld) that the
 * kernels take for a matrix: three entries of an NNCL__SET_ARGS list. */
#define NNCL__VIEW(v) NNCL__MEM((v).mem), NNCL__U((v).off), NNCL__U((v).ld)

/* ---- kernels/gemm.cl (host/ops/gemm.c) ---- */

/* The optional parts of a product; zero-initialised means none. */
typedef struct {
    const nncl__view *bias;   /* 1 x N, added before act */
    nncl_activation act;      /* applied to the result */
    int ones_row;             /* op(A)'s last row (M-1) is all ones and not stored:
                                 that row of C gets the column sums of op(B) */
    const nncl__view *dact_y; /* C ⊙= dact'(dact_y): dact_y (M x N) holds the */
    nncl_activation dact;     /* outputs of activation dact (backward through it) */
    const nncl__view *b_packed; /* op(B) already packed (as pack_b would, for this K and N):
                                   read instead of packing B where the product packs B */
    const nncl__view *c_packed; /* C is also left there packed (M x N as a later product's
                                   op(B)); only where nncl__pack_width(N) is not 0 */
} nncl__gemm_extras;

/* C = act(alpha·op(A)·op(B) + beta·C + bias) ⊙ dact'(dact_y); op(A) M x K,
 * op(B) K x N; x may be NULL. */
nncl_status nncl__gemm(nncl_context *ctx, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                       float alpha, nncl__view A, nncl__view B, float beta, nncl__view C,
                       const nncl__gemm_extras *x);
/* The checks of a public GEMM, named `who` in the messages: ctx and the
 * tensors valid (bias NULL: none), op(A) M x K, op(B) K x N, C M x N, bias
 * 1 x N, C apart from the others, alpha and beta not NaN. Sets M, N, K. */
nncl_status nncl__gemm_check(nncl_context *ctx, const char *who, int trans_a, int trans_b, float alpha,
                             const nncl_tensor *A, const nncl_tensor *B, float beta, const nncl_tensor *C,
                             const nncl_tensor *bias, size_t *M, size_t *N, size_t *K);
/* Packing B ahead of its products (a model's weights, once per step): a
 * job packs op(B) (K x N; B stored K x N, or N x K when trans) at out_off
 * floats into the panels that a product with this N reads. */
typedef struct {
    cl_uint b_off, ldb; /* B in the launch's source buffer */
    int trans;
    size_t K, N, out_off;
} nncl__pack_job;
/* Whether a product (op(B) K x N, C M x N) packs B with pack_b. */
int nncl__gemm_packs_b(const nncl_context *ctx, int trans_b, size_t M, size_t N);
/* Whether it reads an op(B) that arrives packed (nncl__gemm_extras.b_packed)
 * as it is: where it would pack B, and where it would not but K is not
 * split (the packed kernels then take the same chains as the unpacked
 * ones: the same bits, and a transposed copy of A can be spared). */
int nncl__gemm_reads_packed(const nncl_context *ctx, int trans_b, size_t M, size_t N, size_t K);
/* Whether a product that packs B splits its inner dimension K into parts
 * (summed by gemm_reduce, in another order than one chain over k). */
int nncl__gemm_splits_k(const nncl_context *ctx, size_t K);
/* Whether nncl__gemm runs a weight gradient C = [A, 1]ᵀ·B (op(A) M x K,
 * its last row the ones row, A's rows lda apart; op(B) K x N arriving
 * packed) as one whole-K gemm_tp launch, so that nncl__gemm_tp_group can
 * take it with others. */
int nncl__gemm_tp_groups(const nncl_context *ctx, size_t M, size_t N, size_t K, size_t lda);
/* Up to NNCL_TP_GROUP such products (each as nncl__gemm_tp_groups allows,
 * with alpha 1, beta 0, no epilogue, every C in one buffer) in one
 * gemm_tp_group launch, with the bits of separate ones. */
typedef struct {
    size_t M, N, K;
    nncl__view A, B, C; /* A stored K x (M - 1), B packed */
} nncl__tp_job;
nncl_status nncl__gemm_tp_group(nncl_context *ctx, const nncl__tp_job *jobs, size_t n);
/* The width of the panels that products with N columns read (K x width
 * floats each, columns past N zero; a product whose op(B) is one panel
 * reads it as a row-major K x width matrix), and the floats of a packed
 * op(B) (K x N); both 0 where products never read packed panels
 * (gemm_local). */
size_t nncl__pack_width(const nncl_context *ctx, size_t N);
size_t nncl__pack_floats(const nncl_context *ctx, size_t K, size_t N);
/* Writes job's NNCL_PACK_JOB_WORDS-word record (its first work-item:
 * first) into rec; returns its work-items. */
size_t nncl__pack_job_record(const nncl_context *ctx, const nncl__pack_job *job, size_t first, cl_uint *rec);
/* One pack_b_many launch over the first n_jobs records of the device table
 * jobs (items: the work-items of those jobs), every job reading B from src
 * and writing into out. */
nncl_status nncl__pack_many(nncl_context *ctx, cl_mem src, cl_mem out, cl_mem jobs, size_t n_jobs, size_t items);
/* out (cols x rows) = inᵀ (in rows x cols). */
nncl_status nncl__transpose(nncl_context *ctx, nncl__view in, size_t rows, size_t cols,
                            nncl__view out);

/* ---- kernels/activation.cl (host/ops/activation.c) ---- */

/* dZ = dY ⊙ act'(Y) over dY (rows x cols), db = Σ_rows dZ (db NULL: none);
 * act' is taken from the output Y, one work-item per column, in row order. */
nncl_status nncl__act_backward_bias(nncl_context *ctx, nncl__view dY, nncl__view Y, size_t rows,
                                    size_t cols, nncl_activation act, const nncl__view *db);
/* Y = act(X) elementwise over rows x cols; Y may be X. */
nncl_status nncl__act_forward(nncl_context *ctx, nncl__view X, nncl__view Y, size_t rows,
                              size_t cols, nncl_activation act);
/* ---- kernels/loss.cl (host/ops/loss.c) ---- */

/* The loss of Z (rows x cols: logits, or outputs of act for mse) against T
 * (kernels/loss.cl): T NULL means no targets (softmax-ce probabilities only);
 * out gets the gradient dL/d(pre-activation) (NNCL__LOSS_OUT_GRAD) or, for
 * softmax-ce, the probabilities (NNCL__LOSS_OUT_PROBS); row_loss (floats from rl_off), row_correct and the
 * status word may each be NULL. The gradient is that of the loss's mean
 * over mean_rows rows (rows, or a global batch's when these rows are one
 * rank's slice of it). standardise (mse only; NULL: none) holds
 * 2·cols floats from its offset, a per-column scale and shift that each
 * target is taken through as it is read: t' = t·scale[c] + shift[c]. */
typedef enum {
    NNCL__LOSS_OUT_NONE = NNCL_LOSS_OUT_NONE,
    NNCL__LOSS_OUT_GRAD = NNCL_LOSS_OUT_GRAD,
    NNCL__LOSS_OUT_PROBS = NNCL_LOSS_OUT_PROBS
} nncl__loss_out;
nncl_status nncl__loss(nncl_context *ctx, nncl_loss loss, nncl_activation act, nncl__view z,
                       const nncl__view *t, const nncl__view *standardise, size_t rows, size_t mean_rows,
                       size_t cols, nncl__loss_out what, nncl__view out, cl_mem row_loss, cl_uint rl_off, cl_mem row_correct,
                       cl_mem status);
/* A training step's last layers in one launch (loss_head, kernels/loss.cl):
 * Z = act(H·W + b), the loss and dZ as nncl__loss gives them (loss, act,
 * targets t standardised through standardise as there), dH = (dZ·Wᵀ) ⊙
 * dact'(H), and with below.on the layer below's products as well, H =
 * act(A·Wb + bb) first and dA = (dH·Wbᵀ) ⊙ dact'(A) last, with the bits of
 * those launches. The weights are as the model prepacked them, in one
 * buffer, each in the panels nncl__pack_width gives for its columns: W
 * (cols at most NNCL_HEAD_WIDTH; panels a multiple of 16 wide, or one of
 * 8), Wᵀ (a multiple of 16), Wb and Wbᵀ (the GEMM tile's width); q (mem
 * NULL: none) gets dH packed as dH's weight gradient reads it, below.qa dA.
 * Offsets are in floats. */
typedef struct {
    int on;
    nncl__view a;                  /* the layer's inputs, rows x a_cols */
    size_t a_cols;
    cl_uint wb_off, wbt_off, bb_off; /* Wb and Wbᵀ packed, bb in params */
    int act;                       /* its activation */
    nncl__view da, qa;             /* dA, and packed (qa.mem NULL: none) */
    int da_act;                    /* the activation that made A (NNCL_ACT_ID_NONE: none) */
} nncl__head_below;
typedef struct {
    cl_mem packed, params;         /* the packed weights, the parameters */
    cl_uint w_off, wt_off, b_off;  /* W and Wᵀ packed, b in params */
    size_t in, cols;
    nncl_loss loss;
    nncl_activation act;           /* the output activation Z is stored through */
    nncl__view h;                  /* the layer below's outputs, rows x in */
    nncl__view t;                  /* targets: class indices (a float per row), or rows x cols */
    const nncl__view *standardise; /* NULL: none */
    nncl__view z, dz, dh;          /* outputs, their gradient, the gradient below */
    int dact;                      /* the activation that made H (NNCL_ACT_ID_NONE: none) */
    nncl__view q;                  /* dh packed */
    nncl__head_below below;
} nncl__head_views;
nncl_status nncl__loss_head(nncl_context *ctx, const nncl__head_views *v, size_t rows, size_t mean_rows,
                            cl_mem row_loss, cl_uint rl_off, cl_mem row_correct, cl_mem status);

/* ---- kernels/reduce.cl (host/ops/reduce.c) ---- */

/* acc[slot] (+)= Σ of n consecutive floats from a.off and, with b (NULL:
 * none), acc[slot + 1] (+)= Σ of n from b.off; a work-item per sum, each in
 * a fixed order (overwrite: = instead of +=), seg elements at a time (n a
 * multiple of seg: the bits of n / seg calls of seg each). */
nncl_status nncl__sum(nncl_context *ctx, nncl__view a, const nncl__view *b, size_t n, size_t seg, cl_mem acc,
                      cl_uint slot, int overwrite);

/* Flags NaN or infinity in X (rows x cols) as code (an NNCL_DEV_NONFINITE_*)
 * in the status word (kernels/reduce.cl). */
nncl_status nncl__check_finite(nncl_context *ctx, nncl__view X, size_t rows, size_t cols, cl_mem status,
                               int code);

/* ---- kernels/data.cl (host/ops/data.c) ---- */

/* Rows idx[first .. first+rows) (idx NULL: rows first .. first+rows in
 * order) of a data set's features (cols wide; bytes
 * when u8, else floats), times scale, standardised when mean/inv_std are not
 * NULL, into x (rows x cols); their targets (NULL: none) into y
 * (kernels/data.cl). */
typedef struct {
    cl_mem features;
    int u8;
    size_t cols;
    float scale;
    cl_mem targets;         /* rows floats, or NULL */
    cl_mem mean, inv_std;   /* cols floats each, or NULL */
} nncl__gather_source;
nncl_status nncl__gather(nncl_context *ctx, const nncl__gather_source *src, cl_mem idx, size_t first,
                         size_t rows, cl_mem x, cl_mem y);

/* ---- kernels/optim.cl (host/ops/optim.c) ---- */

/* Validates hyper-parameters; the message names the bad one. */
nncl_status nncl__optim_validate(nncl_context *ctx, const nncl_optimizer *opt);
/* A caller's optimizer (not NULL) read through its size field over the
 * defaults of the kind it gives (see nncl__options_read). */
nncl_optimizer nncl__optim_read(const nncl_optimizer *caller);
/* The learning rate at optimizer step `step` under the schedule. */
float nncl__optim_lr(const nncl_optimizer *opt, uint64_t step);
/* One launch of the optimizer kernel over n floats of each view: the
 * schedule's lr at global step `step`, Adam's bias correction for the
 * state's update number state_step + 1; skipped on the device when the
 * status word is set (status NULL: no check), recording the step. */
nncl_status nncl__optim_launch(nncl_context *ctx, const nncl_optimizer *o, uint64_t step, uint64_t state_step,
                               nncl__view w, nncl__view g, nncl__view m, nncl__view v, size_t n,
                               cl_mem status);

#endif

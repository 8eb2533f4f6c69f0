/* Launchers for kernels/loss.cl: softmax_ce and elementwise_loss (mse, bce),
 * which take the same arguments. */
#include "core/core.h"
#include "ops/ops.h"

/* The arguments of both loss kernels, in their order in kernels/loss.cl. */
static nncl_status set_loss_args(nncl_context *ctx, nncl__kernel_id id, cl_int kind, cl_int act, nncl__view z,
                                 cl_uint cols, nncl__view t, cl_int has_t, nncl__view out, cl_int what,
                                 cl_float scale, cl_mem row_loss, cl_uint rl_off, cl_mem row_correct,
                                 cl_mem status, cl_uint rows)
{
    nncl__args a = nncl__args_begin(ctx, id);
    nncl__arg_int(&a, kind);
    nncl__arg_int(&a, act);
    nncl__arg_view(&a, z);
    nncl__arg_uint(&a, cols);
    nncl__arg_view(&a, t);
    nncl__arg_int(&a, has_t);
    nncl__arg_view(&a, out);
    nncl__arg_int(&a, what);
    nncl__arg_float(&a, scale);
    nncl__arg_mem(&a, row_loss);
    nncl__arg_uint(&a, rl_off);
    nncl__arg_mem(&a, row_correct);
    nncl__arg_mem(&a, status);
    nncl__arg_uint(&a, rows);
    return nncl__args_end(&a);
}

nncl_status nncl__loss(nncl_context *ctx, nncl_loss loss, nncl_activation act, nncl__view z,
                       const nncl__view *t, size_t rows, size_t cols, nncl__loss_out what,
                       nncl__view out, cl_mem row_loss, cl_uint rl_off, cl_mem row_correct,
                       cl_mem status)
{
    nncl__kernel_id id = loss == NNCL_LOSS_SOFTMAX_CE ? NNCL__K_SOFTMAX_CE : NNCL__K_ELEMENTWISE_LOSS;
    nncl__view targets = t ? *t : z;
    /* the mean over every loss term: rows for softmax-ce, rows x outputs else */
    float scale = 1.0f / (float)(loss == NNCL_LOSS_SOFTMAX_CE ? rows : rows * cols);
    NNCL__TRY(set_loss_args(ctx, id, (cl_int)loss, (cl_int)act, z, (cl_uint)cols, targets, t != NULL, out,
                            (cl_int)what, scale, row_loss, rl_off, row_correct, status, (cl_uint)rows));
    return nncl__launch(ctx, id, 1, &rows);
}

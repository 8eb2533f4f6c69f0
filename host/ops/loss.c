/* SPDX-License-Identifier: MIT */
/* Launchers for kernels/loss.cl: softmax_ce and elementwise_loss (mse, bce),
 * which take the same arguments. */
#include "core/core.h"
#include "ops/ops.h"

nncl_status nncl__loss(nncl_context *ctx, nncl_loss loss, nncl_activation act, nncl__view z,
                       const nncl__view *t, const nncl__view *standardise, size_t rows, size_t mean_rows,
                       size_t cols, nncl__loss_out what, nncl__view out, cl_mem row_loss, cl_uint rl_off, cl_mem row_correct,
                       cl_mem status)
{
    nncl__kernel_id id = loss == NNCL_LOSS_SOFTMAX_CE ? NNCL__K_SOFTMAX_CE : NNCL__K_ELEMENTWISE_LOSS;
    nncl__view targets = t ? *t : z, affine = standardise ? *standardise : (nncl__view){z.mem, 0, 0};
    /* the mean over every loss term: mean_rows for softmax-ce, mean_rows x outputs else */
    float scale = 1.0f / (float)(loss == NNCL_LOSS_SOFTMAX_CE ? mean_rows : mean_rows * cols);
    /* both loss kernels take the same arguments */
    NNCL__TRY(NNCL__SET_ARGS(ctx, id, SOFTMAX_CE, NNCL__I((cl_int)loss), NNCL__I((cl_int)act), NNCL__VIEW(z),
                             NNCL__U((cl_uint)cols), NNCL__VIEW(targets), NNCL__I(t != NULL),
                             NNCL__MEM(affine.mem), NNCL__U(affine.off), NNCL__I(standardise != NULL), NNCL__VIEW(out),
                             NNCL__I((cl_int)what), NNCL__F(scale), NNCL__MEM(row_loss), NNCL__U(rl_off),
                             NNCL__MEM(row_correct), NNCL__MEM(status), NNCL__U((cl_uint)rows)));
    return nncl__launch(ctx, id, 1, &rows);
}

/* SPDX-License-Identifier: MIT */
/* Launchers for kernels/loss.cl: softmax_ce and elementwise_loss (mse, bce),
 * which take the same arguments, and loss_head. */
#include "core/core.h"
#include "ops/ops.h"

/* the mean over every loss term: mean_rows for softmax-ce, mean_rows x outputs else */
static float loss_scale(nncl_loss loss, size_t mean_rows, size_t cols)
{
    return 1.0f / (float)(loss == NNCL_LOSS_SOFTMAX_CE ? mean_rows : mean_rows * cols);
}

nncl_status nncl__loss(nncl_context *ctx, nncl_loss loss, nncl_activation act, nncl__view z,
                       const nncl__view *t, const nncl__view *standardise, size_t rows, size_t mean_rows,
                       size_t cols, nncl__loss_out what, nncl__view out, cl_mem row_loss, cl_uint rl_off, cl_mem row_correct,
                       cl_mem status)
{
    nncl__kernel_id id = loss == NNCL_LOSS_SOFTMAX_CE ? NNCL__K_SOFTMAX_CE : NNCL__K_ELEMENTWISE_LOSS;
    nncl__view targets = t ? *t : z, affine = standardise ? *standardise : (nncl__view){z.mem, 0, 0};
    const float scale = loss_scale(loss, mean_rows, cols);
    /* both loss kernels take the same arguments */
    NNCL__TRY(NNCL__SET_ARGS(ctx, id, SOFTMAX_CE, NNCL__I((cl_int)loss), NNCL__I((cl_int)act), NNCL__VIEW(z),
                             NNCL__U((cl_uint)cols), NNCL__VIEW(targets), NNCL__I(t != NULL),
                             NNCL__MEM(affine.mem), NNCL__U(affine.off), NNCL__I(standardise != NULL), NNCL__VIEW(out),
                             NNCL__I((cl_int)what), NNCL__F(scale), NNCL__MEM(row_loss), NNCL__U(rl_off),
                             NNCL__MEM(row_correct), NNCL__MEM(status), NNCL__U((cl_uint)rows)));
    return nncl__launch(ctx, id, 1, &rows);
}

nncl_status nncl__loss_head(nncl_context *ctx, const nncl__head_views *v, size_t rows, size_t mean_rows,
                            cl_mem row_loss, cl_uint rl_off, cl_mem row_correct, cl_mem status)
{
    const nncl__kernel_id id = NNCL__K_LOSS_HEAD;
    const nncl__head_below *b = &v->below;
    /* (buffers not used stand in as h: a kernel argument cannot be NULL-checked per use) */
    const nncl__view a = b->on ? b->a : v->h, da = b->on ? b->da : v->h;
    const nncl__view qa = b->on && b->qa.mem ? b->qa : (nncl__view){v->h.mem, 0, 0};
    const nncl__view tn = v->standardise ? *v->standardise : (nncl__view){v->h.mem, 0, 0};
    /* panel widths: W's (cols columns), Wᵀ's and dH's (in columns) */
    const cl_uint w_tn = (cl_uint)nncl__pack_width(ctx, v->cols), h_tn = (cl_uint)nncl__pack_width(ctx, v->in);
    NNCL__TRY(NNCL__SET_ARGS(
        ctx, id, LOSS_HEAD, NNCL__I((cl_int)v->loss), NNCL__I((cl_int)v->act), NNCL__MEM(v->packed),
        NNCL__MEM(v->params), NNCL__U(v->w_off), NNCL__U(w_tn), NNCL__U(v->wt_off), NNCL__U(h_tn),
        NNCL__U(v->b_off), NNCL__U((cl_uint)v->cols), NNCL__VIEW(v->h),
        NNCL__U((cl_uint)v->in), NNCL__I(b->on), NNCL__VIEW(a), NNCL__U((cl_uint)b->a_cols), NNCL__U(b->wb_off),
        NNCL__U(b->wbt_off), NNCL__U(b->bb_off), NNCL__I(b->act), NNCL__VIEW(da), NNCL__I(b->da_act), NNCL__MEM(qa.mem),
        NNCL__U(qa.off), NNCL__U(b->on && b->qa.mem ? (cl_uint)ctx->tiles.tn : 0), NNCL__VIEW(v->t),
        NNCL__MEM(tn.mem), NNCL__U(tn.off), NNCL__I(v->standardise != NULL), NNCL__VIEW(v->z), NNCL__VIEW(v->dz),
        NNCL__VIEW(v->dh), NNCL__I(v->dact), NNCL__MEM(v->q.mem ? v->q.mem : v->dh.mem), NNCL__U(v->q.off),
        NNCL__U(v->q.mem ? h_tn : 0), NNCL__F(loss_scale(v->loss, mean_rows, v->cols)),
        NNCL__MEM(row_loss), NNCL__U(rl_off), NNCL__MEM(row_correct), NNCL__MEM(status), NNCL__U((cl_uint)rows)));
    size_t items = (rows + (size_t)ctx->tiles.tm - 1) / (size_t)ctx->tiles.tm;
    return nncl__launch(ctx, id, 1, &items);
}

/* SPDX-License-Identifier: MIT */
/* Launchers for kernels/data.cl: gather_u8 and gather_f32, which take the
 * same arguments. */
#include "core/core.h"
#include "ops/ops.h"

/* x[r] = (features[idx[first + r]]·scale - mean)·inv_std (idx NULL: row
 * first + r), y[r] = its target; one row per work-item. Absent buffers are
 * passed as x (never read). */
nncl_status nncl__gather(nncl_context *ctx, const nncl__gather_source *src, cl_mem idx, size_t first,
                         size_t rows, cl_mem x, cl_mem y)
{
    nncl__kernel_id id = src->u8 ? NNCL__K_GATHER_U8 : NNCL__K_GATHER_F32;
    int has_norm = src->mean != NULL, has_targets = src->targets != NULL;
    /* both gather kernels take the same arguments */
    NNCL__TRY(NNCL__SET_ARGS(ctx, id, GATHER_U8, NNCL__MEM(src->features), NNCL__U((cl_uint)src->cols),
                             NNCL__MEM(idx ? idx : x), NNCL__I(idx != NULL), NNCL__U((cl_uint)first),
                             NNCL__F(src->scale),
                             NNCL__MEM(has_norm ? src->mean : x), NNCL__MEM(has_norm ? src->inv_std : x),
                             NNCL__I(has_norm), NNCL__MEM(x), NNCL__U((cl_uint)src->cols), NNCL__U((cl_uint)rows),
                             NNCL__MEM(has_targets ? src->targets : y), NNCL__I(has_targets), NNCL__MEM(y)));
    return nncl__launch(ctx, id, 1, &rows);
}

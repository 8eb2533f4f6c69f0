/* Launchers for kernels/data.cl: gather_u8 and gather_f32, which take the
 * same arguments. */
#include "core/core.h"
#include "ops/ops.h"

/* The arguments of both gather kernels, in their order in kernels/data.cl. */
static nncl_status set_gather_args(nncl_context *ctx, nncl__kernel_id id, cl_mem src, cl_uint cols, cl_mem idx,
                                   cl_uint start, cl_float scale, cl_mem mean, cl_mem inv_std, cl_int has_norm,
                                   cl_mem dst, cl_uint dst_ld, cl_uint rows, cl_mem targets, cl_int has_targets,
                                   cl_mem dst_targets)
{
    nncl__args a = nncl__args_begin(ctx, id);
    nncl__arg_mem(&a, src);
    nncl__arg_uint(&a, cols);
    nncl__arg_mem(&a, idx);
    nncl__arg_uint(&a, start);
    nncl__arg_float(&a, scale);
    nncl__arg_mem(&a, mean);
    nncl__arg_mem(&a, inv_std);
    nncl__arg_int(&a, has_norm);
    nncl__arg_mem(&a, dst);
    nncl__arg_uint(&a, dst_ld);
    nncl__arg_uint(&a, rows);
    nncl__arg_mem(&a, targets);
    nncl__arg_int(&a, has_targets);
    nncl__arg_mem(&a, dst_targets);
    return nncl__args_end(&a);
}

/* x[r] = (features[idx[first + r]]·scale - mean)·inv_std, y[r] = its target;
 * one row per work-item. Absent buffers are passed as x (never read). */
nncl_status nncl__gather(nncl_context *ctx, const nncl__gather_source *src, cl_mem idx, size_t first,
                         size_t rows, cl_mem x, cl_mem y)
{
    nncl__kernel_id id = src->u8 ? NNCL__K_GATHER_U8 : NNCL__K_GATHER_F32;
    int has_norm = src->mean != NULL, has_targets = src->targets != NULL;
    NNCL__TRY(set_gather_args(ctx, id, src->features, (cl_uint)src->cols, idx, (cl_uint)first, src->scale,
                              has_norm ? src->mean : x, has_norm ? src->inv_std : x, has_norm, x,
                              (cl_uint)src->cols, (cl_uint)rows, has_targets ? src->targets : y, has_targets,
                              y));
    return nncl__launch(ctx, id, 1, &rows);
}

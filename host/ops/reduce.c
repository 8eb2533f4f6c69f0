/* Launchers for kernels/reduce.cl: sum_accumulate (sums in a fixed order)
 * and check_finite. */
#include "core/core.h"
#include "ops/ops.h"

/* sum_accumulate(a at a.off, n, acc, slot, overwrite); a.ld is not used. */
static nncl_status set_sum_accumulate_args(nncl_context *ctx, nncl__view a, cl_uint n, cl_mem acc, cl_uint slot,
                                           cl_int overwrite)
{
    nncl__args args = nncl__args_begin(ctx, NNCL__K_SUM_ACCUMULATE);
    nncl__arg_mem(&args, a.mem);
    nncl__arg_uint(&args, a.off);
    nncl__arg_uint(&args, n);
    nncl__arg_mem(&args, acc);
    nncl__arg_uint(&args, slot);
    nncl__arg_int(&args, overwrite);
    return nncl__args_end(&args);
}

/* check_finite(x, cols, status, code, rows). */
static nncl_status set_check_finite_args(nncl_context *ctx, nncl__view x, cl_uint cols, cl_mem status, cl_int code,
                                         cl_uint rows)
{
    nncl__args a = nncl__args_begin(ctx, NNCL__K_CHECK_FINITE);
    nncl__arg_view(&a, x);
    nncl__arg_uint(&a, cols);
    nncl__arg_mem(&a, status);
    nncl__arg_int(&a, code);
    nncl__arg_uint(&a, rows);
    return nncl__args_end(&a);
}

/* acc[slot] (+)= Σ of n consecutive floats from a.off, in a fixed order. */
nncl_status nncl__sum(nncl_context *ctx, nncl__view a, size_t n, cl_mem acc, cl_uint slot, int overwrite)
{
    NNCL__TRY(set_sum_accumulate_args(ctx, a, (cl_uint)n, acc, slot, overwrite));
    size_t single = 1;
    return nncl__launch(ctx, NNCL__K_SUM_ACCUMULATE, 1, &single);
}

/* The first non-finite element of X, one work-item per row, flagged in the
 * status word as NNCL_DEV_NONFINITE_INPUT (row, column). */
nncl_status nncl__check_finite(nncl_context *ctx, nncl__view X, size_t rows, size_t cols, cl_mem status)
{
    NNCL__TRY(set_check_finite_args(ctx, X, (cl_uint)cols, status, NNCL_DEV_NONFINITE_INPUT, (cl_uint)rows));
    return nncl__launch(ctx, NNCL__K_CHECK_FINITE, 1, &rows);
}

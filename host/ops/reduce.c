/* SPDX-License-Identifier: MIT */
/* Launchers for kernels/reduce.cl: sum_accumulate (sums in a fixed order)
 * and check_finite. */
#include "core/core.h"
#include "ops/ops.h"

/* acc[slot] (+)= Σ of n consecutive floats from a.off, and when b is not
 * NULL acc[slot + 1] (+)= the same of *b, in one launch; each sum in a
 * fixed order. */
nncl_status nncl__sum(nncl_context *ctx, nncl__view a, const nncl__view *b, size_t n, size_t seg, cl_mem acc,
                      cl_uint slot, int overwrite)
{
    /* sum_accumulate(a at a.off, b at b.off, n, seg, acc, slot, overwrite); ld is not used */
    nncl__view second = b ? *b : a;
    if (seg == 0 || seg > n) seg = n > 0 ? n : 1;
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_SUM_ACCUMULATE, SUM_ACCUMULATE, NNCL__MEM(a.mem), NNCL__U(a.off),
                             NNCL__MEM(second.mem), NNCL__U(second.off), NNCL__U((cl_uint)n), NNCL__U((cl_uint)seg),
                             NNCL__MEM(acc), NNCL__U(slot), NNCL__I(overwrite)));
    size_t sources = b ? 2 : 1;
    return nncl__launch(ctx, NNCL__K_SUM_ACCUMULATE, 1, &sources);
}

/* The first non-finite element of X, one work-item per row, flagged in the
 * status word as code (row, column). */
nncl_status nncl__check_finite(nncl_context *ctx, nncl__view X, size_t rows, size_t cols, cl_mem status, int code)
{
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_CHECK_FINITE, CHECK_FINITE, NNCL__VIEW(X), NNCL__U((cl_uint)cols),
                             NNCL__MEM(status), NNCL__I(code), NNCL__U((cl_uint)rows)));
    return nncl__launch(ctx, NNCL__K_CHECK_FINITE, 1, &rows);
}

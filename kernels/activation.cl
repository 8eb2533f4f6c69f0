/* SPDX-License-Identifier: MIT */
/* Activations forward and backward, and fill.
 *
 * The program is nncl_shared.h followed by the kernel files in the order
 * CMakeLists.txt lists them (NNCL_KERNEL_FILES); this file comes first, so
 * the helpers defined here (WG_1D, INLINE_FUNC, store16 .. store2, act_*,
 * act_grad_*, report_status) are visible to gemm.cl, loss.cl and the others.
 *
 * act is one of nncl_shared.h's NNCL_ACT_ID_* (the values of
 * nncl_activation); softmax is row-wise and taken by the loss kernels, so
 * here it, like identity, leaves values as they are. */

/* Work-group shapes come from the build options (NNCL_WG) so that every
 * launch uses one shape: drivers that compile per shape (PoCL) then compile
 * each kernel once. Ranges are rounded up; kernels check their bounds. */
#ifndef NNCL_WG
#define NNCL_WG 64
#endif
#define WG_1D __attribute__((reqd_work_group_size(NNCL_WG, 1, 1)))

/* Helpers that take layout flags as literal constants (gemm.cl's body, the
 * gather) are always inlined, so that the compiler folds the flags and each
 * entry point gets code as specialised as if it were written out. */
#define INLINE_FUNC static inline __attribute__((always_inline))

/* store16(v, p) .. store2(v, p): v at p (a float's alignment), as vstoreN
 * does. On CPU devices (the host defines NNCL_CPU) 16 and 8 floats are one
 * unaligned vector store: PoCL 3.1 writes vstore16 as three stores (16, 16
 * and 32 bytes) and vstore8 as two, which made the optimizer 18 % slower
 * (docs/PERFORMANCE.md, eleventh session). Global memory only. */
#ifdef NNCL_CPU
typedef float16 __attribute__((aligned(4))) float16_any;
typedef float8 __attribute__((aligned(4))) float8_any;
#define store16(v, p) (*(__global float16_any *)(p) = (v))
#define store8(v, p) (*(__global float8_any *)(p) = (v))
#else
#define store16(v, p) vstore16((v), 0, (p))
#define store8(v, p) vstore8((v), 0, (p))
#endif
#define store4(v, p) vstore4((v), 0, (p))
#define store2(v, p) vstore2((v), 0, (p))

/* The first error of a step wins (status[NNCL_STATUS_CODE] == NNCL_DEV_OK
 * before it); codes and slots are in nncl_shared.h. NULL: not wanted. */
void report_status(__global int *status, int code, int row, int value)
{
    if (status && atomic_cmpxchg(&status[NNCL_STATUS_CODE], NNCL_DEV_OK, code) == NNCL_DEV_OK) {
        status[NNCL_STATUS_ROW] = row;
        status[NNCL_STATUS_VALUE] = value;
    }
}

/* y = act(x); sigmoid by sign so exp never overflows. Written once for
 * scalars and vectors through a macro that generates the typed variants
 * (act_f, act_v8, act_v16), as OpenCL C 1.2 has no overloading. */
#define DEFINE_ACT(NAME, T)                                          \
    T NAME(T x, int act)                                             \
    {                                                                \
        switch (act) {                                               \
        case NNCL_ACT_ID_SIGMOID: {                                  \
            T e = exp(-fabs(x));                                     \
            T s = (T)1.0f / ((T)1.0f + e);                           \
            return x >= (T)0.0f ? s : (T)1.0f - s;                   \
        }                                                            \
        case NNCL_ACT_ID_TANH: return tanh(x);                       \
        case NNCL_ACT_ID_RELU: return fmax(x, (T)0.0f);              \
        case NNCL_ACT_ID_LEAKY_RELU:                                 \
            return x > (T)0.0f ? x : x * NNCL_LEAKY_SLOPE;           \
        default: return x;                                           \
        }                                                            \
    }
DEFINE_ACT(act_f, float)
DEFINE_ACT(act_v8, float8)
DEFINE_ACT(act_v16, float16)

/* dact/dz expressed through the output y = act(z), so backward needs only Y:
 * sigmoid y(1-y), tanh 1-y², relu [y>0], leaky [y>0] + slope·[y<=0]. */
#define DEFINE_ACT_GRAD(NAME, T)                                         \
    T NAME(T y, int act)                                                 \
    {                                                                    \
        switch (act) {                                                   \
        case NNCL_ACT_ID_SIGMOID: return y * ((T)1.0f - y);              \
        case NNCL_ACT_ID_TANH: return (T)1.0f - y * y;                   \
        case NNCL_ACT_ID_RELU: return y > (T)0.0f ? (T)1.0f : (T)0.0f;   \
        case NNCL_ACT_ID_LEAKY_RELU:                                     \
            return y > (T)0.0f ? (T)1.0f : (T)NNCL_LEAKY_SLOPE;          \
        default: return (T)1.0f;                                         \
        }                                                                \
    }
DEFINE_ACT_GRAD(act_grad_f, float)
DEFINE_ACT_GRAD(act_grad_v8, float8)
DEFINE_ACT_GRAD(act_grad_v16, float16)

WG_1D __kernel void fill(__global float *x, uint offset, uint ld, uint rows, uint cols, float value)
{
    size_t col = get_global_id(0), row = get_global_id(1);
    if (col >= cols || row >= rows) return;
    x[offset + row * ld + col] = value;
}

/* Y = act(X), elementwise (Y may be X). */
WG_1D __kernel void act_forward(__global const float *x, uint x_off, uint x_ld,
                                __global float *y, uint y_off, uint y_ld, uint rows, uint cols,
                                int act)
{
    size_t col = get_global_id(0), row = get_global_id(1);
    if (col >= cols || row >= rows) return;
    y[y_off + row * y_ld + col] = act_f(x[x_off + row * x_ld + col], act);
}

/* Backward through act for a dense layer, one work-item per column:
 *   dZ = dY ⊙ act'(Y)   (written over dY)
 *   db = Σ_rows dZ       (summed in row order: the same bits every run)
 * db may be absent (has_bias = 0). */
WG_1D __kernel void act_backward_bias(__global float *dy, uint dy_off, uint dy_ld,
                                      __global const float *y, uint y_off, uint y_ld,
                                      uint rows, uint cols, int act,
                                      __global float *db, uint db_off, int has_bias)
{
    size_t col = get_global_id(0);
    if (col >= cols) return;
    float sum = 0.0f;
    for (uint row = 0; row < rows; row++) {
        size_t i = dy_off + row * dy_ld + col;
        float dz = dy[i] * act_grad_f(y[y_off + row * y_ld + col], act);
        dy[i] = dz;
        sum += dz;
    }
    if (has_bias) db[db_off + col] = sum;
}

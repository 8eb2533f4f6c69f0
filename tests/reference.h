/* Plain-C double-precision references for the ops, used by the tests. */
#ifndef NNCL_REFERENCE_H
#define NNCL_REFERENCE_H

#include <math.h>
#include <stddef.h>

static inline double ref_act(double x, int act)
{
    switch (act) {
    case 1: return 1.0 / (1.0 + exp(-x));
    case 2: return tanh(x);
    case 3: return x > 0 ? x : 0;
    case 4: return x > 0 ? x : 0.01 * x;
    default: return x;
    }
}

/* C (M x N) = act(alpha·op(A)·op(B) + beta·C0 + bias); A, B row-major as stored. */
static inline void ref_gemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
                            const float *A, const float *B, double beta, const float *C0,
                            const float *bias, int act, double *C)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0;
            for (size_t k = 0; k < K; k++) {
                double a = ta ? A[k * M + i] : A[i * K + k];
                double b = tb ? B[j * K + k] : B[k * N + j];
                s += a * b;
            }
            s = alpha * s + (C0 ? beta * C0[i * N + j] : 0) + (bias ? bias[j] : 0);
            C[i * N + j] = ref_act(s, act);
        }
}

#endif

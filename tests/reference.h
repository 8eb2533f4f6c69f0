/* SPDX-License-Identifier: MIT */
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

/* A dense model in double on the host: the mean loss of params on (X, Y), as
 * nncl defines it (mse over every output; bce from logits; softmax-ce with Y
 * holding class indices). Layer l: W at offset, in x out, then b. */
typedef struct {
    size_t inputs, n_layers, units[8];
    int act[8];
    int loss; /* 0 mse, 1 bce, 2 softmax-ce */
} ref_model;

static inline double ref_model_loss(const ref_model *m, const double *params, const float *X,
                                    const float *Y, size_t rows)
{
    double total = 0;
    double a[64], z[64];
    size_t last = m->n_layers - 1;
    for (size_t r = 0; r < rows; r++) {
        size_t in = m->inputs, off = 0;
        for (size_t i = 0; i < in; i++) a[i] = X[r * in + i];
        for (size_t l = 0; l < m->n_layers; l++) {
            size_t out = m->units[l];
            const double *W = params + off, *b = params + off + in * out;
            for (size_t j = 0; j < out; j++) {
                double s = b[j];
                for (size_t i = 0; i < in; i++) s += a[i] * W[i * out + j];
                z[j] = s;
            }
            int logits = l == last && m->loss != 0;
            for (size_t j = 0; j < out; j++) a[j] = logits ? z[j] : ref_act(z[j], m->act[l]);
            off += in * out + out;
            in = out;
        }
        size_t out = m->units[last];
        if (m->loss == 2) {
            double mx = a[0], s = 0;
            for (size_t j = 1; j < out; j++) mx = a[j] > mx ? a[j] : mx;
            for (size_t j = 0; j < out; j++) s += exp(a[j] - mx);
            total += mx + log(s) - a[(size_t)Y[r]];
        } else {
            for (size_t j = 0; j < out; j++) {
                double t = Y[r * out + j], x = a[j];
                total += m->loss == 1 ? (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)))
                                      : (x - t) * (x - t);
            }
        }
    }
    return total / (double)(m->loss == 2 ? rows : rows * m->units[last]);
}

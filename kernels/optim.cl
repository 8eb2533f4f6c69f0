/* SPDX-License-Identifier: MIT */
/* One optimizer launch updates every parameter of a model: params, grads and
 * the state buffers m and v are flat and the same length. Scalars that depend
 * on the step (learning rate by schedule, Adam's bias corrections) are
 * computed on the host and passed in, so no read-back is needed.
 *
 * kind is one of nncl_shared.h's NNCL_OPTIM_ID_* (SGD, momentum, Nesterov
 * momentum, Adam, AdamW). If a kernel of this step flagged bad input (the
 * status word's code is not NNCL_DEV_OK) nothing is updated, so a bad batch
 * never corrupts the weights (status NULL: no check); the first launch that
 * skips records step_tag in the status word (NNCL_STATUS_STEP). */

/* The update of one parameter (T float) or sixteen (T float16) at index i,
 * written once and generated for both types, as OpenCL C 1.2 has no
 * overloading. inv_bc1 = 1/(1-β1^t), inv_sqrt_bc2 = 1/sqrt(1-β2^t); m is
 * touched only by the rules that keep a first moment, v only by Adam and
 * AdamW. */
#define DEFINE_OPTIM_UPDATE(NAME, T, LOAD, STORE)                                                   \
    INLINE_FUNC void NAME(__global float *w, __global const float *g, __global float *m,           \
                          __global float *v, uint i, int kind, float lr, float momentum,            \
                          float beta1, float beta2, float eps, float weight_decay, float inv_bc1,   \
                          float inv_sqrt_bc2)                                                       \
    {                                                                                               \
        T grad = LOAD(g, i), wi = LOAD(w, i);                                                       \
        if (kind <= NNCL_OPTIM_ID_NESTEROV) { /* the SGD family: the ids up to Nesterov */          \
            grad += weight_decay * wi; /* L2 regularisation for the SGD family */                   \
            if (kind == NNCL_OPTIM_ID_SGD) {                                                        \
                STORE(wi - lr * grad, w, i);                                                        \
            } else {                                                                                \
                T mi = momentum * LOAD(m, i) + grad; /* velocity */                                 \
                STORE(mi, m, i);                                                                    \
                STORE(wi - lr * (kind == NNCL_OPTIM_ID_NESTEROV ? grad + momentum * mi : mi), w, i); \
            }                                                                                       \
        } else {                                                                                    \
            if (kind == NNCL_OPTIM_ID_ADAM) grad += weight_decay * wi; /* Adam: L2 in the gradient */ \
            T mi = beta1 * LOAD(m, i) + (1.0f - beta1) * grad;                                      \
            T vi = beta2 * LOAD(v, i) + (1.0f - beta2) * grad * grad;                               \
            STORE(mi, m, i);                                                                        \
            STORE(vi, v, i);                                                                        \
            T update = mi * inv_bc1 / (sqrt(vi) * inv_sqrt_bc2 + eps);                              \
            if (kind == NNCL_OPTIM_ID_ADAMW) update += weight_decay * wi; /* AdamW: decoupled */    \
            STORE(wi - lr * update, w, i);                                                          \
        }                                                                                           \
    }
#define LOAD1(p, i) (p)[i]
#define STORE1(x, p, i) ((p)[i] = (x))
#define LOAD16(p, i) vload16(0, (p) + (i))
#define STORE16(x, p, i) store16((x), (p) + (i))
DEFINE_OPTIM_UPDATE(optim_update_f, float, LOAD1, STORE1)
DEFINE_OPTIM_UPDATE(optim_update_v16, float16, LOAD16, STORE16)

/* Each work-item updates NNCL_OPTIM_PER_ITEM (16) consecutive parameters as
 * one float16 (one AVX-512 register; measured faster than float8 on PoCL,
 * docs/PERFORMANCE.md); the last, short group one parameter at a time. */
WG_1D __kernel void optim_update(__global float *w, uint w_off, __global const float *g, uint g_off,
                                 __global float *m, uint m_off, __global float *v, uint v_off,
                                 uint n, int kind,
                                 float lr, float momentum, float beta1, float beta2, float eps,
                                 float weight_decay, float bc1, float bc2, uint step_tag,
                                 __global int *status)
{
    uint i0 = get_global_id(0) * NNCL_OPTIM_PER_ITEM;
    if (status && status[NNCL_STATUS_CODE] != NNCL_DEV_OK) {
        if (get_global_id(0) == 0) atomic_cmpxchg(&status[NNCL_STATUS_STEP], 0, (int)step_tag);
        return;
    }
    if (i0 >= n) return;
    /* m̂ / (sqrt(v̂) + eps) with one division and one square root per element,
     * as PyTorch computes it: divisions and roots are what bound this kernel. */
    const float inv_bc1 = 1.0f / bc1, inv_sqrt_bc2 = 1.0f / sqrt(bc2);
    w += w_off;
    g += g_off;
    m += m_off;
    v += v_off;
    if (i0 + NNCL_OPTIM_PER_ITEM <= n) {
        optim_update_v16(w, g, m, v, i0, kind, lr, momentum, beta1, beta2, eps, weight_decay, inv_bc1,
                        inv_sqrt_bc2);
    } else {
        for (uint i = i0; i < n; i++)
            optim_update_f(w, g, m, v, i, kind, lr, momentum, beta1, beta2, eps, weight_decay, inv_bc1,
                           inv_sqrt_bc2);
    }
}

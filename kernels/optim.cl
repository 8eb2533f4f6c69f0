/* One optimizer launch updates every parameter of a model: params, grads and
 * the state buffers m and v are flat and the same length. Scalars that depend
 * on the step (learning rate by schedule, Adam's bias corrections) are
 * computed on the host and passed in, so no read-back is needed.
 *
 * kind: 0 SGD, 1 momentum, 2 Nesterov momentum, 3 Adam, 4 AdamW.
 * If a kernel of this step flagged bad input (status[0] != 0) nothing is
 * updated, so a bad batch never corrupts the weights (status NULL: no check). */
/* The update of one element (T float) or eight (T float8), written once. */
#define OPTIM_BODY(T, LOAD, STORE, I)                                               \
    {                                                                               \
        T grad = LOAD(g, I), wi = LOAD(w, I);                                       \
        if (kind <= 2) {                                                            \
            grad += weight_decay * wi; /* L2 regularisation for the SGD family */   \
            if (kind == 0) {                                                        \
                STORE(wi - lr * grad, w, I);                                        \
            } else {                                                                \
                T mi = momentum * LOAD(m, I) + grad; /* velocity */                 \
                STORE(mi, m, I);                                                    \
                STORE(wi - lr * (kind == 2 ? grad + momentum * mi : mi), w, I);     \
            }                                                                       \
        } else {                                                                    \
            if (kind == 3) grad += weight_decay * wi; /* Adam: L2 in the gradient */ \
            T mi = beta1 * LOAD(m, I) + (1.0f - beta1) * grad;                      \
            T vi = beta2 * LOAD(v, I) + (1.0f - beta2) * grad * grad;               \
            STORE(mi, m, I);                                                        \
            STORE(vi, v, I);                                                        \
            T update = mi * inv_bc1 / (sqrt(vi) * inv_sqrt_bc2 + eps);              \
            if (kind == 4) update += weight_decay * wi; /* AdamW: decoupled */      \
            STORE(wi - lr * update, w, I);                                          \
        }                                                                           \
    }
#define LOAD1(p, i) (p)[i]
#define STORE1(x, p, i) ((p)[i] = (x))
#define LOAD8(p, i) vload8(0, (p) + (i))
#define STORE8(x, p, i) vstore8((x), 0, (p) + (i))

/* Each work-item updates 8 consecutive parameters (the last one fewer). */
WG_1D __kernel void optim_update(__global float *w, uint w_off, __global const float *g, uint g_off,
                                 __global float *m, uint m_off, __global float *v, uint v_off,
                                 uint n, int kind,
                                 float lr, float momentum, float beta1, float beta2, float eps,
                                 float weight_decay, float bc1, float bc2,
                                 __global const int *status)
{
    uint i0 = get_global_id(0) * 8;
    if (i0 >= n || (status && status[0] != 0)) return;
    /* m̂ / (sqrt(v̂) + eps) with one division and one square root per element,
     * as PyTorch computes it: divisions and roots are what bound this kernel. */
    const float inv_bc1 = 1.0f / bc1, inv_sqrt_bc2 = 1.0f / sqrt(bc2);
    w += w_off;
    g += g_off;
    m += m_off;
    v += v_off;
    if (i0 + 8 <= n) {
        OPTIM_BODY(float8, LOAD8, STORE8, i0)
    } else {
        for (uint i = i0; i < n; i++) OPTIM_BODY(float, LOAD1, STORE1, i)
    }
}

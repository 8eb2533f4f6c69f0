/* One optimizer launch updates every parameter of a model: params, grads and
 * the state buffers m and v are flat and the same length. Scalars that depend
 * on the step (learning rate by schedule, Adam's bias corrections) are
 * computed on the host and passed in, so no read-back is needed.
 *
 * kind is one of nncl_shared.h's NNCL_OPTIM_ID_* (SGD, momentum, Nesterov
 * momentum, Adam, AdamW). If a kernel of this step flagged bad input (the
 * status word's code is not NNCL_DEV_OK) nothing is updated, so a bad batch
 * never corrupts the weights (status NULL: no check). m is touched only by
 * the rules that keep a first moment, v only by Adam and AdamW. */

/* The step's hyper-parameters; inv_bc1 = 1/(1-β1^t), inv_sqrt_bc2 = 1/sqrt(1-β2^t). */
typedef struct {
    int kind;
    float lr, momentum, beta1, beta2, eps, weight_decay, inv_bc1, inv_sqrt_bc2;
} optim_hyper;

INLINE_FUNC int keeps_m(int kind) { return kind != NNCL_OPTIM_ID_SGD; }
INLINE_FUNC int keeps_v(int kind) { return kind == NNCL_OPTIM_ID_ADAM || kind == NNCL_OPTIM_ID_ADAMW; }

/* The update rule, once, on eight parameters in registers: returns the new
 * weights and updates the state *m, *v of the rules that keep it. */
INLINE_FUNC float8 optim_rule(float8 wi, float8 grad, float8 *m, float8 *v, const optim_hyper *h)
{
    const int kind = h->kind;
    if (kind == NNCL_OPTIM_ID_SGD || kind == NNCL_OPTIM_ID_MOMENTUM || kind == NNCL_OPTIM_ID_NESTEROV) {
        grad += h->weight_decay * wi; /* L2 regularisation for the SGD family */
        if (kind == NNCL_OPTIM_ID_SGD) return wi - h->lr * grad;
        float8 mi = h->momentum * *m + grad; /* velocity */
        *m = mi;
        return wi - h->lr * (kind == NNCL_OPTIM_ID_NESTEROV ? grad + h->momentum * mi : mi);
    }
    if (kind == NNCL_OPTIM_ID_ADAM) grad += h->weight_decay * wi; /* Adam: L2 in the gradient */
    float8 mi = h->beta1 * *m + (1.0f - h->beta1) * grad;
    float8 vi = h->beta2 * *v + (1.0f - h->beta2) * grad * grad;
    *m = mi;
    *v = vi;
    float8 update = mi * h->inv_bc1 / (sqrt(vi) * h->inv_sqrt_bc2 + h->eps);
    if (kind == NNCL_OPTIM_ID_ADAMW) update += h->weight_decay * wi; /* AdamW: decoupled */
    return wi - h->lr * update;
}

/* Each work-item updates NNCL_OPTIM_PER_ITEM (8) consecutive parameters as
 * one float8; the last, short group goes through the same rule in a
 * zero-padded vector, of which only the parameters below n are stored. */
WG_1D __kernel void optim_update(__global float *w, uint w_off, __global const float *g, uint g_off,
                                 __global float *m, uint m_off, __global float *v, uint v_off,
                                 uint n, int kind,
                                 float lr, float momentum, float beta1, float beta2, float eps,
                                 float weight_decay, float bc1, float bc2,
                                 __global const int *status)
{
    uint i0 = get_global_id(0) * NNCL_OPTIM_PER_ITEM;
    if (i0 >= n || (status && status[NNCL_STATUS_CODE] != NNCL_DEV_OK)) return;
    /* m̂ / (sqrt(v̂) + eps) with one division and one square root per element,
     * as PyTorch computes it: divisions and roots are what bound this kernel. */
    const optim_hyper h = {kind, lr, momentum, beta1, beta2, eps, weight_decay, 1.0f / bc1, 1.0f / sqrt(bc2)};
    const int with_m = keeps_m(kind), with_v = keeps_v(kind);
    w += w_off + i0;
    g += g_off + i0;
    m += m_off + i0;
    v += v_off + i0;
    if (i0 + NNCL_OPTIM_PER_ITEM <= n) {
        float8 mi = with_m ? vload8(0, m) : (float8)0.0f, vi = with_v ? vload8(0, v) : (float8)0.0f;
        vstore8(optim_rule(vload8(0, w), vload8(0, g), &mi, &vi, &h), 0, w);
        if (with_m) vstore8(mi, 0, m);
        if (with_v) vstore8(vi, 0, v);
        return;
    }
    const uint count = n - i0; /* 1 .. 7 */
    float wt[NNCL_OPTIM_PER_ITEM], gt[NNCL_OPTIM_PER_ITEM], mt[NNCL_OPTIM_PER_ITEM], vt[NNCL_OPTIM_PER_ITEM];
    for (uint t = 0; t < NNCL_OPTIM_PER_ITEM; t++) {
        wt[t] = t < count ? w[t] : 0.0f;
        gt[t] = t < count ? g[t] : 0.0f;
        mt[t] = with_m && t < count ? m[t] : 0.0f;
        vt[t] = with_v && t < count ? v[t] : 0.0f;
    }
    float8 mi = vload8(0, mt), vi = vload8(0, vt);
    vstore8(optim_rule(vload8(0, wt), vload8(0, gt), &mi, &vi, &h), 0, wt);
    vstore8(mi, 0, mt);
    vstore8(vi, 0, vt);
    for (uint t = 0; t < count; t++) {
        w[t] = wt[t];
        if (with_m) m[t] = mt[t];
        if (with_v) v[t] = vt[t];
    }
}

/* One optimizer launch updates every parameter of a model: params, grads and
 * the state buffers m and v are flat and the same length. Scalars that depend
 * on the step (learning rate by schedule, Adam's bias corrections) are
 * computed on the host and passed in, so no read-back is needed.
 *
 * kind: 0 SGD, 1 momentum, 2 Nesterov momentum, 3 Adam, 4 AdamW.
 * If a kernel of this step flagged bad input (status[0] != 0) nothing is
 * updated, so a bad batch never corrupts the weights. */
__kernel void optim_update(__global float *w, uint w_off, __global const float *g, uint g_off,
                           __global float *m, uint m_off, __global float *v, uint v_off,
                           uint n, int kind,
                           float lr, float momentum, float beta1, float beta2, float eps,
                           float weight_decay, float bc1, float bc2,
                           __global const int *status)
{
    uint i = get_global_id(0);
    if (i >= n || status[0] != 0) return;
    w += w_off;
    g += g_off;
    m += m_off;
    v += v_off;
    float grad = g[i];
    float wi = w[i];
    if (kind <= 2) {
        grad += weight_decay * wi; /* L2 regularisation for the SGD family */
        if (kind == 0) {
            w[i] = wi - lr * grad;
            return;
        }
        float mi = momentum * m[i] + grad;      /* velocity */
        m[i] = mi;
        w[i] = wi - lr * (kind == 2 ? grad + momentum * mi : mi);
        return;
    }
    if (kind == 3) grad += weight_decay * wi;  /* Adam: L2 in the gradient */
    float mi = beta1 * m[i] + (1.0f - beta1) * grad;
    float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
    m[i] = mi;
    v[i] = vi;
    float update = (mi / bc1) / (sqrt(vi / bc2) + eps);
    if (kind == 4) update += weight_decay * wi; /* AdamW: decoupled decay */
    w[i] = wi - lr * update;
}

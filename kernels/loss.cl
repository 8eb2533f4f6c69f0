/* Losses: per-row loss and correctness plus the gradient with respect to the
 * model's last pre-activation (or output, for MSE). One work-item per row.
 * The mean over the batch is taken by sum_accumulate (reduce.cl) in row order,
 * so it is the same every run. `scale` is 1 / (number of loss terms). */

/* Softmax cross-entropy from logits Z (rows x classes), labels as floats
 * holding class indices. loss = logsumexp(z) - z[y]; dZ = (softmax(z) - onehot)·scale.
 * grad may alias Z's buffer (probabilities are then written over the logits
 * when want_grad = 0 and want_probs = 1). */
WG_1D __kernel void softmax_ce(__global float *z, uint z_off, uint z_ld, uint classes,
                         __global const float *labels, uint lab_off, uint lab_ld, int has_labels,
                         __global float *grad, uint g_off, uint g_ld, int want_grad,
                         int want_probs, float scale,
                         __global float *row_loss, __global float *row_correct,
                         __global int *status, uint rows)
{
    uint row = get_global_id(0);
    if (row >= rows) return;
    __global float *zr = z + z_off + (size_t)row * z_ld;
    float mx = zr[0];
    uint arg = 0;
    for (uint c = 1; c < classes; c++)
        if (zr[c] > mx) { mx = zr[c]; arg = c; }
    float sum = 0.0f;
    for (uint c = 0; c < classes; c++) sum += exp(zr[c] - mx);
    float lse = mx + log(sum);
    int label = -1;
    if (has_labels) {
        float lf = labels[lab_off + (size_t)row * lab_ld];
        label = (int)lf;
        if (!(lf >= 0.0f) || lf >= (float)classes || (float)label != lf) {
            report_status(status, NNCL_DEV_BAD_LABEL, (int)row, as_int(lf));
            label = -1;
        }
    }
    if (label >= 0) {
        float loss = lse - zr[label];
        if (!isfinite(loss)) report_status(status, NNCL_DEV_NONFINITE_LOSS, (int)row, 0);
        row_loss[row] = loss;
        row_correct[row] = arg == (uint)label ? 1.0f : 0.0f;
    } else {
        row_loss[row] = 0.0f;
        row_correct[row] = 0.0f;
    }
    __global float *gr = grad + g_off + (size_t)row * g_ld;
    for (uint c = 0; c < classes; c++) {
        float p = exp(zr[c] - lse);
        if (want_grad) gr[c] = (p - (c == (uint)label ? 1.0f : 0.0f)) * scale;
        else if (want_probs) gr[c] = p;
    }
}

/* Binary cross-entropy from logits, elementwise over rows x cols:
 * loss = max(z,0) - z·t + log1p(exp(-|z|)); dZ = (sigmoid(z) - t)·scale.
 * A prediction is correct when (z > 0) == (t > 0.5). */
WG_1D __kernel void bce_logits(__global const float *z, uint z_off, uint z_ld, uint cols,
                         __global const float *t, uint t_off, uint t_ld,
                         __global float *grad, uint g_off, uint g_ld, int want_grad, float scale,
                         __global float *row_loss, __global float *row_correct,
                         __global int *status, uint rows)
{
    uint row = get_global_id(0);
    if (row >= rows) return;
    float loss = 0.0f, correct = 0.0f;
    for (uint c = 0; c < cols; c++) {
        float x = z[z_off + (size_t)row * z_ld + c];
        float target = t[t_off + (size_t)row * t_ld + c];
        if (!(target >= 0.0f && target <= 1.0f))
            report_status(status, NNCL_DEV_BAD_TARGET, (int)row, as_int(target));
        loss += fmax(x, 0.0f) - x * target + log1p(exp(-fabs(x)));
        correct += (x > 0.0f) == (target > 0.5f) ? 1.0f : 0.0f;
        if (want_grad) grad[g_off + (size_t)row * g_ld + c] = (act_f(x, 1) - target) * scale;
    }
    if (!isfinite(loss)) report_status(status, NNCL_DEV_NONFINITE_LOSS, (int)row, 0);
    row_loss[row] = loss;
    row_correct[row] = correct;
}

/* Mean squared error on outputs Y: loss = (y - t)², dY = 2(y - t)·scale.
 * A prediction is correct when (y > 0.5) == (t > 0.5). */
WG_1D __kernel void mse(__global const float *y, uint y_off, uint y_ld, uint cols,
                  __global const float *t, uint t_off, uint t_ld,
                  __global float *grad, uint g_off, uint g_ld, int want_grad, float scale,
                  __global float *row_loss, __global float *row_correct,
                  __global int *status, uint rows)
{
    uint row = get_global_id(0);
    if (row >= rows) return;
    float loss = 0.0f, correct = 0.0f;
    for (uint c = 0; c < cols; c++) {
        float out = y[y_off + (size_t)row * y_ld + c];
        float target = t[t_off + (size_t)row * t_ld + c];
        float d = out - target;
        loss += d * d;
        correct += (out > 0.5f) == (target > 0.5f) ? 1.0f : 0.0f;
        if (want_grad) grad[g_off + (size_t)row * g_ld + c] = 2.0f * d * scale;
    }
    if (!isfinite(loss)) report_status(status, NNCL_DEV_NONFINITE_LOSS, (int)row, 0);
    row_loss[row] = loss;
    row_correct[row] = correct;
}

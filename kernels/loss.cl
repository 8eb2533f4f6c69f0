/* SPDX-License-Identifier: MIT */
/* Losses: per-row loss and correctness plus the gradient with respect to the
 * model's last pre-activation. One work-item per row. The mean over the batch
 * is taken by sum_accumulate (reduce.cl) in row order, so it is the same every
 * run. `scale` is 1 / (number of loss terms). loss_head, at the end, is a
 * training step's last layers and their loss in one launch.
 *
 * softmax_ce and elementwise_loss take the same arguments (host/ops/loss.c
 * sets them in one list):
 *   kind, act      the loss (NNCL_LOSS_ID_MSE or _BCE; softmax_ce ignores it)
 *                  and, for mse, the output activation that made Z, so that
 *                  dZ is taken through it;
 *   z, t           outputs and targets (softmax_ce: t holds class indices as
 *                  floats, one per row; has_t 0 means no targets);
 *   tn, has_tn     mse with standardised targets: 2·cols floats from tn_off,
 *                  a scale and a shift per column, each target read as
 *                  t·scale + shift (has_tn 0: as it is; softmax_ce ignores it);
 *   out, what      what goes to out (NNCL_LOSS_OUT_*): nothing, the gradient,
 *                  or the probabilities (softmax_ce; out may then be z itself);
 *   row_loss and row_correct (both from rl_off), status: each may be NULL. */

/* softmax_ce's label when a row has none, or a bad one. */
#define NO_LABEL (-1)

/* Per-row results, where wanted. */
void put_row(__global float *row_loss, uint rl_off, __global float *row_correct, uint row,
             float loss, float correct)
{
    if (row_loss) row_loss[rl_off + row] = loss;
    if (row_correct) row_correct[rl_off + row] = correct;
}

/* Logits c0 .. c0+16 of a row as one float16, lanes from `cols` on set to
 * `fill`. `room`: the 16 floats from c0 lie inside the matrix (a later row
 * follows), so one vector load and a select do; else load16_edge reads only
 * the row's own, as the row may end the buffer. */
INLINE_FUNC float16 logits16(__global const float *zr, uint c0, uint cols, float fill, int room)
{
    if (c0 + 16 <= cols) return vload16(0, zr + c0);
    const float16 v = room ? vload16(0, zr + c0) : load16_edge(zr + c0, cols - c0);
    return first_lanes16(v, cols - c0, fill);
}

INLINE_FUNC float max16(float16 v)
{
    float8 a = fmax(v.lo, v.hi);
    float4 b = fmax(a.lo, a.hi);
    float2 c = fmax(b.lo, b.hi);
    return fmax(c.x, c.y);
}

INLINE_FUNC float sum16(float16 v)
{
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
}

/* The class index a row's target lf holds, or NO_LABEL (reported as a bad
 * label) when it is not an integer in [0, cols). */
INLINE_FUNC int class_label(float lf, uint cols, uint row, __global int *status)
{
    const int label = (int)lf;
    if (!(lf >= 0.0f) || lf >= (float)cols || (float)label != lf) {
        report_status(status, NNCL_DEV_BAD_LABEL, (int)row, as_int(lf));
        return NO_LABEL;
    }
    return label;
}

/* A softmax-ce row's results from its log-sum-exp: loss lse - z[label]
 * (z_label) and correct when the first maximum, arg, is the label; 0 and 0
 * without a label. */
INLINE_FUNC void put_ce_row(__global float *row_loss, uint rl_off, __global float *row_correct, uint row,
                            __global int *status, float lse, float z_label, uint arg, int label)
{
    if (label == NO_LABEL) {
        put_row(row_loss, rl_off, row_correct, row, 0.0f, 0.0f);
        return;
    }
    const float loss = lse - z_label;
    if (!isfinite(loss)) report_status(status, NNCL_DEV_NONFINITE_LOSS, (int)row, 0);
    put_row(row_loss, rl_off, row_correct, row, loss, arg == (uint)label ? 1.0f : 0.0f);
}

/* dZ of logits c0 .. c0+16 from their probabilities p: (p - onehot)·scale,
 * the 1 in the label's lane (none for NO_LABEL). */
INLINE_FUNC float16 ce_grad16(float16 p, uint c0, int label, float scale)
{
    const float16 lane = (float16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return (p - select((float16)0.0f, (float16)1.0f, lane + (float)c0 == (float16)(float)label)) * scale;
}

/* Softmax cross-entropy from logits: loss = logsumexp(z) - z[y];
 * dZ = (softmax(z) - onehot(y))·scale. A row is taken sixteen logits at a
 * time as one float16 (one AVX-512 register; a logit per step kept PoCL's
 * exp scalar), the lanes past the row's end masked: -inf for the maximum,
 * 0 for the sum, not stored. */
WG_1D __kernel void softmax_ce(int kind, int act, __global float *z, uint z_off, uint z_ld, uint cols,
                               __global const float *t, uint t_off, uint t_ld, int has_t,
                               __global const float *tn, uint tn_off, int has_tn,
                               __global float *out, uint o_off, uint o_ld, int what, float scale,
                               __global float *row_loss, uint rl_off, __global float *row_correct,
                               __global int *status, uint rows)
{
    uint row = get_global_id(0);
    if (row >= rows) return;
    __global float *zr = z + z_off + (size_t)row * z_ld;
    /* the row's last chunk can be read whole: the matrix goes on past it */
    const int room = (size_t)row * z_ld + ((cols + 15) / 16) * 16 <= (size_t)(rows - 1) * z_ld + cols;
    float16 m16 = (float16)(-INFINITY);
    for (uint c0 = 0; c0 < cols; c0 += 16) m16 = fmax(m16, logits16(zr, c0, cols, -INFINITY, room));
    float mx = max16(m16);
    uint arg = 0; /* the first index of the maximum */
    while (arg + 1 < cols && zr[arg] != mx) arg++;
    float16 s16 = (float16)0.0f;
    for (uint c0 = 0; c0 < cols; c0 += 16) s16 += exp(logits16(zr, c0, cols, -INFINITY, room) - mx);
    float lse = mx + log(sum16(s16));
    const int label = has_t ? class_label(t[t_off + (size_t)row * t_ld], cols, row, status) : NO_LABEL;
    put_ce_row(row_loss, rl_off, row_correct, row, status, lse, label != NO_LABEL ? zr[label] : 0.0f, arg, label);
    if (what != NNCL_LOSS_OUT_GRAD && what != NNCL_LOSS_OUT_PROBS) return;
    __global float *o = out + o_off + (size_t)row * o_ld;
    for (uint c0 = 0; c0 < cols; c0 += 16) {
        float16 p = exp(logits16(zr, c0, cols, 0.0f, room) - lse);
        if (what == NNCL_LOSS_OUT_GRAD) p = ce_grad16(p, c0, label, scale);
        store16_upto(p, o + c0, cols - c0);
    }
}

/* The elementwise losses, summed over a row's outputs:
 *  bce from logits: loss = max(z,0) - z·t + log1p(exp(-|z|)),
 *                   dZ = (sigmoid(z) - t)·scale, correct when (z > 0) == (t > 0.5);
 *  mse on outputs y = act(pre-activation): loss = (y - t)²,
 *                   dZ = 2(y - t)·act'(y)·scale, correct when (y > 0.5) == (t > 0.5).
 * elementwise_term takes one output x against its target: adds to *loss and
 * *correct and returns dZ before the scale (the same expressions for
 * elementwise_loss and loss_head, so the same bits). */
INLINE_FUNC float elementwise_term(int kind, int act, float x, float target, uint row, __global int *status,
                                   float *loss, float *correct)
{
    if (kind == NNCL_LOSS_ID_BCE) {
        if (!(target >= 0.0f && target <= 1.0f)) report_status(status, NNCL_DEV_BAD_TARGET, (int)row, as_int(target));
        *loss += fmax(x, 0.0f) - x * target + log1p(exp(-fabs(x)));
        *correct += (x > 0.0f) == (target > 0.5f) ? 1.0f : 0.0f;
        return act_f(x, NNCL_ACT_ID_SIGMOID) - target;
    }
    float d = x - target;
    *loss += d * d;
    *correct += (x > 0.5f) == (target > 0.5f) ? 1.0f : 0.0f;
    return 2.0f * d * act_grad_f(x, act);
}

/* Target (row, c), through the standardisation when has_tn. */
INLINE_FUNC float target_at(__global const float *t, uint t_off, uint t_ld, uint row, uint c, uint cols,
                            __global const float *tn, uint tn_off, int has_tn)
{
    float target = t[t_off + (size_t)row * t_ld + c];
    if (has_tn) target = target * tn[tn_off + c] + tn[tn_off + cols + c];
    return target;
}

WG_1D __kernel void elementwise_loss(int kind, int act, __global float *z, uint z_off, uint z_ld,
                                     uint cols, __global const float *t, uint t_off, uint t_ld,
                                     int has_t, __global const float *tn, uint tn_off, int has_tn,
                                     __global float *out, uint o_off, uint o_ld, int what,
                                     float scale, __global float *row_loss, uint rl_off,
                                     __global float *row_correct, __global int *status, uint rows)
{
    uint row = get_global_id(0);
    if (row >= rows) return;
    float loss = 0.0f, correct = 0.0f;
    for (uint c = 0; c < cols; c++) {
        const float g = elementwise_term(kind, act, z[z_off + (size_t)row * z_ld + c],
                                         target_at(t, t_off, t_ld, row, c, cols, tn, tn_off, has_tn), row, status,
                                         &loss, &correct);
        if (what == NNCL_LOSS_OUT_GRAD) out[o_off + (size_t)row * o_ld + c] = g * scale;
    }
    if (!isfinite(loss)) report_status(status, NNCL_DEV_NONFINITE_LOSS, (int)row, 0);
    put_row(row_loss, rl_off, row_correct, row, loss, correct);
}

/* A training step's last layers in one launch, for a model of at most
 * NNCL_HEAD_WIDTH outputs, taken 16 at a time as float16s (cols <= 64).
 * Each work-item takes NNCL_TM rows through
 * these steps in turn (each reads what the same work-item wrote):
 *   below: H = act_b(A·Wb + bb)      the forward product of the layer below
 *                                    (when has_below; else H is an input);
 *   Z  = act(H·W + b)                the outputs (logits for softmax-ce and
 *                                    bce), stored as the forward product
 *                                    stores them (z);
 *   the loss and dZ                  as softmax_ce or elementwise_loss give
 *                                    them (kind; targets t, standardised
 *                                    through tn when has_tn), into dz;
 *   dH = (dZ·Wᵀ) ⊙ dact'(H)          the dZ product (dh, and packed into q
 *                                    in q_tn-column panels: q_tn not 0);
 *   below: dA = (dH·Wbᵀ) ⊙ da'(A)    the layer below's dZ product (da, and
 *                                    qa when qa_tn is not 0).
 * It stands for those launches (host/model/step.c, model_head) and gives
 * their bits: each element is the same chain of fmas in k order through
 * the same epilogue, and the layer below's products are gemm.cl's own tile
 * code (gemm_accumulate, gemm_store). The weights come as pack_b_many left
 * them, in one buffer p: W at w_off in w_tn-column panels of in rows (w_tn
 * a multiple of 16, or 8 for one panel; zero past cols); Wᵀ at wt_off in
 * wt_tn-column panels of cols rows; Wb (a_cols x in) and Wbᵀ (in x a_cols)
 * at wb_off and wbt_off in NNCL_TN-column panels.
 * Biases b and bb are in params; wt_tn and q_tn are multiples of 16. */
#if NNCL_HEAD_WIDTH % 16
#error "loss_head takes a row's outputs 16 at a time"
#endif
/* The forward epilogue's activation on a row's outputs, at the GEMM's own
 * vector width (the same library calls, so the same bits). */
INLINE_FUNC float16 head_act(float16 v, int act)
{
#if NNCL_VW == 16
    return act_v16(v, act);
#else
    return (float16)(act_v8(v.lo, act), act_v8(v.hi, act));
#endif
}
#define HEAD_CHUNKS (NNCL_HEAD_WIDTH / 16)
/* Columns 16·ch .. 16·ch+15 of W's row k, W packed in w_tn-column panels of
 * in rows (w_tn 8: one panel, the upper half zero). */
INLINE_FUNC float16 head_weights(__global const float *w, uint w_tn, uint in, uint k, uint ch)
{
    if (w_tn == 8) return (float16)(vload8(0, w + (size_t)k * 8), (float8)0.0f);
    const uint c0 = ch * 16;
    return vload16(0, w + ((size_t)(c0 / w_tn) * in + k) * w_tn + c0 % w_tn);
}
/* Logits 16·ch .. 16·ch+15 of a row's outputs lv (cols of them), fill past
 * cols: what logits16 gives softmax_ce from memory. */
INLINE_FUNC float16 head_logits16(const float *lv, uint ch, uint cols, float fill)
{
    return first_lanes16(vload16(ch, lv), cols - ch * 16, fill);
}
GEMM_WG __kernel void loss_head(int kind, int act, __global const float *p, __global const float *params,
                                uint w_off, uint w_tn, uint wt_off, uint wt_tn, uint b_off, uint cols,
                                __global float *h, uint h_off, uint h_ld, uint in, int has_below,
                                __global const float *a, uint a_off, uint a_ld, uint a_cols, uint wb_off,
                                uint wbt_off, uint bb_off, int act_b, __global float *da, uint da_off, uint da_ld,
                                int da_act, __global float *qa, uint qa_off, uint qa_tn, __global const float *t,
                                uint t_off, uint t_ld, __global const float *tn, uint tn_off, int has_tn,
                                __global float *z, uint z_off, uint z_ld, __global float *dz, uint dz_off,
                                uint dz_ld, __global float *dh, uint dh_off, uint dh_ld, int dact,
                                __global float *q, uint q_off, uint q_tn, float scale, __global float *row_loss,
                                uint rl_off, __global float *row_correct, __global int *status, uint rows)
{
    const uint r0 = get_global_id(0) * NNCL_TM;
    if (r0 >= rows) return;
    const uint nr = min((uint)NNCL_TM, rows - r0);
    if (has_below) {
        for (uint j0 = 0; j0 < in; j0 += NNCL_TN) {
            floatT acc[NNCL_TM * NNCL_NV];
            gemm_accumulate(acc, rows, in, a_cols, 0, a_cols, rows, a + a_off, a_ld, p + wb_off, 0, r0, j0, 0, 1,
                            NNCL_TM, NNCL_NV, NNCL_HEAD_KU);
            gemm_store(acc, rows, in, r0, j0, 1.0f, 0.0f, h + h_off, h_ld, params + bb_off, 1, act_b, h, 0,
                       NNCL_ACT_ID_NONE, h, 0, NNCL_TM, NNCL_NV, 0);
        }
    }
    /* outputs: the forward product's accumulation, a float16 per 16
     * columns; rows past the batch read row r0 and are dropped */
    __global const float *w = p + w_off, *wt = p + wt_off;
    const uint chunks = (cols + 15) / 16;
    float16 acc[NNCL_TM][HEAD_CHUNKS];
    __global const float *hr[NNCL_TM];
    for (uint r = 0; r < NNCL_TM; r++) hr[r] = h + h_off + (size_t)(r0 + (r < nr ? r : 0)) * h_ld;
    for (uint ch = 0; ch < chunks; ch++) { /* a pass over k per 16 columns: one for most heads */
        float16 a[NNCL_TM];
        for (uint r = 0; r < NNCL_TM; r++) a[r] = (float16)0.0f;
        for (uint k = 0; k < in; k++) {
            const float16 wk = head_weights(w, w_tn, in, k, ch);
#pragma unroll
            for (uint r = 0; r < NNCL_TM; r++) a[r] = fma((float16)(hr[r][k]), wk, a[r]);
        }
        for (uint r = 0; r < NNCL_TM; r++) acc[r][ch] = a[r];
    }
    float bt[NNCL_HEAD_WIDTH];
    for (uint c = 0; c < chunks * 16; c++) bt[c] = c < cols ? params[b_off + c] : 0.0f;
    float gv[NNCL_TM][NNCL_HEAD_WIDTH]; /* each row's dZ, 0 in rows past the batch */
    for (uint r = 0; r < NNCL_TM; r++) {
        const uint row = r0 + r;
        if (r >= nr) {
            for (uint c = 0; c < cols; c++) gv[r][c] = 0.0f;
            continue;
        }
        float lv[NNCL_HEAD_WIDTH];
        for (uint ch = 0; ch < chunks; ch++) { /* the forward epilogue: act(alpha·acc + bias) */
            float16 out = 1.0f * acc[r][ch] + vload16(ch, bt);
            if (act != NNCL_ACT_ID_IDENTITY) out = head_act(out, act);
            vstore16(out, ch, lv);
        }
        for (uint c = 0; c < cols; c++) z[z_off + (size_t)row * z_ld + c] = lv[c];
        if (kind != NNCL_LOSS_ID_SOFTMAX_CE) { /* elementwise_loss's arithmetic */
            float loss = 0.0f, correct = 0.0f;
            for (uint c = 0; c < cols; c++) {
                const float target = target_at(t, t_off, t_ld, row, c, cols, tn, tn_off, has_tn);
                gv[r][c] = elementwise_term(kind, act, lv[c], target, row, status, &loss, &correct) * scale;
            }
            if (!isfinite(loss)) report_status(status, NNCL_DEV_NONFINITE_LOSS, (int)row, 0);
            put_row(row_loss, rl_off, row_correct, row, loss, correct);
        } else { /* softmax_ce's arithmetic, chunk by chunk as there */
            float16 m16 = (float16)(-INFINITY);
            for (uint ch = 0; ch < chunks; ch++) m16 = fmax(m16, head_logits16(lv, ch, cols, -INFINITY));
            const float mx = max16(m16);
            uint arg = 0;
            while (arg + 1 < cols && lv[arg] != mx) arg++;
            float16 s16 = (float16)0.0f;
            for (uint ch = 0; ch < chunks; ch++) s16 += exp(head_logits16(lv, ch, cols, -INFINITY) - mx);
            const float lse = mx + log(sum16(s16));
            const int label = class_label(t[t_off + (size_t)row * t_ld], cols, row, status);
            put_ce_row(row_loss, rl_off, row_correct, row, status, lse, label != NO_LABEL ? lv[label] : 0.0f, arg,
                       label);
            for (uint ch = 0; ch < chunks; ch++) {
                const float16 pr = exp(head_logits16(lv, ch, cols, 0.0f) - lse);
                vstore16(ce_grad16(pr, ch * 16, label, scale), ch, gv[r]);
            }
        }
        for (uint c = 0; c < cols; c++) dz[dz_off + (size_t)row * dz_ld + c] = gv[r][c];
    }
    /* dH: the dZ product's chains (k = class, the rows interleaved) and
     * epilogue, 16 columns at a time */
    for (uint j = 0; j < in; j += 16) {
        __global const float *bp = wt + ((size_t)(j / wt_tn) * cols) * wt_tn + j % wt_tn;
        float16 d[NNCL_TM];
        for (uint r = 0; r < NNCL_TM; r++) d[r] = (float16)0.0f;
        for (uint c = 0; c < cols; c++) {
            const float16 wc = vload16(0, bp + (size_t)c * wt_tn);
#pragma unroll
            for (uint r = 0; r < NNCL_TM; r++) d[r] = fma((float16)(gv[r][c]), wc, d[r]);
        }
        const uint avail = in - j;
        for (uint r = 0; r < nr; r++) {
            const uint row = r0 + r;
            __global float *out = dh + dh_off + (size_t)row * dh_ld + j;
            float16 v = 1.0f * d[r] + (float16)0.0f; /* its epilogue: alpha·acc + 0, then dact' */
            if (dact != NNCL_ACT_ID_NONE) {
                __global const float *y = hr[r] + j;
                v *= act_grad_v16(load16_upto(y, avail), dact);
            }
            v = store16_upto(v, out, avail);
            if (q_tn) store16(v, packed_at(q + q_off, rows, q_tn, row, j));
        }
    }
    /* the packed copy's last panel is zero past in, as pack_b pads it */
    for (uint j = (in + 15) / 16 * 16; q_tn && j % q_tn; j += 16)
        for (uint r = 0; r < nr; r++)
            store16((float16)0.0f, packed_at(q + q_off, rows, q_tn, r0 + r, j));
    if (has_below) {
        for (uint j0 = 0; j0 < a_cols; j0 += NNCL_TN) {
            floatT acc2[NNCL_TM * NNCL_NV];
            gemm_accumulate(acc2, rows, a_cols, in, 0, in, rows, dh + dh_off, dh_ld, p + wbt_off, 0, r0, j0, 0, 1,
                            NNCL_TM, NNCL_NV, NNCL_HEAD_KU);
            gemm_store(acc2, rows, a_cols, r0, j0, 1.0f, 0.0f, da + da_off, da_ld, params, 0, NNCL_ACT_ID_IDENTITY,
                       a + a_off, a_ld, da_act, qa + qa_off, qa_tn, NNCL_TM, NNCL_NV, 0);
        }
    }
}

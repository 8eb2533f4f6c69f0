/* SPDX-License-Identifier: MIT */
/* Optimizers (kernels/optim.cl): hyper-parameters, learning-rate schedules,
 * and the one launch that updates every parameter of a flat buffer. The
 * model layer (host/model/model.c) keeps a model's optimizer and its step. */
#include "core/core.h"
#include "ops/ops.h"

#include <math.h>
#include <string.h>

static const char *const optim_names[] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
#define NNCL__OPTIM_KINDS (int)(sizeof optim_names / sizeof *optim_names)

const char *nncl_optimizer_name(nncl_optimizer_kind kind)
{
    return (int)kind >= 0 && (int)kind < NNCL__OPTIM_KINDS ? optim_names[kind] : NULL;
}

nncl_status nncl_optimizer_parse(const char *name, nncl_optimizer_kind *kind)
{
    if (!name || !kind)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_optimizer_parse: NULL argument");
    for (int i = 0; i < NNCL__OPTIM_KINDS; i++)
        if (!strcmp(name, optim_names[i])) {
            *kind = (nncl_optimizer_kind)i;
            return NNCL_OK;
        }
    return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                      "unknown optimizer \"%s\" (sgd, momentum, nesterov, adam, adamw)", name);
}

nncl_optimizer nncl_optimizer_defaults(nncl_optimizer_kind kind)
{
    nncl_optimizer o;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.kind = kind;
    o.lr = kind >= NNCL_OPTIM_ADAM ? 1e-3f : 1e-2f;
    o.momentum = 0.9f;
    o.beta1 = 0.9f;
    o.beta2 = 0.999f;
    o.eps = 1e-8f;
    o.weight_decay = kind == NNCL_OPTIM_ADAMW ? 0.01f : 0.0f;
    o.schedule = NNCL_SCHEDULE_CONSTANT;
    o.step_size = 1000;
    o.gamma = 0.1f;
    o.total_steps = 10000;
    o.min_lr = 0.0f;
    return o;
}

nncl_optimizer nncl__optim_read(const nncl_optimizer *caller)
{
    nncl_optimizer kind_only = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    NNCL__OPTIONS_READ(&kind_only, caller);
    nncl_optimizer o = nncl_optimizer_defaults(kind_only.kind);
    NNCL__OPTIONS_READ(&o, caller);
    return o;
}

static int in_unit(float x) { return x >= 0.0f && x < 1.0f; }

nncl_status nncl__optim_validate(nncl_context *ctx, const nncl_optimizer *o)
{
    if (!o) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "optimizer is NULL");
    if (!nncl_optimizer_name(o->kind))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "unknown optimizer kind %d", (int)o->kind);
    if (!(o->lr > 0.0f) || !isfinite(o->lr))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "learning rate %g: must be > 0 and finite",
                          (double)o->lr);
    if (!in_unit(o->momentum))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "momentum %g: must be in [0, 1)",
                          (double)o->momentum);
    if (!in_unit(o->beta1) || !in_unit(o->beta2))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "beta1 %g, beta2 %g: each must be in [0, 1)",
                          (double)o->beta1, (double)o->beta2);
    if (!(o->eps > 0.0f) || !isfinite(o->eps))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "eps %g: must be > 0", (double)o->eps);
    if (!(o->weight_decay >= 0.0f) || !isfinite(o->weight_decay))
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "weight decay %g: must be >= 0",
                          (double)o->weight_decay);
    switch (o->schedule) {
    case NNCL_SCHEDULE_CONSTANT: break;
    case NNCL_SCHEDULE_STEP:
        if (o->step_size == 0 || !(o->gamma > 0.0f && o->gamma <= 1.0f))
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                              "step schedule: step_size %llu must be > 0 and gamma %g in (0, 1]",
                              (unsigned long long)o->step_size, (double)o->gamma);
        break;
    case NNCL_SCHEDULE_COSINE:
        if (o->total_steps == 0 || !(o->min_lr >= 0.0f && o->min_lr <= o->lr))
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG,
                              "cosine schedule: total_steps %llu must be > 0 and min_lr %g in "
                              "[0, lr]",
                              (unsigned long long)o->total_steps, (double)o->min_lr);
        break;
    default:
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "unknown schedule %d", (int)o->schedule);
    }
    return NNCL_OK;
}

float nncl__optim_lr(const nncl_optimizer *o, uint64_t step)
{
    switch (o->schedule) {
    case NNCL_SCHEDULE_STEP:
        return o->lr * powf(o->gamma, (float)(step / o->step_size));
    case NNCL_SCHEDULE_COSINE: {
        double t = step >= o->total_steps ? 1.0 : (double)step / (double)o->total_steps;
        return (float)(o->min_lr + (o->lr - o->min_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * t)));
    }
    default: return o->lr;
    }
}

/* Scalars of one update: the schedule's lr (at the global step) and Adam's
 * bias corrections 1-β^t (t = state_step + 1: the updates the moments have
 * seen), computed on the host in double. */
static void optim_scalars(const nncl_optimizer *o, uint64_t step, uint64_t state_step, float *lr, float *bc1,
                          float *bc2)
{
    double t = (double)(state_step + 1);
    *lr = nncl__optim_lr(o, step);
    *bc1 = (float)(1.0 - pow(o->beta1, t));
    *bc2 = (float)(1.0 - pow(o->beta2, t));
}

nncl_status nncl__optim_launch(nncl_context *ctx, const nncl_optimizer *o, uint64_t step, uint64_t state_step,
                               nncl__view w, nncl__view g, nncl__view m, nncl__view v, size_t n,
                               cl_mem status)
{
    float lr, bc1, bc2;
    optim_scalars(o, step, state_step, &lr, &bc1, &bc2);
    cl_uint step_tag = (cl_uint)(step & NNCL_STEP_TAG_BITS) | NNCL_STEP_TAG_SET;
    /* optim_update takes each vector as buffer and offset (no ld) */
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_OPTIM_UPDATE, OPTIM_UPDATE, NNCL__MEM(w.mem), NNCL__U(w.off),
                             NNCL__MEM(g.mem), NNCL__U(g.off), NNCL__MEM(m.mem), NNCL__U(m.off), NNCL__MEM(v.mem),
                             NNCL__U(v.off), NNCL__U((cl_uint)n), NNCL__I((cl_int)o->kind), NNCL__F(lr),
                             NNCL__F(o->momentum), NNCL__F(o->beta1), NNCL__F(o->beta2), NNCL__F(o->eps),
                             NNCL__F(o->weight_decay), NNCL__F(bc1), NNCL__F(bc2), NNCL__U(step_tag),
                             NNCL__MEM(status)));
    size_t items = (n + NNCL_OPTIM_PER_ITEM - 1) / NNCL_OPTIM_PER_ITEM;
    return nncl__launch(ctx, NNCL__K_OPTIM_UPDATE, 1, &items);
}

/* SPDX-License-Identifier: MIT */
/* Launchers for kernels/activation.cl: act_forward, act_backward_bias and
 * fill (nncl_tensor_fill), and the activations' names. */
#include "core/core.h"
#include "ops/ops.h"

#include <string.h>

static const char *const act_names[] = {"identity", "sigmoid", "tanh", "relu", "leaky_relu",
                                        "softmax"};

const char *nncl_activation_name(nncl_activation act)
{
    if ((int)act < 0 || (int)act >= (int)(sizeof act_names / sizeof *act_names)) return NULL;
    return act_names[act];
}

nncl_status nncl_activation_parse(const char *name, nncl_activation *act)
{
    if (!name || !act)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_activation_parse: NULL argument");
    for (int i = 0; i < (int)(sizeof act_names / sizeof *act_names); i++)
        if (!strcmp(name, act_names[i])) {
            *act = (nncl_activation)i;
            return NNCL_OK;
        }
    if (!strcmp(name, "leaky-relu") || !strcmp(name, "leakyrelu")) {
        *act = NNCL_ACT_LEAKY_RELU;
        return NNCL_OK;
    }
    if (!strcmp(name, "linear") || !strcmp(name, "none")) {
        *act = NNCL_ACT_IDENTITY;
        return NNCL_OK;
    }
    return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                      "unknown activation \"%s\" (identity, sigmoid, tanh, relu, leaky_relu, "
                      "softmax)",
                      name);
}

/* dZ = dY ⊙ act'(Y) written over dY, and db = Σ_rows dZ (db NULL: no bias). */
nncl_status nncl__act_backward_bias(nncl_context *ctx, nncl__view dY, nncl__view Y, size_t rows,
                                    size_t cols, nncl_activation act, const nncl__view *db)
{
    /* act_backward_bias(dY, Y, rows, cols, act, db at db_off, has_bias) */
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_ACT_BACKWARD_BIAS, ACT_BACKWARD_BIAS, NNCL__VIEW(dY), NNCL__VIEW(Y),
                             NNCL__U((cl_uint)rows), NNCL__U((cl_uint)cols), NNCL__I((cl_int)act),
                             NNCL__MEM(db ? db->mem : dY.mem), NNCL__U(db ? db->off : 0), NNCL__I(db != NULL)));
    return nncl__launch(ctx, NNCL__K_ACT_BACKWARD_BIAS, 1, &cols);
}

/* Y = act(X), elementwise; Y may be X. */
nncl_status nncl__act_forward(nncl_context *ctx, nncl__view X, nncl__view Y, size_t rows,
                              size_t cols, nncl_activation act)
{
    NNCL__TRY(NNCL__SET_ARGS(ctx, NNCL__K_ACT_FORWARD, ACT_FORWARD, NNCL__VIEW(X), NNCL__VIEW(Y),
                             NNCL__U((cl_uint)rows), NNCL__U((cl_uint)cols), NNCL__I((cl_int)act)));
    size_t global[2] = {cols, rows};
    return nncl__launch(ctx, NNCL__K_ACT_FORWARD, 2, global);
}

nncl_status nncl_tensor_fill(nncl_tensor *t, float value)
{
    if (!t) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_tensor_fill: tensor is NULL");
    /* fill(x, rows, cols, value): every element of the view set to value */
    NNCL__TRY(NNCL__SET_ARGS(t->ctx, NNCL__K_FILL, FILL, NNCL__VIEW(nncl__view_of(t)), NNCL__U((cl_uint)t->rows),
                             NNCL__U((cl_uint)t->cols), NNCL__F(value)));
    size_t global[2] = {t->cols, t->rows};
    return nncl__launch(t->ctx, NNCL__K_FILL, 2, global);
}

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

/* act_forward(X, Y, rows, cols, act): Y = act(X). */
static nncl_status set_act_forward_args(nncl_context *ctx, nncl__view X, nncl__view Y, cl_uint rows,
                                        cl_uint cols, cl_int act)
{
    nncl__args a = nncl__args_begin(ctx, NNCL__K_ACT_FORWARD);
    nncl__arg_view(&a, X);
    nncl__arg_view(&a, Y);
    nncl__arg_uint(&a, rows);
    nncl__arg_uint(&a, cols);
    nncl__arg_int(&a, act);
    return nncl__args_end(&a);
}

/* act_backward_bias(dY, Y, rows, cols, act, db at db_off, has_bias). */
static nncl_status set_act_backward_bias_args(nncl_context *ctx, nncl__view dY, nncl__view Y, cl_uint rows,
                                              cl_uint cols, cl_int act, cl_mem db, cl_uint db_off,
                                              cl_int has_bias)
{
    nncl__args a = nncl__args_begin(ctx, NNCL__K_ACT_BACKWARD_BIAS);
    nncl__arg_view(&a, dY);
    nncl__arg_view(&a, Y);
    nncl__arg_uint(&a, rows);
    nncl__arg_uint(&a, cols);
    nncl__arg_int(&a, act);
    nncl__arg_mem(&a, db);
    nncl__arg_uint(&a, db_off);
    nncl__arg_int(&a, has_bias);
    return nncl__args_end(&a);
}

/* fill(x, rows, cols, value): every element of the view set to value. */
static nncl_status set_fill_args(nncl_context *ctx, nncl__view x, cl_uint rows, cl_uint cols, cl_float value)
{
    nncl__args a = nncl__args_begin(ctx, NNCL__K_FILL);
    nncl__arg_view(&a, x);
    nncl__arg_uint(&a, rows);
    nncl__arg_uint(&a, cols);
    nncl__arg_float(&a, value);
    return nncl__args_end(&a);
}

/* dZ = dY ⊙ act'(Y) written over dY, and db = Σ_rows dZ (db NULL: no bias). */
nncl_status nncl__act_backward_bias(nncl_context *ctx, nncl__view dY, nncl__view Y, size_t rows,
                                    size_t cols, nncl_activation act, const nncl__view *db)
{
    NNCL__TRY(set_act_backward_bias_args(ctx, dY, Y, (cl_uint)rows, (cl_uint)cols, (cl_int)act,
                                         db ? db->mem : dY.mem, db ? db->off : 0, db != NULL));
    return nncl__launch(ctx, NNCL__K_ACT_BACKWARD_BIAS, 1, &cols);
}

/* Y = act(X), elementwise; Y may be X. */
nncl_status nncl__act_forward(nncl_context *ctx, nncl__view X, nncl__view Y, size_t rows,
                              size_t cols, nncl_activation act)
{
    NNCL__TRY(set_act_forward_args(ctx, X, Y, (cl_uint)rows, (cl_uint)cols, (cl_int)act));
    size_t global[2] = {cols, rows};
    return nncl__launch(ctx, NNCL__K_ACT_FORWARD, 2, global);
}

nncl_status nncl_tensor_fill(nncl_tensor *t, float value)
{
    if (!t) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_tensor_fill: tensor is NULL");
    NNCL__TRY(set_fill_args(t->ctx, nncl__view_of(t), (cl_uint)t->rows, (cl_uint)t->cols, value));
    size_t global[2] = {t->cols, t->rows};
    return nncl__launch(t->ctx, NNCL__K_FILL, 2, global);
}

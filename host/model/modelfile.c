/* SPDX-License-Identifier: MIT */
/* Model files and checkpoints in safetensors (safetensors.c does the format):
 * tensors layers.<i>.weight [in, out], layers.<i>.bias [out],
 * normalization.mean/.std [inputs], and for checkpoints optimizer.m/.v
 * [params]; the architecture, loss, optimizer and position in __metadata__,
 * and what the model keeps about its training (info.c): "features" and
 * "classes" as JSON arrays of strings, "target" as a string, "history" as
 * one line per epoch of HISTORY_FIELDS numbers. */
#include "model/model_impl.h"
#include "io/json.h"
#include "io/safetensors.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "nncl-model-1"
#define MAX_META 40        /* metadata entries a file may have */
#define META_VALUE_MAX 64  /* bytes of one formatted metadata value */
#define LAYER_TEXT_MAX 32  /* bytes of one layer in "256:relu,", comma included */
#define TENSOR_NAME_MAX 48 /* "layers.31.weight", an activation name */

/* The history's columns, in the order of each line of "history". */
#define HISTORY_FIELDS "epoch train_loss train_accuracy valid_loss valid_accuracy test_loss test_accuracy lr seconds samples_per_second best"
#define HISTORY_COUNT 11

typedef struct {
    nncl__st_meta items[MAX_META];
    char values[MAX_META][META_VALUE_MAX];
    char layers[NNCL_MAX_LAYERS * LAYER_TEXT_MAX];
    size_t n;
    nncl__json_buf text[3]; /* features, classes, history: built on the heap */
} meta_list;

/* names[0..n) as a JSON array of strings into b; 0 when out of memory. */
static int put_names(nncl__json_buf *b, char *const *names, size_t n)
{
    nncl__json_puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i) nncl__json_puts(b, ", ");
        nncl__json_put_string(b, names[i]);
    }
    nncl__json_puts(b, "]");
    return !b->failed;
}

static int put_history(nncl__json_buf *b, const nncl_epoch_record *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char line[512];
        snprintf(line, sizeof line, "%s%llu %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %.9g %d", i ? "\n" : "",
                 (unsigned long long)h[i].epoch, (double)h[i].train_loss, (double)h[i].train_accuracy,
                 (double)h[i].valid_loss, (double)h[i].valid_accuracy, (double)h[i].test_loss,
                 (double)h[i].test_accuracy, (double)h[i].lr, h[i].seconds, h[i].samples_per_second, h[i].best);
        nncl__json_puts(b, line);
    }
    return !b->failed;
}

/* Adds the model's names and history to ml; 0 when out of memory. */
static int add_info(meta_list *ml, const nncl_model *m)
{
    if (m->feature_names) {
        if (!put_names(&ml->text[0], m->feature_names, m->inputs)) return 0;
        ml->items[ml->n].key = "features";
        ml->items[ml->n++].value = ml->text[0].data;
    }
    if (m->target_name) {
        ml->items[ml->n].key = "target";
        ml->items[ml->n++].value = m->target_name;
    }
    if (m->class_names) {
        if (!put_names(&ml->text[1], m->class_names, m->n_classes)) return 0;
        ml->items[ml->n].key = "classes";
        ml->items[ml->n++].value = ml->text[1].data;
    }
    if (m->history_len) {
        if (!put_history(&ml->text[2], m->history, m->history_len)) return 0;
        ml->items[ml->n].key = "history";
        ml->items[ml->n++].value = ml->text[2].data;
        ml->items[ml->n].key = "history_fields";
        ml->items[ml->n++].value = HISTORY_FIELDS;
    }
    return 1;
}

static void meta_add(meta_list *ml, const char *key, const char *fmt, ...) NNCL__PRINTF(3, 4);
static void meta_add(meta_list *ml, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ml->values[ml->n], sizeof ml->values[ml->n], fmt, ap);
    va_end(ap);
    ml->items[ml->n].key = key;
    ml->items[ml->n].value = ml->values[ml->n];
    ml->n++;
}

/* Every value finite (and optimizer.v >= 0, its domain): a file is never
 * written that nncl_model_load would refuse, or that holds a NaN. */
static nncl_status check_values(nncl_context *ctx, const char *path, const nncl__st_tensor *tensors, size_t nt)
{
    for (size_t t = 0; t < nt; t++) {
        size_t count = tensors[t].shape[0] * (tensors[t].ndim == 2 ? tensors[t].shape[1] : 1);
        int nonneg = !strcmp(tensors[t].name, "optimizer.v");
        for (size_t i = 0; i < count; i++) {
            float v = tensors[t].data[i];
            if (!isfinite(v) || (nonneg && v < 0))
                return nncl__fail(ctx, NNCL_ERR_NUMERIC,
                                  "saving %s: tensor \"%s\" holds %g at index %zu; not writing a file with %s", path,
                                  tensors[t].name, (double)v, i,
                                  isfinite(v) ? "a negative second moment" : "a non-finite value");
        }
    }
    return NNCL_OK;
}

static nncl_status save(nncl_model *m, const char *path, const nncl_train_position *pos)
{
    nncl_context *ctx = m->ctx;
    size_t n = m->n_params, inputs = m->inputs;
    int checkpoint = pos != NULL;
    float *host = malloc((checkpoint ? 3 : 1) * n * sizeof(float));
    if (!host) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "saving %s: %zu parameters", path, n);
    nncl_status st = nncl_model_sync(m);
    cl_int err = CL_SUCCESS;
    if (st == NNCL_OK)
        err = clEnqueueReadBuffer(ctx->queue, m->params, CL_TRUE, 0, n * sizeof(float), host, 0, NULL, NULL);
    float train_sums[2] = {0, 0};
    if (st == NNCL_OK && err == CL_SUCCESS && checkpoint)
        err = clEnqueueReadBuffer(ctx->queue, m->metrics, CL_TRUE, NNCL_METRIC_TRAIN * sizeof(float), sizeof train_sums,
                                  train_sums, 0, NULL, NULL);
    if (st == NNCL_OK && err == CL_SUCCESS && checkpoint)
        err = clEnqueueReadBuffer(ctx->queue, m->opt_m, CL_TRUE, 0, n * sizeof(float), host + n, 0, NULL, NULL);
    if (st == NNCL_OK && err == CL_SUCCESS && checkpoint)
        err = clEnqueueReadBuffer(ctx->queue, m->opt_v, CL_TRUE, 0, n * sizeof(float), host + 2 * n, 0, NULL, NULL);
    if (st == NNCL_OK && err != CL_SUCCESS) st = nncl__cl_fail(ctx, err, "reading the model for saving");
    if (st != NNCL_OK) {
        free(host);
        return st;
    }

    nncl__st_tensor tensors[2 * NNCL_MAX_LAYERS + 6]; /* layers, normalisations, optimizer */
    char names[2 * NNCL_MAX_LAYERS][TENSOR_NAME_MAX];
    size_t nt = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = nncl__layer_in(m, l), out = m->layers[l].units;
        snprintf(names[2 * l], TENSOR_NAME_MAX, "layers.%zu.weight", l);
        snprintf(names[2 * l + 1], TENSOR_NAME_MAX, "layers.%zu.bias", l);
        tensors[nt++] = (nncl__st_tensor){names[2 * l], 2, {in, out}, host + m->w_off[l]};
        tensors[nt++] = (nncl__st_tensor){names[2 * l + 1], 1, {out, 0}, host + m->b_off[l]};
    }
    if (m->has_norm) {
        tensors[nt++] = (nncl__st_tensor){"normalization.mean", 1, {inputs, 0}, m->norm_mean};
        tensors[nt++] = (nncl__st_tensor){"normalization.std", 1, {inputs, 0}, m->norm_std};
    }
    if (m->has_target_norm) {
        size_t outputs = nncl_model_outputs(m);
        tensors[nt++] = (nncl__st_tensor){"target_normalization.mean", 1, {outputs, 0}, m->target_mean};
        tensors[nt++] = (nncl__st_tensor){"target_normalization.std", 1, {outputs, 0}, m->target_std};
    }
    if (checkpoint) {
        tensors[nt++] = (nncl__st_tensor){"optimizer.m", 1, {n, 0}, host + n};
        tensors[nt++] = (nncl__st_tensor){"optimizer.v", 1, {n, 0}, host + 2 * n};
    }

    meta_list ml;
    memset(&ml, 0, sizeof ml);
    size_t len = 0;
    for (size_t l = 0; l < m->n_layers; l++)
        len += (size_t)snprintf(ml.layers + len, sizeof ml.layers - len, "%s%zu:%s", l ? "," : "",
                                m->layers[l].units, nncl_activation_name(m->layers[l].activation));
    meta_add(&ml, "format", FORMAT);
    meta_add(&ml, "inputs", "%zu", inputs);
    ml.items[ml.n].key = "layers";
    ml.items[ml.n++].value = ml.layers;
    meta_add(&ml, "loss", "%s", nncl_loss_name(m->loss));
    meta_add(&ml, "seed", "%" PRIu64, m->seed);
    meta_add(&ml, "weight_layout", "[in, out]: y = x @ W + b");
    if (checkpoint) {
        const nncl_optimizer *o = &m->opt;
        meta_add(&ml, "optimizer", "%s", nncl_optimizer_name(o->kind));
        /* %.9g round-trips a float exactly. */
        meta_add(&ml, "optimizer.lr", "%.9g", (double)o->lr);
        meta_add(&ml, "optimizer.momentum", "%.9g", (double)o->momentum);
        meta_add(&ml, "optimizer.beta1", "%.9g", (double)o->beta1);
        meta_add(&ml, "optimizer.beta2", "%.9g", (double)o->beta2);
        meta_add(&ml, "optimizer.eps", "%.9g", (double)o->eps);
        meta_add(&ml, "optimizer.weight_decay", "%.9g", (double)o->weight_decay);
        meta_add(&ml, "optimizer.schedule", "%d", (int)o->schedule);
        meta_add(&ml, "optimizer.step_size", "%" PRIu64, o->step_size);
        meta_add(&ml, "optimizer.gamma", "%.9g", (double)o->gamma);
        meta_add(&ml, "optimizer.total_steps", "%" PRIu64, o->total_steps);
        meta_add(&ml, "optimizer.min_lr", "%.9g", (double)o->min_lr);
        meta_add(&ml, "optimizer.step", "%" PRIu64, m->step);
        meta_add(&ml, "optimizer.state_step", "%" PRIu64, m->state_step);
        meta_add(&ml, "position.seed", "%" PRIu64, pos->seed);
        meta_add(&ml, "position.epoch", "%" PRIu64, pos->epoch);
        meta_add(&ml, "position.batch", "%zu", pos->batch);
        meta_add(&ml, "position.batch_size", "%zu", pos->batch_size);
        if (pos->batch > 0) { /* mid-epoch: the epoch's training sums so far, so its figures cover all of it */
            meta_add(&ml, "position.train_rows", "%.17g", m->train_rows);
            meta_add(&ml, "position.train_loss_sum", "%.9g", (double)train_sums[NNCL_METRIC_LOSS]);
            meta_add(&ml, "position.train_correct_sum", "%.9g", (double)train_sums[NNCL_METRIC_CORRECT]);
        }
    }
    if ((st = check_values(ctx, path, tensors, nt)) != NNCL_OK) {
        /* refused: the message names the tensor and the index */
    } else if (!add_info(&ml, m)) {
        st = nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "saving %s: names and history", path);
    } else {
        nncl__errbuf write_err;
        st = nncl__st_write(&write_err, path, tensors, nt, ml.items, ml.n);
        if (st != NNCL_OK) nncl__fail(ctx, st, "%s", write_err.text);
    }
    for (int i = 0; i < 3; i++) free(ml.text[i].data);
    free(host);
    return st;
}

nncl_status nncl_model_save(nncl_model *m, const char *path)
{
    if (!m || !path) return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_save: NULL argument");
    return save(m, path, NULL);
}

nncl_status nncl_model_save_checkpoint(nncl_model *m, const char *path, const nncl_train_position *position)
{
    if (!m || !path || !position)
        return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_save_checkpoint: NULL argument");
    nncl_train_position pos = nncl_train_position_defaults();
    NNCL__OPTIONS_READ(&pos, position);
    return save(m, path, &pos);
}

/* ---- loading ------------------------------------------------------------ */

/* A whole number in [0, max] from metadata `key`; checked before any caller
 * narrows it (an enum, a size_t). */
static nncl_status parse_u64(nncl_context *ctx, const char *path, const char *key, const char *text,
                             uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!text) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" is missing", path, key);
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" = \"%s\" is not a whole number",
                          path, key, text);
    if (v > max)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" = \"%s\" is out of range (0 .. %" PRIu64 ")",
                          path, key, text, max);
    *out = v;
    return NNCL_OK;
}

static nncl_status parse_float(nncl_context *ctx, const char *path, const char *key, const char *text,
                               float *out)
{
    char *end = NULL;
    if (!text) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" is missing", path, key);
    float v = strtof(text, &end);
    if (end == text || *end)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" = \"%s\" is not a number", path, key, text);
    *out = v;
    return NNCL_OK;
}

/* "256:relu,128:relu,10:softmax" into layers. */
static nncl_status parse_layers(nncl_context *ctx, const char *path, const char *text,
                                nncl_layer_spec *layers, size_t *n)
{
    if (!text) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"layers\" is missing", path);
    *n = 0;
    const char *p = text;
    while (*p) {
        if (*n == NNCL_MAX_LAYERS)
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: more than %d layers", path, NNCL_MAX_LAYERS);
        char *end = NULL;
        unsigned long long units = strtoull(p, &end, 10);
        if (end == p || *end != ':' || units == 0 || units >= NNCL__WIDTH_LIMIT)
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: layers \"%s\": expected UNITS:ACTIVATION at \"%s\"",
                              path, text, p);
        p = end + 1;
        char name[TENSOR_NAME_MAX];
        size_t len = strcspn(p, ",");
        if (len >= sizeof name)
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: layers \"%s\": activation too long", path, text);
        memcpy(name, p, len);
        name[len] = '\0';
        if (nncl_activation_parse(name, &layers[*n].activation) != NNCL_OK)
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: layers \"%s\": unknown activation \"%s\"", path,
                              text, name);
        layers[*n].units = (size_t)units;
        (*n)++;
        p += len;
        if (*p == ',') p++;
    }
    if (*n == 0) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"layers\" is empty", path);
    return NNCL_OK;
}

/* The tensor `name` with exactly the given shape (dim1 0: 1-D). */
static nncl_status want_tensor(nncl_context *ctx, const char *path, const nncl__st_file *f, const char *name,
                               size_t dim0, size_t dim1, const nncl__st_tensor **out)
{
    const nncl__st_tensor *t = nncl__st_find(f, name);
    if (!t) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: tensor \"%s\" is missing", path, name);
    int ndim = dim1 ? 2 : 1;
    if (t->ndim != ndim || t->shape[0] != dim0 || (ndim == 2 && t->shape[1] != dim1))
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: tensor \"%s\" has shape [%zu%s%zu], the architecture needs [%zu%s%zu]",
                          path, name, t->shape[0], t->ndim == 2 ? ", " : "", t->ndim == 2 ? t->shape[1] : 0,
                          dim0, ndim == 2 ? ", " : "", ndim == 2 ? dim1 : 0);
    *out = t;
    return NNCL_OK;
}

static nncl_status read_optimizer(nncl_context *ctx, const char *path, const nncl__st_file *f, nncl_optimizer *o,
                                  uint64_t *step, uint64_t *state_step, nncl_train_position *pos)
{
    const char *kind = nncl__st_meta_get(f, "optimizer");
    if (!kind || nncl_optimizer_parse(kind, &o->kind) != NNCL_OK)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"optimizer\" = \"%s\" is not an optimizer", path,
                          kind ? kind : "(missing)");
    uint64_t schedule;
    NNCL__TRY(parse_float(ctx, path, "optimizer.lr", nncl__st_meta_get(f, "optimizer.lr"), &o->lr));
    NNCL__TRY(parse_float(ctx, path, "optimizer.momentum", nncl__st_meta_get(f, "optimizer.momentum"), &o->momentum));
    NNCL__TRY(parse_float(ctx, path, "optimizer.beta1", nncl__st_meta_get(f, "optimizer.beta1"), &o->beta1));
    NNCL__TRY(parse_float(ctx, path, "optimizer.beta2", nncl__st_meta_get(f, "optimizer.beta2"), &o->beta2));
    NNCL__TRY(parse_float(ctx, path, "optimizer.eps", nncl__st_meta_get(f, "optimizer.eps"), &o->eps));
    NNCL__TRY(parse_float(ctx, path, "optimizer.weight_decay", nncl__st_meta_get(f, "optimizer.weight_decay"),
                          &o->weight_decay));
    NNCL__TRY(parse_u64(ctx, path, "optimizer.schedule", nncl__st_meta_get(f, "optimizer.schedule"),
                        NNCL_SCHEDULE_COSINE, &schedule));
    o->schedule = (nncl_schedule)schedule;
    NNCL__TRY(parse_u64(ctx, path, "optimizer.step_size", nncl__st_meta_get(f, "optimizer.step_size"), UINT64_MAX,
                        &o->step_size));
    NNCL__TRY(parse_float(ctx, path, "optimizer.gamma", nncl__st_meta_get(f, "optimizer.gamma"), &o->gamma));
    NNCL__TRY(parse_u64(ctx, path, "optimizer.total_steps", nncl__st_meta_get(f, "optimizer.total_steps"),
                        UINT64_MAX, &o->total_steps));
    NNCL__TRY(parse_float(ctx, path, "optimizer.min_lr", nncl__st_meta_get(f, "optimizer.min_lr"), &o->min_lr));
    NNCL__TRY(parse_u64(ctx, path, "optimizer.step", nncl__st_meta_get(f, "optimizer.step"), UINT64_MAX, step));
    /* Files before the state kept its own step: the state has seen every step. */
    const char *state_text = nncl__st_meta_get(f, "optimizer.state_step");
    *state_step = *step;
    if (state_text)
        NNCL__TRY(parse_u64(ctx, path, "optimizer.state_step", state_text, *step, state_step));
    uint64_t batch;
    NNCL__TRY(parse_u64(ctx, path, "position.seed", nncl__st_meta_get(f, "position.seed"), UINT64_MAX, &pos->seed));
    NNCL__TRY(parse_u64(ctx, path, "position.epoch", nncl__st_meta_get(f, "position.epoch"), UINT64_MAX,
                        &pos->epoch));
    NNCL__TRY(parse_u64(ctx, path, "position.batch", nncl__st_meta_get(f, "position.batch"), SIZE_MAX, &batch));
    pos->batch = (size_t)batch;
    uint64_t batch_size;
    NNCL__TRY(parse_u64(ctx, path, "position.batch_size", nncl__st_meta_get(f, "position.batch_size"), SIZE_MAX,
                        &batch_size));
    pos->batch_size = (size_t)batch_size;
    if (pos->batch_size && pos->batch > (SIZE_MAX - 1) / pos->batch_size)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: position.batch %zu is out of range", path, pos->batch);
    pos->is_checkpoint = 1;
    if (nncl__optim_validate(ctx, o) != NNCL_OK)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: optimizer settings: %s", path, nncl_last_error(ctx));
    return NNCL_OK;
}

static int has_prefix(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

/* Validates everything in f against its metadata; fills the spec. */
static nncl_status validate(nncl_context *ctx, const char *path, const nncl__st_file *f, nncl_model_spec *spec,
                            nncl_layer_spec *layers, int *checkpoint)
{
    const char *format = nncl__st_meta_get(f, "format");
    if (!format || strcmp(format, FORMAT))
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"format\" is \"%s\", expected \"%s\" (not an nncl model?)",
                          path, format ? format : "(missing)", FORMAT);
    uint64_t inputs;
    NNCL__TRY(parse_u64(ctx, path, "inputs", nncl__st_meta_get(f, "inputs"), UINT64_MAX, &inputs));
    if (inputs == 0 || inputs >= NNCL__WIDTH_LIMIT) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: inputs %" PRIu64 " out of range", path, inputs);
    spec->inputs = (size_t)inputs;
    NNCL__TRY(parse_layers(ctx, path, nncl__st_meta_get(f, "layers"), layers, &spec->n_layers));
    spec->layers = layers;
    const char *loss = nncl__st_meta_get(f, "loss");
    if (!loss || nncl_loss_parse(loss, &spec->loss) != NNCL_OK)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"loss\" = \"%s\" is not a loss", path,
                          loss ? loss : "(missing)");
    NNCL__TRY(parse_u64(ctx, path, "seed", nncl__st_meta_get(f, "seed"), UINT64_MAX, &spec->seed));

    size_t expected = 2 * spec->n_layers, in = spec->inputs, params = 0;
    for (size_t l = 0; l < spec->n_layers; l++) {
        char name[TENSOR_NAME_MAX];
        const nncl__st_tensor *t;
        snprintf(name, sizeof name, "layers.%zu.weight", l);
        NNCL__TRY(want_tensor(ctx, path, f, name, in, layers[l].units, &t));
        snprintf(name, sizeof name, "layers.%zu.bias", l);
        NNCL__TRY(want_tensor(ctx, path, f, name, layers[l].units, 0, &t));
        params += in * layers[l].units + layers[l].units;
        in = layers[l].units;
    }
    const nncl__st_tensor *t;
    if (nncl__st_find(f, "normalization.mean") || nncl__st_find(f, "normalization.std")) {
        NNCL__TRY(want_tensor(ctx, path, f, "normalization.mean", spec->inputs, 0, &t));
        NNCL__TRY(want_tensor(ctx, path, f, "normalization.std", spec->inputs, 0, &t));
        expected += 2;
    }
    if (nncl__st_find(f, "target_normalization.mean") || nncl__st_find(f, "target_normalization.std")) {
        size_t outputs = layers[spec->n_layers - 1].units;
        if (spec->loss != NNCL_LOSS_MSE)
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: a target normalization in a %s model (mse only)", path,
                              nncl_loss_name(spec->loss));
        NNCL__TRY(want_tensor(ctx, path, f, "target_normalization.mean", outputs, 0, &t));
        NNCL__TRY(want_tensor(ctx, path, f, "target_normalization.std", outputs, 0, &t));
        expected += 2;
    }
    *checkpoint = nncl__st_find(f, "optimizer.m") != NULL;
    if (*checkpoint) {
        NNCL__TRY(want_tensor(ctx, path, f, "optimizer.m", params, 0, &t));
        NNCL__TRY(want_tensor(ctx, path, f, "optimizer.v", params, 0, &t));
        expected += 2;
    }
    if (nncl__st_count(f) != expected)
        for (size_t i = 0; i < nncl__st_count(f); i++) {
            const char *name = nncl__st_at(f, i)->name;
            if (!has_prefix(name, "layers.") && !has_prefix(name, "normalization.") && !has_prefix(name, "optimizer.") &&
                !has_prefix(name, "target_normalization."))
                return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: unexpected tensor \"%s\"", path, name);
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: %zu tensors, the architecture has %zu", path,
                              nncl__st_count(f), expected);
        }
    return NNCL_OK;
}

/* Uploads t after checking its domain: every value finite, and for a second
 * moment (nonneg: Adam's optimizer.v, a mean of squares) >= 0, which sqrt
 * needs. */
static nncl_status upload(nncl_model *m, cl_mem mem, const nncl__st_tensor *t, size_t offset, int nonneg)
{
    size_t count = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
    for (size_t i = 0; i < count; i++)
        if (!isfinite(t->data[i]) || (nonneg && t->data[i] < 0))
            return nncl__fail(m->ctx, NNCL_ERR_FORMAT, "tensor \"%s\" holds %g at index %zu%s", t->name,
                              (double)t->data[i], i,
                              isfinite(t->data[i]) ? " (a second moment is a mean of squares: >= 0)" : "");
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueWriteBuffer(m->ctx->queue, mem, CL_TRUE, offset * sizeof(float), count * sizeof(float),
                                        t->data, 0, NULL, NULL),
                   "uploading a loaded tensor");
    if (mem == m->params) nncl__model_weights_written(m);
    return NNCL_OK;
}

/* A JSON array of strings from metadata `key` (text) into a new array of
 * pointers into *doc (free with nncl__json_free); *n its length. */
static nncl_status parse_names(nncl_context *ctx, const char *path, const char *key, const char *text,
                               nncl__json *doc, const char ***names, size_t *n)
{
    char err[256];
    *names = NULL;
    *n = 0;
    if (nncl__json_parse(text, strlen(text), doc, err, sizeof err) != NNCL_OK || doc->type != NNCL__JSON_ARRAY)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" is not a JSON array of strings%s%s", path, key,
                          doc->type == NNCL__JSON_NULL ? ": " : "", doc->type == NNCL__JSON_NULL ? err : "");
    *names = malloc((doc->count ? doc->count : 1) * sizeof **names);
    if (!*names) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: metadata \"%s\"", path, key);
    for (size_t i = 0; i < doc->count; i++) {
        if (doc->items[i].type != NNCL__JSON_STRING)
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\": item %zu is not a string", path, key, i);
        (*names)[i] = doc->items[i].str;
    }
    *n = doc->count;
    return NNCL_OK;
}

/* One line of "history" into r. */
static int parse_history_line(const char *p, const char **end, nncl_epoch_record *r)
{
    double v[HISTORY_COUNT];
    for (int i = 0; i < HISTORY_COUNT; i++) {
        char *e = NULL;
        v[i] = strtod(p, &e);
        if (e == p) return 0;
        p = e;
        if (i + 1 < HISTORY_COUNT && *p != ' ') return 0;
        if (*p == ' ') p++;
    }
    if (*p && *p != '\n') return 0;
    *end = *p ? p + 1 : p;
    double epoch = v[0], best = v[HISTORY_COUNT - 1];
    if (!(epoch >= 0 && epoch < 1e15 && epoch == (double)(uint64_t)epoch) || (best != 0 && best != 1)) return 0;
    if (!(v[8] >= 0) || !(v[9] >= 0)) return 0;
    *r = (nncl_epoch_record){(uint64_t)epoch, (float)v[1], (float)v[2], (float)v[3], (float)v[4], (float)v[5],
                             (float)v[6], (float)v[7], v[8], v[9], (int)best};
    return 1;
}

/* A checkpoint written mid-epoch: the epoch's training sums so far, back
 * into the model's metrics, so that the resumed epoch's figures cover it all. */
static nncl_status load_epoch_sums(nncl_context *ctx, const char *path, const nncl__st_file *f, nncl_model *m)
{
    const char *rows_text = nncl__st_meta_get(f, "position.train_rows");
    if (!rows_text) return NNCL_OK;
    float sums[2];
    char *end = NULL;
    double rows = strtod(rows_text, &end);
    if (end == rows_text || *end || !(rows >= 0 && rows < 1e18))
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"position.train_rows\" = \"%s\" is not a row count",
                          path, rows_text);
    NNCL__TRY(parse_float(ctx, path, "position.train_loss_sum", nncl__st_meta_get(f, "position.train_loss_sum"),
                          &sums[NNCL_METRIC_LOSS]));
    NNCL__TRY(parse_float(ctx, path, "position.train_correct_sum",
                          nncl__st_meta_get(f, "position.train_correct_sum"), &sums[NNCL_METRIC_CORRECT]));
    if (!isfinite(sums[0]) || !isfinite(sums[1]) || sums[0] < 0 || sums[1] < 0)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: the epoch's training sums %g, %g are not finite and >= 0", path,
                          (double)sums[0], (double)sums[1]);
    NNCL__CHECK_CL(ctx,
                   clEnqueueWriteBuffer(ctx->queue, m->metrics, CL_TRUE, NNCL_METRIC_TRAIN * sizeof(float), sizeof sums,
                                        sums, 0, NULL, NULL),
                   "restoring the epoch's training sums");
    m->train_rows = rows;
    return NNCL_OK;
}

/* The names and history a model file keeps (see add_info). */
static nncl_status load_info(nncl_context *ctx, const char *path, const nncl__st_file *f, nncl_model *m)
{
    nncl_status st = NNCL_OK;
    const char *features = nncl__st_meta_get(f, "features"), *classes = nncl__st_meta_get(f, "classes");
    const char *target = nncl__st_meta_get(f, "target"), *history = nncl__st_meta_get(f, "history");
    nncl__json doc;
    memset(&doc, 0, sizeof doc);
    const char **names = NULL;
    size_t n = 0;
    if (features || target) {
        if (features) st = parse_names(ctx, path, "features", features, &doc, &names, &n);
        if (st == NNCL_OK && features && n != m->inputs)
            st = nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: %zu feature names for %zu inputs", path, n, m->inputs);
        if (st == NNCL_OK) st = nncl_model_set_columns(m, names, n, target);
        free(names);
        nncl__json_free(&doc);
    }
    if (st == NNCL_OK && classes) {
        st = parse_names(ctx, path, "classes", classes, &doc, &names, &n);
        if (st == NNCL_OK && nncl_model_set_class_names(m, names, n) != NNCL_OK)
            st = nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"classes\": %s", path, nncl_last_error(ctx));
        free(names);
        nncl__json_free(&doc);
    }
    for (const char *p = history; st == NNCL_OK && p && *p;) {
        nncl_epoch_record r;
        if (!parse_history_line(p, &p, &r))
            st = nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"history\", epoch %zu: expected %d numbers (%s)",
                            path, m->history_len + 1, HISTORY_COUNT, HISTORY_FIELDS);
        else
            st = nncl_model_add_history(m, &r);
    }
    return st;
}

nncl_status nncl_model_load(nncl_context *ctx, const char *path, nncl_model **out, nncl_train_position *position)
{
    if (!ctx || !path || !out) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_load: NULL argument");
    *out = NULL;
    nncl_train_position pos = nncl_train_position_defaults();
    if (position) NNCL__OPTIONS_WRITE(position, &pos);
    nncl__st_file *f = NULL;
    nncl__errbuf err;
    nncl_status read_st = nncl__st_read(&err, path, &f);
    if (read_st != NNCL_OK) return nncl__fail(ctx, read_st, "%s", err.text);
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_layer_spec layers[NNCL_MAX_LAYERS];
    int checkpoint = 0;
    nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    uint64_t step = 0, state_step = 0;
    nncl_model *m = NULL;
    nncl_status st = validate(ctx, path, f, &spec, layers, &checkpoint);
    if (st == NNCL_OK && checkpoint) st = read_optimizer(ctx, path, f, &opt, &step, &state_step, &pos);
    if (st == NNCL_OK && nncl_model_create(ctx, &spec, &m) != NNCL_OK)
        st = nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: %s", path, nncl_last_error(ctx));
    for (size_t l = 0; st == NNCL_OK && l < spec.n_layers; l++) {
        char name[TENSOR_NAME_MAX];
        snprintf(name, sizeof name, "layers.%zu.weight", l);
        st = upload(m, m->params, nncl__st_find(f, name), m->w_off[l], 0);
        snprintf(name, sizeof name, "layers.%zu.bias", l);
        if (st == NNCL_OK) st = upload(m, m->params, nncl__st_find(f, name), m->b_off[l], 0);
    }
    const nncl__st_tensor *mean = nncl__st_find(f, "normalization.mean");
    if (st == NNCL_OK && mean)
        st = nncl_model_set_normalization(m, mean->data, nncl__st_find(f, "normalization.std")->data, spec.inputs);
    const nncl__st_tensor *target_mean = nncl__st_find(f, "target_normalization.mean");
    if (st == NNCL_OK && target_mean)
        st = nncl_model_set_target_normalization(m, target_mean->data, nncl__st_find(f, "target_normalization.std")->data,
                                                 target_mean->shape[0]);
    if (st == NNCL_OK && checkpoint) {
        st = nncl_model_set_optimizer(m, &opt);
        if (st == NNCL_OK) st = upload(m, m->opt_m, nncl__st_find(f, "optimizer.m"), 0, 0);
        if (st == NNCL_OK) st = upload(m, m->opt_v, nncl__st_find(f, "optimizer.v"), 0, 1);
        m->step = step;
        m->state_step = state_step;
    }
    if (st == NNCL_OK && checkpoint) st = load_epoch_sums(ctx, path, f, m);
    if (st == NNCL_OK) st = load_info(ctx, path, f, m);
    nncl__st_close(f);
    if (st != NNCL_OK) {
        nncl_model_destroy(m);
        return st;
    }
    if (position) NNCL__OPTIONS_WRITE(position, &pos);
    *out = m;
    return NNCL_OK;
}

/* Model files and checkpoints in safetensors (safetensors.c does the format):
 * tensors layers.<i>.weight [in, out], layers.<i>.bias [out],
 * normalization.mean/.std [inputs], and for checkpoints optimizer.m/.v
 * [params]; the architecture, loss, optimizer and position in __metadata__. */
#include "model/model_impl.h"
#include "io/safetensors.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "nncl-model-1"
#define MAX_META 32

typedef struct {
    nncl__st_meta items[MAX_META];
    char values[MAX_META][64];
    char layers[NNCL_MAX_LAYERS * 32];
    size_t n;
} meta_list;

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
    if (st == NNCL_OK && err == CL_SUCCESS && checkpoint)
        err = clEnqueueReadBuffer(ctx->queue, m->opt_m, CL_TRUE, 0, n * sizeof(float), host + n, 0, NULL, NULL);
    if (st == NNCL_OK && err == CL_SUCCESS && checkpoint)
        err = clEnqueueReadBuffer(ctx->queue, m->opt_v, CL_TRUE, 0, n * sizeof(float), host + 2 * n, 0, NULL, NULL);
    if (st == NNCL_OK && err != CL_SUCCESS) st = nncl__cl_fail(ctx, err, "reading the model for saving");
    if (st != NNCL_OK) {
        free(host);
        return st;
    }

    nncl__st_tensor tensors[2 * NNCL_MAX_LAYERS + 4];
    char names[2 * NNCL_MAX_LAYERS][48];
    size_t nt = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = nncl__layer_in(m, l), out = m->layers[l].units;
        snprintf(names[2 * l], 48, "layers.%zu.weight", l);
        snprintf(names[2 * l + 1], 48, "layers.%zu.bias", l);
        tensors[nt++] = (nncl__st_tensor){names[2 * l], 2, {in, out}, host + m->w_off[l]};
        tensors[nt++] = (nncl__st_tensor){names[2 * l + 1], 1, {out, 0}, host + m->b_off[l]};
    }
    if (m->has_norm) {
        tensors[nt++] = (nncl__st_tensor){"normalization.mean", 1, {inputs, 0}, m->norm_mean};
        tensors[nt++] = (nncl__st_tensor){"normalization.std", 1, {inputs, 0}, m->norm_std};
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
        meta_add(&ml, "position.seed", "%" PRIu64, pos->seed);
        meta_add(&ml, "position.epoch", "%" PRIu64, pos->epoch);
        meta_add(&ml, "position.batch", "%zu", pos->batch);
        meta_add(&ml, "position.batch_size", "%zu", pos->batch_size);
    }
    nncl__errbuf write_err;
    st = nncl__st_write(&write_err, path, tensors, nt, ml.items, ml.n);
    if (st != NNCL_OK) nncl__fail(ctx, st, "%s", write_err.text);
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
    return save(m, path, position);
}

/* ---- loading ------------------------------------------------------------ */

static nncl_status parse_u64(nncl_context *ctx, const char *path, const char *key, const char *text,
                             uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!text) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" is missing", path, key);
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"%s\" = \"%s\" is not a whole number",
                          path, key, text);
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
        if (end == p || *end != ':' || units == 0 || units > (1ull << 31))
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: layers \"%s\": expected UNITS:ACTIVATION at \"%s\"",
                              path, text, p);
        p = end + 1;
        char name[48];
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
                                  uint64_t *step, nncl_train_position *pos)
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
    NNCL__TRY(parse_u64(ctx, path, "optimizer.schedule", nncl__st_meta_get(f, "optimizer.schedule"), &schedule));
    o->schedule = (nncl_schedule)schedule;
    NNCL__TRY(parse_u64(ctx, path, "optimizer.step_size", nncl__st_meta_get(f, "optimizer.step_size"), &o->step_size));
    NNCL__TRY(parse_float(ctx, path, "optimizer.gamma", nncl__st_meta_get(f, "optimizer.gamma"), &o->gamma));
    NNCL__TRY(parse_u64(ctx, path, "optimizer.total_steps", nncl__st_meta_get(f, "optimizer.total_steps"),
                        &o->total_steps));
    NNCL__TRY(parse_float(ctx, path, "optimizer.min_lr", nncl__st_meta_get(f, "optimizer.min_lr"), &o->min_lr));
    NNCL__TRY(parse_u64(ctx, path, "optimizer.step", nncl__st_meta_get(f, "optimizer.step"), step));
    uint64_t batch;
    NNCL__TRY(parse_u64(ctx, path, "position.seed", nncl__st_meta_get(f, "position.seed"), &pos->seed));
    NNCL__TRY(parse_u64(ctx, path, "position.epoch", nncl__st_meta_get(f, "position.epoch"), &pos->epoch));
    NNCL__TRY(parse_u64(ctx, path, "position.batch", nncl__st_meta_get(f, "position.batch"), &batch));
    pos->batch = (size_t)batch;
    uint64_t batch_size;
    NNCL__TRY(parse_u64(ctx, path, "position.batch_size", nncl__st_meta_get(f, "position.batch_size"), &batch_size));
    pos->batch_size = (size_t)batch_size;
    if (pos->batch_size && pos->batch > (SIZE_MAX - 1) / pos->batch_size)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: position.batch %zu is out of range", path, pos->batch);
    pos->is_checkpoint = 1;
    if (nncl__optim_validate(ctx, o) != NNCL_OK)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: optimizer settings: %s", path, nncl_last_error(ctx));
    return NNCL_OK;
}

/* Validates everything in f against its metadata; fills the spec. */
static nncl_status validate(nncl_context *ctx, const char *path, const nncl__st_file *f, nncl_model_spec *spec,
                            nncl_layer_spec *layers, int *checkpoint)
{
    const char *format = nncl__st_meta_get(f, "format");
    if (!format || strcmp(format, FORMAT))
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"format\" is \"%s\", expected \"%s\" (not an nncl model?)",
                          path, format ? format : "(missing)", FORMAT);
    uint64_t inputs;
    NNCL__TRY(parse_u64(ctx, path, "inputs", nncl__st_meta_get(f, "inputs"), &inputs));
    if (inputs == 0 || inputs > (1u << 30)) return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: inputs %" PRIu64 " out of range", path, inputs);
    spec->inputs = (size_t)inputs;
    NNCL__TRY(parse_layers(ctx, path, nncl__st_meta_get(f, "layers"), layers, &spec->n_layers));
    spec->layers = layers;
    const char *loss = nncl__st_meta_get(f, "loss");
    if (!loss || nncl_loss_parse(loss, &spec->loss) != NNCL_OK)
        return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: metadata \"loss\" = \"%s\" is not a loss", path,
                          loss ? loss : "(missing)");
    NNCL__TRY(parse_u64(ctx, path, "seed", nncl__st_meta_get(f, "seed"), &spec->seed));

    size_t expected = 2 * spec->n_layers, in = spec->inputs, params = 0;
    for (size_t l = 0; l < spec->n_layers; l++) {
        char name[48];
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
    *checkpoint = nncl__st_find(f, "optimizer.m") != NULL;
    if (*checkpoint) {
        NNCL__TRY(want_tensor(ctx, path, f, "optimizer.m", params, 0, &t));
        NNCL__TRY(want_tensor(ctx, path, f, "optimizer.v", params, 0, &t));
        expected += 2;
    }
    if (nncl__st_count(f) != expected)
        for (size_t i = 0; i < nncl__st_count(f); i++) {
            const char *name = nncl__st_at(f, i)->name;
            if (strncmp(name, "layers.", 7) && strncmp(name, "normalization.", 14) && strncmp(name, "optimizer.", 10))
                return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: unexpected tensor \"%s\"", path, name);
            return nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: %zu tensors, the architecture has %zu", path,
                              nncl__st_count(f), expected);
        }
    return NNCL_OK;
}

static nncl_status upload(nncl_model *m, cl_mem mem, const nncl__st_tensor *t, size_t offset)
{
    size_t count = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
    for (size_t i = 0; i < count; i++)
        if (!isfinite(t->data[i]))
            return nncl__fail(m->ctx, NNCL_ERR_FORMAT, "tensor \"%s\" holds %g at index %zu", t->name,
                              (double)t->data[i], i);
    NNCL__CHECK_CL(m->ctx,
                   clEnqueueWriteBuffer(m->ctx->queue, mem, CL_TRUE, offset * sizeof(float), count * sizeof(float),
                                        t->data, 0, NULL, NULL),
                   "uploading a loaded tensor");
    return NNCL_OK;
}

nncl_status nncl_model_load(nncl_context *ctx, const char *path, nncl_model **out, nncl_train_position *position)
{
    if (!ctx || !path || !out) return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_model_load: NULL argument");
    *out = NULL;
    if (position) memset(position, 0, sizeof *position);
    nncl__st_file *f = NULL;
    nncl__errbuf err;
    nncl_status read_st = nncl__st_read(&err, path, &f);
    if (read_st != NNCL_OK) return nncl__fail(ctx, read_st, "%s", err.text);
    nncl_model_spec spec;
    nncl_layer_spec layers[NNCL_MAX_LAYERS];
    int checkpoint = 0;
    nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    uint64_t step = 0;
    nncl_train_position pos = {0, 0, 0, 0, 0};
    nncl_model *m = NULL;
    nncl_status st = validate(ctx, path, f, &spec, layers, &checkpoint);
    if (st == NNCL_OK && checkpoint) st = read_optimizer(ctx, path, f, &opt, &step, &pos);
    if (st == NNCL_OK && nncl_model_create(ctx, &spec, &m) != NNCL_OK)
        st = nncl__fail(ctx, NNCL_ERR_FORMAT, "%s: %s", path, nncl_last_error(ctx));
    for (size_t l = 0; st == NNCL_OK && l < spec.n_layers; l++) {
        char name[48];
        snprintf(name, sizeof name, "layers.%zu.weight", l);
        st = upload(m, m->params, nncl__st_find(f, name), m->w_off[l]);
        snprintf(name, sizeof name, "layers.%zu.bias", l);
        if (st == NNCL_OK) st = upload(m, m->params, nncl__st_find(f, name), m->b_off[l]);
    }
    const nncl__st_tensor *mean = nncl__st_find(f, "normalization.mean");
    if (st == NNCL_OK && mean)
        st = nncl_model_set_normalization(m, mean->data, nncl__st_find(f, "normalization.std")->data, spec.inputs);
    if (st == NNCL_OK && checkpoint) {
        st = nncl_model_set_optimizer(m, &opt);
        if (st == NNCL_OK) st = upload(m, m->opt_m, nncl__st_find(f, "optimizer.m"), 0);
        if (st == NNCL_OK) st = upload(m, m->opt_v, nncl__st_find(f, "optimizer.v"), 0);
        m->step = step;
    }
    nncl__st_close(f);
    if (st != NNCL_OK) {
        nncl_model_destroy(m);
        return st;
    }
    if (position) *position = pos;
    *out = m;
    return NNCL_OK;
}

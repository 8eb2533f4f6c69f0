/* SPDX-License-Identifier: MIT */
/* What a model keeps about its training: the names of its input and target
 * columns, the names of its classes, and the history of its epochs. Saved
 * and loaded with the model by modelfile.c. */
#include "model/model_impl.h"

#include <stdlib.h>
#include <string.h>

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

void nncl__model_free_info(nncl_model *m)
{
    free_names(m->feature_names, m->inputs);
    free_names(m->class_names, m->n_classes);
    free(m->target_name);
    free(m->history);
    m->feature_names = m->class_names = NULL;
    m->target_name = NULL;
    m->history = NULL;
    m->n_classes = m->history_len = m->history_cap = 0;
}

/* A copy of names[0..n), or NULL with *out NULL when names is NULL. */
static nncl_status copy_names(nncl_context *ctx, const char *const *names, size_t n, const char *what,
                              char ***out)
{
    *out = NULL;
    if (!names) return NNCL_OK;
    char **copy = calloc(n ? n : 1, sizeof *copy);
    if (!copy) return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: %zu names", what, n);
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) {
            free_names(copy, n);
            return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "%s: name %zu is NULL", what, i);
        }
        if (!(copy[i] = strdup(names[i]))) {
            free_names(copy, n);
            return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "%s: name %zu", what, i);
        }
    }
    *out = copy;
    return NNCL_OK;
}

nncl_status nncl_model_set_columns(nncl_model *m, const char *const *features, size_t count, const char *target)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_set_columns: model is NULL");
    if (features && count != m->inputs)
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE, "nncl_model_set_columns: %zu names for a model of %zu inputs",
                          count, m->inputs);
    char **names;
    NNCL__TRY(copy_names(m->ctx, features, count, "nncl_model_set_columns", &names));
    char *t = target ? strdup(target) : NULL;
    if (target && !t) {
        free_names(names, count);
        return nncl__fail(m->ctx, NNCL_ERR_OUT_OF_MEMORY, "nncl_model_set_columns: target name");
    }
    free_names(m->feature_names, m->inputs);
    free(m->target_name);
    m->feature_names = names;
    m->target_name = t;
    return NNCL_OK;
}

const char *nncl_model_feature_name(const nncl_model *m, size_t i)
{
    return m && m->feature_names && i < m->inputs ? m->feature_names[i] : NULL;
}

const char *nncl_model_target_name(const nncl_model *m) { return m ? m->target_name : NULL; }

nncl_status nncl_model_set_class_names(nncl_model *m, const char *const *names, size_t count)
{
    if (!m) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_model_set_class_names: model is NULL");
    size_t want = m->loss == NNCL_LOSS_BCE ? 2 : nncl_model_outputs(m);
    if (names && (m->loss == NNCL_LOSS_MSE || count != want))
        return nncl__fail(m->ctx, NNCL_ERR_SHAPE, "nncl_model_set_class_names: %zu names for a %s model of %zu classes",
                          count, nncl_loss_name(m->loss), m->loss == NNCL_LOSS_MSE ? (size_t)0 : want);
    char **copy;
    NNCL__TRY(copy_names(m->ctx, names, count, "nncl_model_set_class_names", &copy));
    free_names(m->class_names, m->n_classes);
    m->class_names = copy;
    m->n_classes = names ? count : 0;
    return NNCL_OK;
}

const char *nncl_model_class_name(const nncl_model *m, size_t i)
{
    return m && m->class_names && i < m->n_classes ? m->class_names[i] : NULL;
}

nncl_status nncl_model_add_history(nncl_model *m, const nncl_epoch_record *record)
{
    if (!m || !record) return nncl__fail(m ? m->ctx : NULL, NNCL_ERR_INVALID_ARG, "nncl_model_add_history: NULL argument");
    if (m->history_len == m->history_cap) {
        size_t cap = m->history_cap ? 2 * m->history_cap : 16;
        nncl_epoch_record *grown = realloc(m->history, cap * sizeof *grown);
        if (!grown) return nncl__fail(m->ctx, NNCL_ERR_OUT_OF_MEMORY, "history: %zu epochs", cap);
        m->history = grown;
        m->history_cap = cap;
    }
    m->history[m->history_len++] = *record;
    return NNCL_OK;
}

size_t nncl_model_history(const nncl_model *m, nncl_epoch_record *dst, size_t max)
{
    if (!m) return 0;
    size_t n = m->history_len < max ? m->history_len : max;
    if (dst && n) memcpy(dst, m->history, n * sizeof *dst);
    return m->history_len;
}

void nncl_model_clear_history(nncl_model *m)
{
    if (m) m->history_len = 0;
}

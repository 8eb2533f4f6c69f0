/* SPDX-License-Identifier: MIT */
/* nncl eval: how well a saved model does on a data set: loss, accuracy and
 * the confusion matrix of a classifier; RMSE, MAE and R² of a regressor. */
#include "cli.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nncl eval --model M --data D [--label-column C] [--missing P] [--json] [--device D]\n"
    "\n"
    "D is fashion-mnist (its test part), a folder of IDX files (test part), or a .csv.\n"
    "A model that keeps its column names takes its inputs and its target from the\n"
    "columns of those names, in any order (--label-column names another target).\n"
    "  --missing error|drop|mean   an empty cell, NA, NaN or ?: an error (default),\n"
    "                              leave the row out, or take the column's mean\n"
    "Classifiers: loss, accuracy and the confusion matrix (up to 20 classes; the 10\n"
    "most frequent confusions above that). Regression (mse): RMSE, MAE and R² in the\n"
    "targets' units. --json adds them as one JSON object on the last line.\n";

/* The full confusion matrix is printed up to this many classes (a wider one
 * does not fit a terminal); above it, the most frequent confusions. */
enum { CONFUSION_MAX_PRINTED = 20, TOP_CONFUSIONS = 10 };
/* The classes x classes counts are not computed when they would take more:
 * 65536 classes would be 34 GB. 256 MiB allows about 5800 classes. */
#define CONFUSION_MAX_BYTES ((size_t)256 << 20)

typedef struct {
    size_t true_class, predicted;
    uint64_t count;
} confusion_entry;

typedef struct {
    const nncl_model *model;
    size_t rows, classes;
    float loss, accuracy;
    uint64_t *confusion;        /* classes x classes (row: true class), or NULL */
    confusion_entry top[TOP_CONFUSIONS];
    size_t n_top;
} class_report;

/* Class c by name when the model has names, else its index. */
static void json_class(const nncl_model *model, size_t c)
{
    const char *name = nncl_model_class_name(model, c);
    if (name) cli_json_string(name);
    else printf("%zu", c);
}

static void class_label(const nncl_model *model, size_t c, char *buf, size_t size)
{
    const char *name = nncl_model_class_name(model, c);
    if (name) snprintf(buf, size, "%s", name);
    else snprintf(buf, size, "%zu", c);
}

/* The off-diagonal counts in decreasing order, at most TOP_CONFUSIONS. */
static void find_top_confusions(class_report *r)
{
    r->n_top = 0;
    for (size_t t = 0; t < r->classes; t++) {
        for (size_t p = 0; p < r->classes; p++) {
            uint64_t n = r->confusion[t * r->classes + p];
            if (t == p || n == 0) continue;
            if (r->n_top == TOP_CONFUSIONS && n <= r->top[TOP_CONFUSIONS - 1].count) continue;
            size_t i = r->n_top < TOP_CONFUSIONS ? r->n_top++ : TOP_CONFUSIONS - 1;
            for (; i > 0 && r->top[i - 1].count < n; i--) r->top[i] = r->top[i - 1];
            r->top[i] = (confusion_entry){t, p, n};
        }
    }
}

/* Names are cut to this many characters in the matrix's headings. */
enum { NAME_WIDTH_MAX = 16 };

static void print_confusion_matrix(const class_report *r)
{
    size_t width = 6;
    char label[64];
    for (size_t c = 0; c < r->classes; c++) {
        class_label(r->model, c, label, sizeof label);
        size_t n = strlen(label);
        if (n > width) width = n > NAME_WIDTH_MAX ? NAME_WIDTH_MAX : n;
    }
    int w = (int)width;
    printf("confusion matrix (row: true class, column: predicted)\n%*s", w, "");
    for (size_t c = 0; c < r->classes; c++) {
        class_label(r->model, c, label, sizeof label);
        printf(" %*.*s", w, w, label);
    }
    printf("\n");
    for (size_t t = 0; t < r->classes; t++) {
        class_label(r->model, t, label, sizeof label);
        printf("%*.*s", w, w, label);
        for (size_t c = 0; c < r->classes; c++)
            printf(" %*llu", w, (unsigned long long)r->confusion[t * r->classes + c]);
        printf("\n");
    }
}

static void print_class_report(const class_report *r, int json)
{
    printf("%zu rows  loss %.6f  accuracy %.4f\n", r->rows, (double)r->loss, (double)r->accuracy);
    char t[64], p[64];
    if (r->confusion && r->classes <= CONFUSION_MAX_PRINTED) {
        print_confusion_matrix(r);
    } else if (r->confusion) {
        printf("%zu classes: the %zu most frequent confusions (true -> predicted: rows)\n", r->classes, r->n_top);
        for (size_t i = 0; i < r->n_top; i++) {
            class_label(r->model, r->top[i].true_class, t, sizeof t);
            class_label(r->model, r->top[i].predicted, p, sizeof p);
            printf("  %s -> %s: %llu\n", t, p, (unsigned long long)r->top[i].count);
        }
    } else if (r->classes) {
        printf("%zu classes: too many for a confusion matrix\n", r->classes);
    }
    if (!json) return;
    printf("{\"rows\": %zu, \"loss\": ", r->rows);
    cli_json_number(r->loss);
    printf(", \"accuracy\": ");
    cli_json_number(r->accuracy);
    if (r->confusion && r->classes <= CONFUSION_MAX_PRINTED) {
        printf(", \"confusion\": [");
        for (size_t i = 0; i < r->classes; i++) {
            printf("%s[", i ? ", " : "");
            for (size_t c = 0; c < r->classes; c++)
                printf("%s%llu", c ? ", " : "", (unsigned long long)r->confusion[i * r->classes + c]);
            printf("]");
        }
        printf("]");
    } else if (r->confusion) {
        printf(", \"top_confusions\": [");
        for (size_t i = 0; i < r->n_top; i++) {
            printf("%s{\"true\": ", i ? ", " : "");
            json_class(r->model, r->top[i].true_class);
            printf(", \"predicted\": ");
            json_class(r->model, r->top[i].predicted);
            printf(", \"count\": %llu}", (unsigned long long)r->top[i].count);
        }
        printf("]");
    }
    printf("}\n");
}

/* The model's index of each of the data's named classes (data order), or
 * NULL when the data's indices are the model's (no names on either side, or
 * the same names in the same order). Sets *failed (after saying why) when a
 * class of the data is not one of the model's, or without memory. */
static size_t *class_map(const nncl_model *model, const nncl_dataset *ds, size_t classes, int *failed)
{
    *failed = 0;
    size_t data_classes = (size_t)nncl_dataset_classes(ds);
    if (!nncl_dataset_class_name(ds, 0) || !nncl_model_class_name(model, 0)) return NULL;
    int same = data_classes <= classes;
    for (size_t i = 0; same && i < data_classes; i++)
        same = !strcmp(nncl_dataset_class_name(ds, i), nncl_model_class_name(model, i));
    if (same) return NULL;
    size_t *map = malloc(data_classes * sizeof *map);
    if (!map) {
        *failed = cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "matching the data's classes");
        return NULL;
    }
    for (size_t i = 0; i < data_classes; i++) {
        const char *name = nncl_dataset_class_name(ds, i);
        size_t m = 0;
        while (m < classes && strcmp(nncl_model_class_name(model, m), name)) m++;
        if (m == classes) {
            fprintf(stderr, "nncl eval: the data's class \"%s\" is not one of the model's %zu classes\n", name,
                    classes);
            free(map);
            *failed = 1;
            return NULL;
        }
        map[i] = m;
    }
    return map;
}

/* Loss, accuracy and confusion counted on the host, with the data's class
 * indices translated to the model's by map (a test file that lacks some of
 * the model's classes numbers its names differently). Softmax-ce only. */
static nncl_status evaluate_mapped(nncl_model *model, const nncl_dataset *ds, const size_t *map,
                                   class_report *r)
{
    size_t rows = r->rows, classes = r->classes;
    float *probs = malloc(rows * classes * sizeof *probs), *labels = malloc(rows * sizeof *labels);
    nncl_status st = probs && labels ? nncl_model_predict_dataset(model, ds, probs, rows * classes)
                                     : NNCL_ERR_OUT_OF_MEMORY;
    if (!st) st = nncl_dataset_targets(ds, labels, rows);
    double loss = 0;
    size_t right = 0;
    for (size_t i = 0; !st && i < rows; i++) {
        const float *p = probs + i * classes;
        size_t truth = map[(size_t)labels[i]], best = 0;
        for (size_t c = 1; c < classes; c++)
            if (p[c] > p[best]) best = c;
        loss -= log(fmax((double)p[truth], 1e-30));
        right += best == truth;
        if (r->confusion) r->confusion[truth * classes + best]++;
    }
    r->loss = rows ? (float)(loss / (double)rows) : 0.0f;
    r->accuracy = rows ? (float)right / (float)rows : 0.0f;
    free(probs), free(labels);
    return st;
}

static int evaluate_classifier(nncl_context *ctx, nncl_model *model, const nncl_dataset *ds, size_t classes,
                               int json)
{
    class_report r = {.model = model, .rows = nncl_dataset_rows(ds), .classes = classes};
    if (classes <= CONFUSION_MAX_BYTES / sizeof *r.confusion / classes)
        r.confusion = calloc(classes * classes, sizeof *r.confusion);
    int failed = 0;
    size_t *map = class_map(model, ds, classes, &failed);
    if (failed) {
        free(r.confusion);
        return 1;
    }
    nncl_status st = map ? evaluate_mapped(model, ds, map, &r)
                         : nncl_model_evaluate_dataset(model, ds, &r.loss, &r.accuracy, r.confusion,
                                                       r.confusion ? classes : 0);
    int rc = st ? cli_fail(ctx, st, "evaluating") : 0;
    if (!rc) {
        if (r.confusion && classes > CONFUSION_MAX_PRINTED) find_top_confusions(&r);
        print_class_report(&r, json);
    }
    free(map);
    free(r.confusion);
    return rc;
}

static int evaluate_regressor(nncl_context *ctx, nncl_model *model, const nncl_dataset *ds, int json)
{
    nncl_metrics m;
    nncl_status st = nncl_model_evaluate_metrics(model, ds, &m);
    if (st) return cli_fail(ctx, st, "evaluating");
    printf("%zu rows  loss %.6f  rmse %.6g  mae %.6g  r2 %.4f\n", m.rows, (double)m.loss, (double)m.rmse,
           (double)m.mae, (double)m.r2);
    if (json) {
        printf("{\"rows\": %zu, \"loss\": ", m.rows);
        cli_json_number(m.loss);
        printf(", \"rmse\": ");
        cli_json_number(m.rmse);
        printf(", \"mae\": ");
        cli_json_number(m.mae);
        printf(", \"r2\": ");
        cli_json_number(m.r2);
        printf("}\n");
    }
    return 0;
}

int cli_eval(int argc, char **argv)
{
    cli_model_data req = {.default_label = NULL, .missing = NNCL_MISSING_ERROR};
    int json = 0;
    cli_args a = {"eval", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (cli_opt(&a, "--model")) req.model_path = a.value;
        else if (cli_opt(&a, "--data")) req.data = a.value;
        else if (cli_opt(&a, "--label-column")) req.label_column = a.value;
        else if (cli_opt(&a, "--missing")) cli_parse_missing(&a, &req.missing);
        else if (cli_opt(&a, "--device")) req.device = a.value;
        else if (cli_flag(&a, "--json")) json = 1;
        else return cli_usage_error("eval", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (!req.model_path || !req.data) return cli_usage_error("eval", "--model and --data are required");

    nncl_context *ctx = NULL;
    nncl_model *model = NULL;
    nncl_dataset *ds = NULL;
    int rc = cli_open_model(&req, &ctx, &model, &ds);
    if (!rc) {
        nncl_model_spec spec = nncl_model_spec_defaults();
        nncl_model_get_spec(model, &spec);
        size_t classes = spec.loss == NNCL_LOSS_SOFTMAX_CE ? nncl_model_outputs(model)
                         : spec.loss == NNCL_LOSS_BCE       ? 2
                                                            : 0;
        rc = classes ? evaluate_classifier(ctx, model, ds, classes, json) : evaluate_regressor(ctx, model, ds, json);
    }
    nncl_dataset_destroy(ds);
    nncl_model_destroy(model);
    nncl_context_destroy(ctx);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* nncl predict: a saved model's outputs for every row of a CSV (or data
 * set), one line per row: the class and its probabilities, or the values. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: nncl predict --model M --input X [--label-column C] [--missing P] [--device D]\n"
    "\n"
    "X is a .csv of feature columns, or a data set as nncl train takes. A model\n"
    "that keeps its column names (nncl summary shows them) takes its inputs from\n"
    "the columns of those names, in any order, and ignores its target column;\n"
    "otherwise every column is a feature (name one to leave out with --label-column).\n"
    "  --missing error|drop|mean   an empty cell, NA, NaN or ?: an error (default),\n"
    "                              leave the row out, or take the column's mean\n"
    "Prints one line per row: `class p0 p1 ...` for classifiers (the class by name\n"
    "when the model has class names), the values in the targets' units otherwise.\n";

/* One row's line: the class (name or index) and the probabilities, or the values. */
static void print_row(const nncl_model *model, nncl_loss loss, const float *p, size_t outputs)
{
    if (loss != NNCL_LOSS_MSE) {
        size_t best = 0;
        if (loss == NNCL_LOSS_SOFTMAX_CE) {
            for (size_t c = 1; c < outputs; c++)
                if (p[c] > p[best]) best = c;
        } else {
            best = p[0] > 0.5f;
        }
        const char *name = nncl_model_class_name(model, best);
        if (name) printf("%s", name);
        else printf("%zu", best);
    }
    for (size_t c = 0; c < outputs; c++)
        printf("%s%.6g", c || loss != NNCL_LOSS_MSE ? " " : "", (double)p[c]);
    printf("\n");
}

int cli_predict(int argc, char **argv)
{
    cli_model_data req = {.default_label = "none", .missing = NNCL_MISSING_ERROR};
    cli_args a = {"predict", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (cli_opt(&a, "--model")) req.model_path = a.value;
        else if (cli_opt(&a, "--input")) req.data = a.value;
        else if (cli_opt(&a, "--label-column")) req.label_column = a.value;
        else if (cli_opt(&a, "--missing")) cli_parse_missing(&a, &req.missing);
        else if (cli_opt(&a, "--device")) req.device = a.value;
        else return cli_usage_error("predict", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (!req.model_path || !req.data) return cli_usage_error("predict", "--model and --input are required");

    nncl_context *ctx = NULL;
    nncl_model *model = NULL;
    nncl_dataset *ds = NULL;
    float *out = NULL;
    int rc = cli_open_model(&req, &ctx, &model, &ds);
    nncl_model_spec spec = nncl_model_spec_defaults();
    size_t rows = 0, outputs = 0;
    if (!rc) {
        nncl_model_get_spec(model, &spec);
        rows = nncl_dataset_rows(ds);
        outputs = nncl_model_outputs(model);
        out = malloc(rows * outputs * sizeof *out);
        nncl_status st = out ? nncl_model_predict_dataset(model, ds, out, rows * outputs) : NNCL_ERR_OUT_OF_MEMORY;
        if (st) rc = cli_fail(ctx, st, "predicting");
    }
    for (size_t r = 0; !rc && r < rows; r++) print_row(model, spec.loss, out + r * outputs, outputs);
    free(out);
    nncl_dataset_destroy(ds);
    nncl_model_destroy(model);
    nncl_context_destroy(ctx);
    return rc;
}

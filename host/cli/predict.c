/* nncl predict: a saved model's outputs for every row of a CSV (or data
 * set), one line per row: the class and its probabilities, or the values. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: nncl predict --model M --input X [--label-column C] [--device D]\n"
    "\n"
    "X is a .csv of feature columns (by default every column is a feature; name\n"
    "a column to leave out with --label-column), or a data set as nncl train takes.\n"
    "Prints one line per row: `class p0 p1 ...` for classifiers, the values otherwise.\n";

int cli_predict(int argc, char **argv)
{
    const char *model_path = NULL, *input = NULL, *label_column = "none", *device = NULL;
    cli_args a = {"predict", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (cli_opt(&a, "--model")) model_path = a.value;
        else if (cli_opt(&a, "--input")) input = a.value;
        else if (cli_opt(&a, "--label-column")) label_column = a.value;
        else if (cli_opt(&a, "--device")) device = a.value;
        else return cli_usage_error("predict", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (!model_path || !input) return cli_usage_error("predict", "--model and --input are required");

    nncl_context *ctx = NULL;
    nncl_model *model = NULL;
    nncl_dataset *ds = NULL;
    float *out = NULL;
    int rc = cli_open_model(device, model_path, input, label_column, &ctx, &model, &ds);
    nncl_status st = NNCL_OK;
    nncl_model_spec spec = nncl_model_spec_defaults();
    if (!rc) nncl_model_get_spec(model, &spec);
    size_t rows = 0, outputs = 0;
    if (!rc) {
        rows = nncl_dataset_rows(ds);
        outputs = nncl_model_outputs(model);
        out = malloc(rows * outputs * sizeof *out);
        st = out ? nncl_model_predict_dataset(model, ds, out, rows * outputs) : NNCL_ERR_OUT_OF_MEMORY;
        if (st) rc = cli_fail(ctx, st, "predicting");
    }
    for (size_t r = 0; !rc && r < rows; r++) {
        const float *p = out + r * outputs;
        if (spec.loss == NNCL_LOSS_SOFTMAX_CE) {
            size_t best = 0;
            for (size_t c = 1; c < outputs; c++)
                if (p[c] > p[best]) best = c;
            printf("%zu", best);
        } else if (spec.loss == NNCL_LOSS_BCE) {
            printf("%d", p[0] > 0.5f);
        }
        for (size_t c = 0; c < outputs; c++)
            printf("%s%.6g", c || spec.loss != NNCL_LOSS_MSE ? " " : "", (double)p[c]);
        printf("\n");
    }
    free(out);
    nncl_dataset_destroy(ds);
    nncl_model_destroy(model);
    nncl_context_destroy(ctx);
    return rc;
}

/* nncl eval: loss, accuracy and (for classifiers) the confusion matrix of a
 * saved model on a data set. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nncl eval --model M --data D [--label-column C] [--json] [--device D]\n"
    "\n"
    "D is fashion-mnist (its test part), a folder of IDX files (test part), or a .csv.\n";

int cli_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL, *label_column = NULL, *device = NULL;
    int json = 0;
    cli_args a = {"eval", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (cli_opt(&a, "--model")) model_path = a.value;
        else if (cli_opt(&a, "--data")) data = a.value;
        else if (cli_opt(&a, "--label-column")) label_column = a.value;
        else if (cli_opt(&a, "--device")) device = a.value;
        else if (cli_flag(&a, "--json")) json = 1;
        else return cli_usage_error("eval", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (!model_path || !data) return cli_usage_error("eval", "--model and --data are required");

    nncl_context *ctx = NULL;
    nncl_model *model = NULL;
    nncl_dataset *ds = NULL;
    uint64_t *confusion = NULL;
    int rc = cli_open_model(device, model_path, data, label_column, &ctx, &model, &ds);
    nncl_status st = NNCL_OK;
    nncl_model_spec spec = nncl_model_spec_defaults();
    if (!rc) nncl_model_get_spec(model, &spec);
    size_t classes = 0;
    float loss = 0, accuracy = 0;
    if (!rc) {
        classes = spec.loss == NNCL_LOSS_SOFTMAX_CE ? nncl_model_outputs(model) : spec.loss == NNCL_LOSS_BCE ? 2 : 0;
        if (classes) confusion = calloc(classes * classes, sizeof *confusion);
        st = nncl_model_evaluate_dataset(model, ds, &loss, &accuracy, confusion, classes);
        if (st) rc = cli_fail(ctx, st, "evaluating");
    }
    if (!rc) {
        printf("%zu rows  loss %.6f  accuracy %.4f\n", nncl_dataset_rows(ds), (double)loss, (double)accuracy);
        if (confusion) {
            printf("confusion matrix (row: true class, column: predicted)\n      ");
            for (size_t c = 0; c < classes; c++) printf(" %6zu", c);
            printf("\n");
            for (size_t t = 0; t < classes; t++) {
                printf("%6zu", t);
                for (size_t c = 0; c < classes; c++) printf(" %6llu", (unsigned long long)confusion[t * classes + c]);
                printf("\n");
            }
        }
        if (json) {
            printf("{\"rows\": %zu, \"loss\": %.6g, \"accuracy\": %.6g", nncl_dataset_rows(ds), (double)loss,
                   (double)accuracy);
            if (confusion) {
                printf(", \"confusion\": [");
                for (size_t t = 0; t < classes; t++) {
                    printf("%s[", t ? ", " : "");
                    for (size_t c = 0; c < classes; c++)
                        printf("%s%llu", c ? ", " : "", (unsigned long long)confusion[t * classes + c]);
                    printf("]");
                }
                printf("]");
            }
            printf("}\n");
        }
    }
    free(confusion);
    nncl_dataset_destroy(ds);
    nncl_model_destroy(model);
    nncl_context_destroy(ctx);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* nncl summary: what a model file holds: its layers and parameter count,
 * loss, stored standardisation, column and class names, and the history of
 * the run that trained it. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: nncl summary --model M [--json] [--device D]\n"
    "\n"
    "Prints the layers (inputs -> units, activation, parameters), the total number of\n"
    "parameters, the loss, whether input and target standardisation are stored, the\n"
    "feature, target and class names, and the epochs of the stored training history\n"
    "with the last one's figures. --json prints the same as one JSON object. --device\n"
    "picks the OpenCL device the model is loaded on (as NNCL_DEVICE).\n";

/* Names listed in the text output before "... (N in all)". */
enum { NAMES_SHOWN = 5 };

void cli_print_summary(FILE *out, const nncl_model *model)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    if (nncl_model_get_spec(model, &spec)) return;
    fprintf(out, "layer  inputs ->  units  activation   parameters\n");
    size_t inputs = spec.inputs;
    for (size_t i = 0; i < spec.n_layers; i++) {
        size_t units = spec.layers[i].units;
        const char *act = nncl_activation_name(spec.layers[i].activation);
        fprintf(out, "%5zu  %6zu -> %6zu  %-10s %12zu\n", i, inputs, units, act ? act : "?",
                inputs * units + units);
        inputs = units;
    }
    fprintf(out, "total%43zu\n", nncl_model_param_count(model));
}

/* Up to NAMES_SHOWN names from name(model, i), i < count, then how many in all. */
static void print_names(const char *what, const nncl_model *model,
                        const char *(*name)(const nncl_model *, size_t), size_t count)
{
    if (!name(model, 0)) {
        printf("%s: none stored\n", what);
        return;
    }
    printf("%s (%zu):", what, count);
    for (size_t i = 0; i < count && i < NAMES_SHOWN; i++) printf("%s %s", i ? "," : "", name(model, i));
    if (count > NAMES_SHOWN) printf(", ... (%zu in all)", count);
    printf("\n");
}

static void json_names(const char *key, const nncl_model *model,
                       const char *(*name)(const nncl_model *, size_t), size_t count)
{
    printf(", \"%s\": ", key);
    if (!name(model, 0)) {
        printf("null");
        return;
    }
    printf("[");
    for (size_t i = 0; i < count; i++) {
        printf("%s", i ? ", " : "");
        cli_json_string(name(model, i));
    }
    printf("]");
}

/* The figures of one epoch record; NaN ones (no validation or test set) left
 * out, and the accuracies of a regression, which mean nothing there. */
static void print_record(const nncl_epoch_record *r, int regression)
{
    const char *acc = regression ? "" : " accuracy ";
    printf("last epoch %llu: train loss %.6g%s", (unsigned long long)r->epoch + 1, (double)r->train_loss, acc);
    if (!regression) printf("%.4f", (double)r->train_accuracy);
    if (r->valid_loss == r->valid_loss) {
        printf(", validation loss %.6g%s", (double)r->valid_loss, acc);
        if (!regression) printf("%.4f", (double)r->valid_accuracy);
    }
    if (r->test_loss == r->test_loss) {
        printf(", test loss %.6g%s", (double)r->test_loss, acc);
        if (!regression) printf("%.4f", (double)r->test_accuracy);
    }
    printf(", lr %.3g, %.2f s\n", (double)r->lr, r->seconds);
}

/* Classes that can carry names: the outputs of softmax-ce, 2 for bce. */
static size_t class_count(const nncl_model *model, nncl_loss loss)
{
    return loss == NNCL_LOSS_SOFTMAX_CE ? nncl_model_outputs(model) : loss == NNCL_LOSS_BCE ? 2 : 0;
}

static void print_text(const char *path, const nncl_model *model, const nncl_epoch_record *last, size_t epochs)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(model, &spec);
    printf("model %s\n", path);
    cli_print_summary(stdout, model);
    printf("loss: %s\n", nncl_loss_name(spec.loss));
    printf("input standardisation: %s\n", nncl_model_get_normalization(model, NULL, NULL, 0) ? "stored" : "none");
    if (spec.loss == NNCL_LOSS_MSE)
        printf("target standardisation: %s\n",
               nncl_model_get_target_normalization(model, NULL, NULL, 0) ? "stored" : "none");
    print_names("features", model, nncl_model_feature_name, spec.inputs);
    const char *target = nncl_model_target_name(model);
    printf("target: %s\n", target ? target : "none stored");
    if (class_count(model, spec.loss))
        print_names("classes", model, nncl_model_class_name, class_count(model, spec.loss));
    if (!epochs) printf("history: none stored\n");
    else {
        printf("history: %zu epoch%s\n", epochs, epochs == 1 ? "" : "s");
        print_record(last, spec.loss == NNCL_LOSS_MSE);
    }
}

static void print_json(const nncl_model *model, const nncl_epoch_record *last, size_t epochs)
{
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(model, &spec);
    printf("{\"layers\": [");
    size_t inputs = spec.inputs;
    for (size_t i = 0; i < spec.n_layers; i++) {
        size_t units = spec.layers[i].units;
        printf("%s{\"inputs\": %zu, \"units\": %zu, \"activation\": ", i ? ", " : "", inputs, units);
        cli_json_string(nncl_activation_name(spec.layers[i].activation));
        printf(", \"parameters\": %zu}", inputs * units + units);
        inputs = units;
    }
    printf("], \"parameters\": %zu, \"loss\": ", nncl_model_param_count(model));
    cli_json_string(nncl_loss_name(spec.loss));
    printf(", \"input_standardization\": %s, \"target_standardization\": %s",
           nncl_model_get_normalization(model, NULL, NULL, 0) ? "true" : "false",
           nncl_model_get_target_normalization(model, NULL, NULL, 0) ? "true" : "false");
    json_names("features", model, nncl_model_feature_name, spec.inputs);
    printf(", \"target\": ");
    cli_json_string(nncl_model_target_name(model));
    json_names("classes", model, nncl_model_class_name, class_count(model, spec.loss));
    printf(", \"epochs\": %zu, \"last_epoch\": ", epochs);
    if (epochs) cli_json_epoch(last, spec.loss == NNCL_LOSS_MSE);
    else printf("null");
    printf("}\n");
}

int cli_summary(int argc, char **argv)
{
    const char *model_path = NULL, *device = NULL;
    int json = 0;
    cli_args a = {"summary", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (cli_opt(&a, "--model")) model_path = a.value;
        else if (cli_opt(&a, "--device")) device = a.value;
        else if (cli_flag(&a, "--json")) json = 1;
        else return cli_usage_error("summary", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (!model_path) return cli_usage_error("summary", "--model is required");

    /* Loading a model needs a context: its weights go to a device. */
    nncl_context *ctx = NULL;
    nncl_model *model = NULL;
    int rc = cli_context(device, 0, &ctx);
    nncl_status st = rc ? NNCL_OK : nncl_model_load(ctx, model_path, &model, NULL);
    if (st) rc = cli_fail(ctx, st, "loading the model");
    if (!rc) {
        size_t epochs = nncl_model_history(model, NULL, 0);
        nncl_epoch_record last = {0};
        nncl_epoch_record *all = epochs ? malloc(epochs * sizeof *all) : NULL;
        if (all) {
            nncl_model_history(model, all, epochs);
            last = all[epochs - 1];
        } else {
            epochs = 0;
        }
        free(all);
        if (json) print_json(model, &last, epochs);
        else print_text(model_path, model, &last, epochs);
    }
    nncl_model_destroy(model);
    nncl_context_destroy(ctx);
    return rc;
}

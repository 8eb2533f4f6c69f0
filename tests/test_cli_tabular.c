/* SPDX-License-Identifier: MIT */
/* The command line on tabular data: predict and eval match a CSV's columns
 * to a model's by name and speak in class names, eval gives regression
 * figures, summary describes a model file, and failures read as words. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Two blobs: "cat" around x = -2, "dog" around x = +2; header x,y,kind. */
static void write_blobs(const char *path, int rows, int only_dogs)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "x,y,kind\n");
    uint64_t rng = 11;
    for (int i = 0; i < rows; i++) {
        int dog = only_dogs || i % 2;
        float x = nncl_test_uniform(&rng, -1, 1) + (dog ? 2.0f : -2.0f), y = nncl_test_uniform(&rng, -1, 1);
        fprintf(f, "%g,%g,%s\n", x, y, dog ? "dog" : "cat");
    }
    fclose(f);
}

/* A model trained on a CSV, keeping its column and class names, saved to path. */
static void train_and_save(const char *csv, int regression, const char *path)
{
    nncl_context *ctx = nncl_test_context();
    nncl_csv_options opt = nncl_csv_options_defaults();
    opt.regression = regression;
    nncl_dataset *ds = NULL;
    ck_assert_int_eq(nncl_dataset_load_csv(ctx, csv, &opt, &ds), NNCL_OK);
    size_t cols = nncl_dataset_cols(ds), classes = (size_t)nncl_dataset_classes(ds);
    nncl_layer_spec layers[] = {{8, NNCL_ACT_TANH},
                                {regression ? 1 : classes, regression ? NNCL_ACT_IDENTITY : NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = cols, spec.n_layers = 2, spec.layers = layers, spec.seed = 5;
    spec.loss = regression ? NNCL_LOSS_MSE : NNCL_LOSS_SOFTMAX_CE;
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    const char *names[8];
    for (size_t i = 0; i < cols; i++) names[i] = nncl_dataset_feature_name(ds, i);
    ck_assert_int_eq(nncl_model_set_columns(m, names, cols, nncl_dataset_target_name(ds)), NNCL_OK);
    if (!regression) {
        for (size_t i = 0; i < classes; i++) names[i] = nncl_dataset_class_name(ds, i);
        ck_assert_int_eq(nncl_model_set_class_names(m, names, classes), NNCL_OK);
    }
    nncl_optimizer o = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    o.lr = 0.02f;
    ck_assert_int_eq(nncl_model_set_optimizer(m, &o), NNCL_OK);
    nncl_fit_options fo = nncl_fit_options_defaults();
    fo.max_epochs = 40, fo.batch = 16, fo.patience = 0;
    ck_assert_int_eq(nncl_model_fit(m, ds, &fo, NULL), NNCL_OK);
    ck_assert_int_eq(nncl_model_save(m, path), NNCL_OK);
    nncl_model_destroy(m);
    nncl_dataset_destroy(ds);
}

/* An untrained classifier of `classes` classes named c0, c1, ... on columns x, y. */
static void save_wide_classifier(size_t classes, const char *path)
{
    nncl_context *ctx = nncl_test_context();
    nncl_layer_spec layer = {classes, NNCL_ACT_SOFTMAX};
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = 2, spec.n_layers = 1, spec.layers = &layer, spec.loss = NNCL_LOSS_SOFTMAX_CE, spec.seed = 3;
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    const char *features[] = {"x", "y"};
    ck_assert_int_eq(nncl_model_set_columns(m, features, 2, "label"), NNCL_OK);
    ck_assert_int_eq(nncl_model_save(m, path), NNCL_OK);
    nncl_model_destroy(m);
}

START_TEST(predict_matches_columns_by_name_and_prints_class_names)
{
    char *train = nncl_test_path("blobs.csv"), *model = nncl_test_path("blobs.safetensors"), *out = nncl_test_path("out.txt");
    write_blobs(train, 200, 0);
    train_and_save(train, 0, model);
    /* The model's columns in another order, its label column among them. */
    char *input = nncl_test_path("shuffled.csv");
    FILE *f = fopen(input, "w");
    fprintf(f, "kind,y,x\ncat,0.1,-2.2\ndog,-0.3,1.9\ncat,0.5,2.4\n");
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s predict --model %s --input %s", NNCL_CLI, model, input);
    int rc = nncl_test_shell(cmd, out);
    char *text = nncl_test_slurp(out);
    ck_assert_msg(rc == 0 && !strncmp(text, "cat ", 4) && strstr(text, "\ndog ") &&
                      !strstr(strstr(text, "\ndog ") + 1, "cat"),
                  "`%s` exited %d, said: %s", cmd, rc, text);
    free(text);
    /* A column the model needs is missing, one it does not know is there. */
    f = fopen(input, "w");
    fprintf(f, "x,z\n1,2\n");
    fclose(f);
    nncl_test_expect_shell(cmd, out, 1, "missing \"y\"", NULL);
    nncl_test_expect_shell(cmd, out, 1, "extra \"z\"", NULL);
    /* Missing values: an error by default, left out or filled in on request. */
    f = fopen(input, "w");
    fprintf(f, "x,y\n-2,0\nNA,0.5\n2,0\n");
    fclose(f);
    nncl_test_expect_shell(cmd, out, 1, ":3", NULL);
    snprintf(cmd, sizeof cmd, "%s predict --model %s --input %s --missing drop", NNCL_CLI, model, input);
    nncl_test_expect_shell(cmd, out, 0, "nncl predict: left out 1 row with missing values", NULL);
    snprintf(cmd, sizeof cmd, "%s predict --model %s --input %s --missing mean", NNCL_CLI, model, input);
    rc = nncl_test_shell(cmd, out);
    text = nncl_test_slurp(out);
    int lines = 0;
    for (char *c = text; *c; c++) lines += *c == '\n';
    ck_assert_msg(rc == 0 && lines == 3, "`%s` exited %d, said: %s", cmd, rc, text);
    free(text);
    snprintf(cmd, sizeof cmd, "%s predict --model %s --input %s --missing skip", NNCL_CLI, model, input);
    nncl_test_expect_shell(cmd, out, 2, "use error, drop or mean", NULL);
}
END_TEST

START_TEST(eval_gives_regression_figures_in_the_targets_units)
{
    char *train = nncl_test_path("line.csv"), *model = nncl_test_path("line.safetensors"), *out = nncl_test_path("out.txt");
    FILE *f = fopen(train, "w");
    fprintf(f, "a,b,price\n");
    uint64_t rng = 7;
    for (int i = 0; i < 300; i++) {
        float a = nncl_test_uniform(&rng, -1, 1), b = nncl_test_uniform(&rng, -1, 1);
        fprintf(f, "%g,%g,%g\n", a, b, 500 + 100 * a - 50 * b);
    }
    fclose(f);
    train_and_save(train, 1, model);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s", NNCL_CLI, model, train);
    nncl_test_expect_shell(cmd, out, 0, "rmse", "accuracy");
    nncl_test_expect_shell(cmd, out, 0, "r2 0.9", "confusion");
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s --json", NNCL_CLI, model, train);
    int rc = nncl_test_shell(cmd, out);
    char *text = nncl_test_slurp(out);
    char *json = strrchr(text, '{');
    ck_assert_msg(rc == 0 && json && strstr(json, "\"rmse\": ") && strstr(json, "\"mae\": ") &&
                      strstr(json, "\"r2\": 0.9") && !strstr(json, "accuracy"),
                  "`%s` exited %d, said: %s", cmd, rc, text);
    free(text);
    /* Predictions in the targets' units: about 500 at a = b = 0. */
    char *input = nncl_test_path("ab.csv");
    f = fopen(input, "w");
    fprintf(f, "b,a\n0,0\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s predict --model %s --input %s", NNCL_CLI, model, input);
    rc = nncl_test_shell(cmd, out);
    text = nncl_test_slurp(out);
    ck_assert_msg(rc == 0 && fabs(atof(text) - 500) < 25, "`%s` exited %d, said: %s", cmd, rc, text);
    free(text);
}
END_TEST

START_TEST(eval_names_classes_and_bounds_the_confusion_matrix)
{
    char *train = nncl_test_path("blobs2.csv"), *model = nncl_test_path("blobs2.safetensors"), *out = nncl_test_path("out.txt");
    write_blobs(train, 200, 0);
    train_and_save(train, 0, model);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s", NNCL_CLI, model, train);
    nncl_test_expect_shell(cmd, out, 0, "   cat    dog\n   cat", NULL);
    /* A file with dogs only numbers its one class 0: it must still be "dog". */
    char *dogs = nncl_test_path("dogs.csv");
    write_blobs(dogs, 20, 1);
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s --json", NNCL_CLI, model, dogs);
    nncl_test_expect_shell(cmd, out, 0, "\"accuracy\": 1", NULL);
    nncl_test_expect_shell(cmd, out, 0, "\"confusion\": [[0, 0], [0, 20]]", NULL);

    /* Beyond 20 classes, the most frequent confusions instead of a matrix. */
    char *labels = nncl_test_path("labels.csv");
    FILE *f = fopen(labels, "w");
    fprintf(f, "x,y,label\n");
    for (int i = 0; i < 60; i++) fprintf(f, "%d,%d,%d\n", i % 7 - 3, i % 5 - 2, i % 30);
    fclose(f);
    char *wide = nncl_test_path("wide.safetensors");
    save_wide_classifier(30, wide);
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s --json", NNCL_CLI, wide, labels);
    nncl_test_expect_shell(cmd, out, 0, "most frequent confusions", "\"confusion\"");
    nncl_test_expect_shell(cmd, out, 0, "\"top_confusions\": [{\"true\": ", NULL);
    /* 65536 classes: a matrix of 34 GB is never allocated. */
    save_wide_classifier(NNCL_MAX_CLASSES, wide);
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s", NNCL_CLI, wide, labels);
    nncl_test_expect_shell(cmd, out, 0, "65536 classes: too many for a confusion matrix", NULL);
}
END_TEST

START_TEST(summary_describes_a_model_file)
{
    char *train = nncl_test_path("blobs3.csv"), *model = nncl_test_path("blobs3.safetensors"), *out = nncl_test_path("out.txt");
    write_blobs(train, 100, 0);
    train_and_save(train, 0, model);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s summary --model %s", NNCL_CLI, model);
    struct { const char *needle; } want[] = {
        {"    0       2 ->      8  tanh                 24\n"}, {"    1       8 ->      2  softmax              18\n"},
        {"total                                         42\n"}, {"loss: softmax-ce\n"},
        {"input standardisation: stored\n"}, {"features (2): x, y\n"}, {"target: kind\n"},
        {"classes (2): cat, dog\n"}, {"history: 40 epochs\nlast epoch 40: train loss "},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        nncl_test_expect_shell(cmd, out, 0, want[i].needle, NULL);
    snprintf(cmd, sizeof cmd, "%s summary --model %s --json", NNCL_CLI, model);
    nncl_test_expect_shell(cmd, out, 0,
                           "{\"layers\": [{\"inputs\": 2, \"units\": 8, \"activation\": \"tanh\", \"parameters\": 24}",
                           NULL);
    nncl_test_expect_shell(cmd, out, 0,
                           "\"parameters\": 42, \"loss\": \"softmax-ce\", \"input_standardization\": true, "
                           "\"target_standardization\": false, \"features\": [\"x\", \"y\"], \"target\": \"kind\", "
                           "\"classes\": [\"cat\", \"dog\"], \"epochs\": 40, \"last_epoch\": {\"epoch\": 40",
                           NULL);
    snprintf(cmd, sizeof cmd, "%s summary", NNCL_CLI);
    nncl_test_expect_shell(cmd, out, 2, "--model is required", NULL);
}
END_TEST

START_TEST(failures_read_as_words)
{
    char *csv = nncl_test_path("blobs4.csv"), *out = nncl_test_path("out.txt");
    write_blobs(csv, 10, 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s eval --model %s --data %s", NNCL_CLI, csv, csv);
    nncl_test_expect_shell(cmd, out, 1, "nncl eval: loading the model: ", "NNCL_ERR");
    nncl_test_expect_shell(cmd, out, 1, "not a safetensors file (it starts with \"x,y,kind", "header length 7");
    snprintf(cmd, sizeof cmd, "%s summary --model %s", NNCL_CLI, csv);
    nncl_test_expect_shell(cmd, out, 1, "nncl summary: loading the model: ", "NNCL_ERR");
    snprintf(cmd, sizeof cmd, "%s predict --model /nonexistent.safetensors --input %s", NNCL_CLI, csv);
    nncl_test_expect_shell(cmd, out, 1, "nncl predict: loading the model: /nonexistent.safetensors", "NNCL_ERR");
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 600, predict_matches_columns_by_name_and_prints_class_names,
                   eval_gives_regression_figures_in_the_targets_units,
                   eval_names_classes_and_bounds_the_confusion_matrix, summary_describes_a_model_file,
                   failures_read_as_words);
}

int main(int argc, char **argv) { return nncl_test_run("cli_tabular", NULL, device_cases, argc, argv); }

/* SPDX-License-Identifier: MIT */
/* `nncl train` on tabular data, as a new user runs it: CSV files whatever
 * their name, the task decided from the labels, defaults that learn
 * unscaled columns, never training data reported as test data, history,
 * Ctrl-C and resume keeping the curves, --quiet. Each case is a friction a
 * user met (a silent wrong result or a needed expert flag). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Two classes apart in x, a third column on a scale of thousands (as
 * proline in wine): rows lines of "x,y,big,label". */
static const char *blobs_csv(const char *name, int rows, uint64_t seed, const char *labels[2])
{
    size_t cap = (size_t)rows * 64 + 64;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap, "x,y,big,label\n");
    uint64_t rng = seed;
    for (int i = 0; i < rows; i++) {
        int k = i % 2;
        float x = nncl_test_uniform(&rng, -1, 1) + (k ? 1.5f : -1.5f), y = nncl_test_uniform(&rng, -1, 1);
        float big = 1000 + 300 * nncl_test_uniform(&rng, -1, 1);
        n += (size_t)snprintf(text + n, cap - n, "%g,%g,%g,%s\n", x, y, big, labels[k]);
    }
    const char *path = nncl_test_write_text(name, text);
    free(text);
    return path;
}

static char *train(const char *args, int want_status)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s train %s", NNCL_CLI, args);
    return nncl_test_command(cmd, "train-out.txt", want_status);
}

/* A number after `key` in text, or -1e30. */
static double number_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? atof(p + strlen(key)) : -1e30;
}

/* A CSV named .data or .CSV is a CSV (not an IDX folder's training part),
 * and with no test set nothing is reported as test data. */
START_TEST(csv_by_content_and_no_fake_test_set)
{
    const char *labels[2] = {"0", "1"};
    const char *data = blobs_csv("wine_train.data", 120, 1, labels);
    char args[2048];
    snprintf(args, sizeof args, "--data %s --epochs 3 --json", data);
    char *text = train(args, 0);
    ck_assert_msg(strstr(text, "no test set") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\"test_accuracy\": null") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "test rows") == NULL, "%s", text);
    free(text);
    const char *upper = blobs_csv("WINE.CSV", 120, 2, labels);
    snprintf(args, sizeof args, "--data %s --test-data %s --epochs 3 --json", upper, data);
    text = train(args, 0);
    ck_assert_msg(strstr(text, "120 test rows") != NULL, "%s", text);
    free(text);
}
END_TEST

/* Many distinct whole-number targets are a regression (not a 300-class
 * softmax); the run reports RMSE and R², and the model has one output. */
START_TEST(regression_targets_train_a_regressor)
{
    size_t cap = 64 * 400;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap, "a,b,progression\n");
    uint64_t rng = 9;
    for (int i = 0; i < 300; i++) {
        float a = nncl_test_uniform(&rng, -1, 1), b = nncl_test_uniform(&rng, -1, 1);
        n += (size_t)snprintf(text + n, cap - n, "%g,%g,%d\n", a, b, (int)(150 + 60 * a - 40 * b));
    }
    const char *data = nncl_test_write_text("diabetes_like.csv", text);
    free(text);
    char args[2048], model[1024];
    snprintf(model, sizeof model, "%s/regressor.safetensors", nncl_test_tmpdir());
    snprintf(args, sizeof args, "--data %s --test-data %s --save %s --json", data, data, model);
    char *out = train(args, 0);
    ck_assert_msg(strstr(out, "regression (mse)") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "\"task\": \"regression\"") != NULL, "%s", out);
    double r2 = number_after(out, "\"test_r2\": ");
    ck_assert_msg(r2 > 0.9, "R2 %g:\n%s", r2, out);
    ck_assert_msg(number_after(out, "\"test_rmse\": ") < 10, "%s", out);
    free(out);
    char *saved = nncl_test_slurp(model);
    const char *header = saved + 8; /* after the header length */
    ck_assert_msg(strstr(header, ",1:identity\"") != NULL && strstr(header, "\"loss\":\"mse\"") != NULL, "%.300s",
                  header);
    free(saved);
}
END_TEST

/* With no flag at all, string labels and a column in the thousands: the
 * features are standardised and the classes learnt; a summary comes first. */
START_TEST(defaults_learn_unscaled_columns)
{
    const char *labels[2] = {"setosa", "virginica"};
    const char *data = blobs_csv("flowers.csv", 200, 3, labels), *test = blobs_csv("flowers_test.csv", 100, 4, labels);
    char args[2048];
    snprintf(args, sizeof args, "--data %s --test-data %s --json", data, test);
    char *out = train(args, 0);
    ck_assert_msg(strstr(out, "classification, 2 classes (setosa, virginica)") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "parameters") != NULL, "no model summary:\n%s", out);
    double acc = number_after(out, "\"test_accuracy\": ");
    ck_assert_msg(acc > 0.9, "test accuracy %g:\n%s", acc, out);
    free(out);
}
END_TEST

/* --history writes every epoch; --json carries the history and the peak
 * device memory; --quiet prints no epoch lines. */
START_TEST(history_json_and_quiet)
{
    const char *labels[2] = {"0", "1"};
    const char *data = blobs_csv("hist.csv", 100, 5, labels);
    char args[2048], hist[1024];
    snprintf(hist, sizeof hist, "%s/history.csv", nncl_test_tmpdir());
    snprintf(args, sizeof args, "--data %s --epochs 4 --early-stop 0 --history %s --json --quiet", data, hist);
    char *out = train(args, 0);
    ck_assert_msg(strstr(out, "epoch   1") == NULL, "--quiet printed epochs:\n%s", out);
    ck_assert_msg(strstr(out, "\"history\": [{\"epoch\": 1,") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "{\"epoch\": 4,") != NULL, "%s", out);
    /* The device memory of the run: a small model and 100 rows, well under a MiB. */
    double device_mib = number_after(out, "\"peak_device_mib\": ");
    ck_assert_msg(device_mib > 0 && device_mib < 1, "peak_device_mib %g:\n%s", device_mib, out);
    free(out);
    char *table = nncl_test_slurp(hist);
    int lines = 0;
    for (char *c = table; *c; c++) lines += *c == '\n';
    ck_assert_msg(lines == 5 && !strncmp(table, "epoch,train_loss,", 17), "%s", table);
    free(table);
}
END_TEST

/* Ctrl-C writes the checkpoint, the plot and the history; the resumed run's
 * history and plot hold the epochs before the interruption too. */
START_TEST(interrupt_keeps_the_curves_and_resume_continues_them)
{
    const char *labels[2] = {"0", "1"};
    const char *data = blobs_csv("long.csv", 400, 6, labels);
    const char *dir = nncl_test_tmpdir();
    char cmd[4096], out[1024];
    snprintf(out, sizeof out, "%s/interrupt.txt", dir);
    snprintf(cmd, sizeof cmd,
             "%s train --data %s --epochs 100000 --early-stop 0 --batch 16 --checkpoint %s/int.safetensors "
             "--plot %s/int.svg --history %s/int.csv & pid=$!; "
             "for i in $(seq 200); do sleep 0.05; grep -q 'epoch   2' %s 2>/dev/null && break; done; "
             "kill -INT $pid; wait $pid",
             NNCL_CLI, data, dir, dir, dir, out);
    int rc = nncl_test_shell(cmd, out);
    char *text = nncl_test_slurp(out);
    ck_assert_msg(rc == 130, "exit %d:\n%s", rc, text);
    ck_assert_msg(strstr(text, "resume with --resume") != NULL, "%s", text);
    free(text);
    char path[1024];
    snprintf(path, sizeof path, "%s/int.svg", dir);
    text = nncl_test_slurp(path);
    ck_assert_ptr_nonnull(strstr(text, "</svg>"));
    free(text);
    snprintf(path, sizeof path, "%s/int.csv", dir);
    text = nncl_test_slurp(path);
    int before = 0;
    for (char *c = text; *c; c++) before += *c == '\n';
    free(text);
    ck_assert_int_ge(before, 3); /* header + at least two epochs */

    char args[2048];
    /* --epochs counts from the start: the run goes on to epoch before + 1 (the table has a header line). */
    snprintf(args, sizeof args, "--data %s --epochs %d --batch 16 --early-stop 0 --resume %s/int.safetensors "
             "--history %s/resumed.csv --json", data, before + 1, dir, dir);
    text = train(args, 0);
    free(text);
    snprintf(path, sizeof path, "%s/resumed.csv", dir);
    text = nncl_test_slurp(path);
    int after = 0;
    for (char *c = text; *c; c++) after += *c == '\n';
    ck_assert_msg(after == before + 2, "history before %d lines, after %d:\n%s", before, after, text);
    ck_assert_msg(strstr(text, "\n1,") != NULL, "the first epoch is gone:\n%s", text);
    free(text);
}
END_TEST

/* A resumed run holds out the same validation rows as the run it continues
 * (the checkpoint's seed, not --seed's default): the epochs after the resume
 * are those of a run never stopped. */
START_TEST(resume_keeps_the_validation_split)
{
    const char *labels[2] = {"0", "1"};
    const char *data = blobs_csv("split.csv", 200, 8, labels);
    const char *dir = nncl_test_tmpdir();
    char args[2048], path[1024];
    snprintf(args, sizeof args, "--data %s --seed 7 --validation-split 0.25 --schedule constant --early-stop 0 "
             "--epochs 4 --history %s/whole.csv", data, dir);
    free(train(args, 0));
    snprintf(args, sizeof args, "--data %s --seed 7 --validation-split 0.25 --schedule constant --early-stop 0 "
             "--epochs 2 --checkpoint %s/half.safetensors", data, dir);
    free(train(args, 0));
    snprintf(args, sizeof args, "--data %s --validation-split 0.25 --early-stop 0 --epochs 4 --resume "
             "%s/half.safetensors --history %s/resumed.csv", data, dir, dir);
    free(train(args, 0));
    snprintf(path, sizeof path, "%s/whole.csv", dir);
    char *whole = nncl_test_slurp(path);
    snprintf(path, sizeof path, "%s/resumed.csv", dir);
    char *resumed = nncl_test_slurp(path);
    /* Epochs 3 and 4: the same losses (the last four columns, lr and times,
     * may differ). */
    for (const char *epoch = "\n3,"; epoch; epoch = strcmp(epoch, "\n3,") ? NULL : "\n4,") {
        const char *a = strstr(whole, epoch), *b = strstr(resumed, epoch);
        ck_assert_msg(a && b, "epoch %s missing:\n%s\n%s", epoch + 1, whole, resumed);
        size_t n = 0; /* up to and including test_accuracy: seven cells */
        for (int commas = 0; a[n + 1] && commas < 7; n++) commas += a[n + 1] == ',';
        ck_assert_msg(strncmp(a, b, n) == 0, "epoch %s differs:\n%.*s\n%.*s", epoch + 1, (int)n, a, (int)n, b);
    }
    free(whole);
    free(resumed);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 300, csv_by_content_and_no_fake_test_set, regression_targets_train_a_regressor,
                   defaults_learn_unscaled_columns, history_json_and_quiet,
                   interrupt_keeps_the_curves_and_resume_continues_them, resume_keeps_the_validation_split);
}

int main(int argc, char **argv) { return nncl_test_run("cli_train", NULL, device_cases, argc, argv); }

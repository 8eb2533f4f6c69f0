/* SPDX-License-Identifier: MIT */
/* Tabular data through the public API: CSV files recognised by content,
 * classification or regression decided from the labels (NNCL_CSV_AUTO),
 * header and class names, missing values, columns matched by name. */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

static nncl_dataset *load(nncl_context *ctx, const char *path, int regression)
{
    nncl_csv_options o = nncl_csv_options_defaults();
    o.regression = regression;
    nncl_dataset *ds = NULL;
    nncl_status st = nncl_dataset_open(ctx, path, "train", &o, &ds);
    ck_assert_msg(st == NNCL_OK, "%s: %s", path, nncl_last_error(ctx));
    return ds;
}

/* The rule of NNCL_CSV_AUTO, case by case. */
START_TEST(auto_decides_classes_or_values)
{
    nncl_context *ctx = nncl_test_context();
    /* names: classes, in sorted order */
    nncl_dataset *ds = load(ctx, nncl_test_write_text("iris.data", "a,b,species\n1,2,virginica\n3,4,setosa\n5,6,setosa\n"),
                            NNCL_CSV_AUTO);
    ck_assert_int_eq(nncl_dataset_classes(ds), 2);
    ck_assert_str_eq(nncl_dataset_class_name(ds, 0), "setosa");
    ck_assert_str_eq(nncl_dataset_class_name(ds, 1), "virginica");
    ck_assert_str_eq(nncl_dataset_target_name(ds), "species");
    ck_assert_str_eq(nncl_dataset_feature_name(ds, 1), "b");
    ck_assert_ptr_null(nncl_dataset_feature_name(ds, 2));
    float t[3];
    ck_assert_int_eq(nncl_dataset_targets(ds, t, 3), NNCL_OK);
    ck_assert_float_eq(t[0], 1.0f);
    nncl_dataset_destroy(ds);

    /* fractions: values */
    ds = load(ctx, nncl_test_write_text("frac.csv", "x,y\n1,0.5\n2,1.5\n3,2\n"), NNCL_CSV_AUTO);
    ck_assert_int_eq(nncl_dataset_classes(ds), 0);
    ck_assert_int_eq(nncl_dataset_targets(ds, t, 3), NNCL_OK);
    ck_assert_float_eq(t[1], 1.5f);
    nncl_dataset_destroy(ds);

    /* negative whole numbers: values */
    ds = load(ctx, nncl_test_write_text("neg.csv", "x,y\n1,-1\n2,3\n3,2\n"), NNCL_CSV_AUTO);
    ck_assert_int_eq(nncl_dataset_classes(ds), 0);
    nncl_dataset_destroy(ds);

    /* few distinct whole numbers with enough rows each: classes */
    char text[4096] = "x,label\n";
    for (int r = 0; r < 30; r++) snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%d\n", r, r % 3);
    ds = load(ctx, nncl_test_write_text("three.csv", text), NNCL_CSV_AUTO);
    ck_assert_int_eq(nncl_dataset_classes(ds), 3);
    ck_assert_ptr_null(nncl_dataset_class_name(ds, 0));
    nncl_dataset_destroy(ds);

    /* many distinct whole numbers (a diabetes-like progression score): values */
    strcpy(text, "x,score\n");
    for (int r = 0; r < 60; r++) snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%d\n", r, 25 + 5 * r);
    ds = load(ctx, nncl_test_write_text("score.csv", text), NNCL_CSV_AUTO);
    ck_assert_int_eq(nncl_dataset_classes(ds), 0);
    ck_assert_int_eq(nncl_dataset_targets(ds, t, 1) == NNCL_ERR_SHAPE, 1);
    nncl_dataset_destroy(ds);

    /* explicit classes still refuse fractions, explicit values refuse names */
    nncl_csv_options o = nncl_csv_options_defaults();
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, nncl_test_write_text("frac2.csv", "x,y\n1,0.5\n"), NULL, &o, &ds),
                 NNCL_ERR_FORMAT, "not an integer");
    o.regression = 1;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, nncl_test_write_text("names2.csv", "x,y\n1,a\n"), NULL, &o, &ds),
                 NNCL_ERR_FORMAT, "not a number");
    /* A bad feature cell is named as such, not blamed on the class names. */
    o.regression = NNCL_CSV_AUTO;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, nncl_test_write_text("badcell.csv", "a,b,species\n1,2,setosa\n3,4,virginica\n5,x,setosa\n"),
                                        NULL, &o, &ds),
                 NNCL_ERR_FORMAT, "badcell.csv:4:2:");
    o.regression = 7;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, nncl_test_write_text("ok.csv", "x,y\n1,0\n"), NULL, &o, &ds),
                 NNCL_ERR_INVALID_ARG, "regression 7");
}
END_TEST

/* A file is taken by its content, not its name: a CSV called .data or
 * .CSV loads; an IDX file, a model file or a binary is named for what it is. */
START_TEST(files_are_recognised_by_content)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *ds = load(ctx, nncl_test_write_text("WINE.CSV", "a;b;c\n1;2;0\n3;4;1\n"), 0);
    ck_assert_uint_eq(nncl_dataset_rows(ds), 2);
    nncl_dataset_destroy(ds);
    ds = load(ctx, nncl_test_write_text("wine_train.data", "1\t2\t0\n3\t4\t1\n"), 0);
    ck_assert_uint_eq(nncl_dataset_cols(ds), 2);
    nncl_dataset_destroy(ds);

    const char *idx = nncl_test_write_text("images.csv", "");
    FILE *f = fopen(idx, "wb");
    const unsigned char header[16] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    fwrite(header, 1, 16, f);
    fputc(7, f);
    fclose(f);
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, idx, NULL, NULL, &ds), NNCL_ERR_FORMAT, "an IDX images file");
    ck_assert_ptr_null(ds);

    const char *bin = nncl_test_write_text("model.safetensors", "");
    f = fopen(bin, "wb");
    const unsigned char st[12] = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0, 1};
    fwrite(st, 1, sizeof st, f);
    fclose(f);
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, bin, NULL, NULL, &ds), NNCL_ERR_FORMAT, "not a CSV table");
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no-such-file.csv", nncl_test_tmpdir());
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, missing, NULL, NULL, &ds), NNCL_ERR_IO, "cannot open");
}
END_TEST

/* Missing values through the public options; columns by a model's names. */
START_TEST(missing_values_and_columns_by_name)
{
    nncl_context *ctx = nncl_test_context();
    const char *p = nncl_test_write_text("gaps.csv", "a,b,label\n1,,0\n3,4,1\nNA,6,1\n7,8,\n");
    nncl_csv_options o = nncl_csv_options_defaults();
    nncl_dataset *ds = NULL;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, p, NULL, &o, &ds), NNCL_ERR_FORMAT, "gaps.csv:2:2:");
    o.missing = NNCL_MISSING_DROP;
    ck_assert_int_eq(nncl_dataset_open(ctx, p, NULL, &o, &ds), NNCL_OK);
    ck_assert_uint_eq(nncl_dataset_rows(ds), 1);
    ck_assert_uint_eq(nncl_dataset_dropped_rows(ds), 3);
    nncl_dataset_destroy(ds);
    o.missing = NNCL_MISSING_MEAN;
    ck_assert_int_eq(nncl_dataset_open(ctx, p, NULL, &o, &ds), NNCL_OK);
    ck_assert_uint_eq(nncl_dataset_rows(ds), 3);
    ck_assert_uint_eq(nncl_dataset_dropped_rows(ds), 1);
    float mean[2], sd[2];
    ck_assert_int_eq(nncl_dataset_stats(ds, mean, sd, 2), NNCL_OK);
    ck_assert_float_eq_tol(mean[0], 2.0f, 1e-6); /* 1, 3 and their mean 2 */
    nncl_dataset_destroy(ds);
    o.missing = (nncl_missing)9;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, p, NULL, &o, &ds), NNCL_ERR_INVALID_ARG, "missing-value policy 9");

    const char *names[2] = {"a", "b"};
    o = nncl_csv_options_defaults();
    o.features = names;
    o.n_features = 2;
    o.label_column = "label";
    ck_assert_int_eq(nncl_dataset_open(ctx, nncl_test_write_text("ba.csv", "b,a\n2,1\n"), NULL, &o, &ds), NNCL_OK);
    ck_assert_str_eq(nncl_dataset_feature_name(ds, 0), "a");
    ck_assert_int_eq(nncl_dataset_classes(ds), 0);
    nncl_dataset_destroy(ds);
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, nncl_test_write_text("ac.csv", "a,c\n2,1\n"), NULL, &o, &ds), NNCL_ERR_FORMAT,
                 "missing \"b\"; extra \"c\"");
    o.features = NULL;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, p, NULL, &o, &ds), NNCL_ERR_INVALID_ARG, "features is NULL");
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 120, auto_decides_classes_or_values, files_are_recognised_by_content,
                   missing_values_and_columns_by_name);
}

int main(int argc, char **argv) { return nncl_test_run("tabular", NULL, device_cases, argc, argv); }

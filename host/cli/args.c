/* SPDX-License-Identifier: MIT */
/* Shared option parsing and context set-up for the subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The subcommand running, for the prefix of failure messages. */
static const char *running_command;

void cli_set_command(const char *command) { running_command = command; }

double cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_fail(const nncl_context *ctx, nncl_status st, const char *what)
{
    /* The detail names the file, line or value; the status only says what
     * kind of failure, in plain words, when there is no detail. */
    const char *detail = nncl_last_error(ctx);
    if (!detail || !*detail) {
        detail = nncl_status_string(st);
        const char *words = strstr(detail, ": ");
        if (words) detail = words + 2;
    }
    fprintf(stderr, "nncl%s%s: %s: %s\n", running_command ? " " : "", running_command ? running_command : "",
            what, detail);
    return 1;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nncl%s%s: ", command ? " " : "", command ? command : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see nncl %s%s--help)\n", command ? command : "", command ? " " : "");
    va_end(ap);
    return 2;
}

int cli_opt(cli_args *a, const char *name)
{
    const char *arg = a->argv[a->index];
    size_t len = strlen(name);
    if (strncmp(arg, name, len)) return 0;
    if (arg[len] == '=') {
        a->value = arg + len + 1;
        a->index++;
        return 1;
    }
    if (arg[len] != '\0') return 0;
    if (a->index + 1 >= a->argc || !strncmp(a->argv[a->index + 1], "--", 2)) {
        cli_usage_error(a->command, "option %s needs a value", name);
        a->failed = 1;
        a->index++;
        a->value = NULL;
        return 1;
    }
    a->value = a->argv[a->index + 1];
    a->index += 2;
    return 1;
}

int cli_flag(cli_args *a, const char *name)
{
    if (strcmp(a->argv[a->index], name)) return 0;
    a->index++;
    return 1;
}

int cli_parse_u64(cli_args *a, const char *name, unsigned long long *out)
{
    if (!a->value) return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(a->value, &end, 10);
    if (errno || end == a->value || *end || a->value[0] == '-') {
        cli_usage_error(a->command, "%s \"%s\" is not a whole number", name, a->value);
        a->failed = 1;
        return 0;
    }
    *out = v;
    return 1;
}

int cli_parse_size(cli_args *a, const char *name, size_t *out)
{
    unsigned long long v;
    if (!cli_parse_u64(a, name, &v)) return 0;
    *out = (size_t)v;
    return 1;
}

int cli_parse_float(cli_args *a, const char *name, float *out)
{
    if (!a->value) return 0;
    char *end = NULL;
    float v = strtof(a->value, &end);
    if (end == a->value || *end || !isfinite(v)) {
        cli_usage_error(a->command, "%s \"%s\" is not a number", name, a->value);
        a->failed = 1;
        return 0;
    }
    *out = v;
    return 1;
}

int cli_parse_missing(cli_args *a, nncl_missing *out)
{
    if (!a->value) return 0;
    static const struct { const char *name; nncl_missing policy; } policies[] = {
        {"error", NNCL_MISSING_ERROR}, {"drop", NNCL_MISSING_DROP}, {"mean", NNCL_MISSING_MEAN}};
    for (size_t i = 0; i < sizeof policies / sizeof *policies; i++) {
        if (!strcmp(a->value, policies[i].name)) {
            *out = policies[i].policy;
            return 1;
        }
    }
    cli_usage_error(a->command, "--missing \"%s\": use error, drop or mean", a->value);
    a->failed = 1;
    return 0;
}

/* The model's input column names (inputs entries), or NULL when it has none
 * or there is no memory (then columns are taken by position). */
static const char **model_features(const nncl_model *model)
{
    size_t inputs = nncl_model_inputs(model);
    if (!nncl_model_feature_name(model, 0)) return NULL;
    const char **names = malloc(inputs * sizeof *names);
    for (size_t i = 0; names && i < inputs; i++) names[i] = nncl_model_feature_name(model, i);
    return names;
}

int cli_open_model(const cli_model_data *req, nncl_context **ctx, nncl_model **model, nncl_dataset **ds)
{
    *ctx = NULL, *model = NULL, *ds = NULL;
    int rc = cli_context(req->device, 0, ctx);
    if (rc) return rc;
    nncl_status st = nncl_model_load(*ctx, req->model_path, model, NULL);
    if (st) return cli_fail(*ctx, st, "loading the model");
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(*model, &spec);
    const char **features = model_features(*model);
    const char *target = nncl_model_target_name(*model);
    nncl_csv_options csv = nncl_csv_options_defaults();
    csv.features = features;
    csv.n_features = features ? nncl_model_inputs(*model) : 0;
    int by_target = !req->label_column && features && target;
    csv.label_column = req->label_column ? req->label_column : by_target ? target : req->default_label;
    csv.regression = spec.loss != NNCL_LOSS_SOFTMAX_CE;
    csv.missing = req->missing;
    st = nncl_dataset_open(*ctx, req->data, "test", &csv, ds);
    if (!st && by_target && !req->default_label && !nncl_dataset_feature_name(*ds, 0)) {
        /* A file without a header row has no target column by name: its
         * label is where it would be without names, the last column. */
        nncl_dataset_destroy(*ds);
        *ds = NULL;
        csv.label_column = req->default_label;
        st = nncl_dataset_open(*ctx, req->data, "test", &csv, ds);
    }
    free(features);
    if (st) return cli_fail(*ctx, st, "loading the data");
    size_t dropped = nncl_dataset_dropped_rows(*ds);
    if (dropped)
        fprintf(stderr, "nncl %s: left out %zu row%s %s\n", running_command ? running_command : "",
                dropped, dropped == 1 ? "" : "s",
                req->missing == NNCL_MISSING_DROP ? "with missing values (--missing drop)"
                                                  : "without a label (--missing mean fills in features only)");
    return 0;
}

int cli_context(const char *device, int profile, nncl_context **ctx)
{
    nncl_context_options opt = nncl_context_options_defaults();
    opt.device = device;
    opt.profile = profile;
    nncl_status st = nncl_context_create(&opt, ctx);
    return st == NNCL_OK ? 0 : cli_fail(NULL, st, "opening the OpenCL device");
}

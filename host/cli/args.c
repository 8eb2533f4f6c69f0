/* Shared option parsing and context set-up for the subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const nncl_context *ctx, nncl_status st, const char *what)
{
    fprintf(stderr, "nncl: %s: %s: %s\n", what, nncl_status_string(st), nncl_last_error(ctx));
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

int cli_open_model(const char *device, const char *model_path, const char *data, const char *label_column,
                   nncl_context **ctx, nncl_model **model, nncl_dataset **ds)
{
    *ctx = NULL, *model = NULL, *ds = NULL;
    int rc = cli_context(device, 0, ctx);
    if (rc) return rc;
    nncl_status st = nncl_model_load(*ctx, model_path, model, NULL);
    if (st) return cli_fail(*ctx, st, "loading the model");
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(*model, &spec);
    nncl_csv_options csv = nncl_csv_options_defaults();
    csv.label_column = label_column;
    csv.regression = spec.loss != NNCL_LOSS_SOFTMAX_CE;
    if ((st = nncl_dataset_open(*ctx, data, "test", &csv, ds))) return cli_fail(*ctx, st, "loading the data");
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

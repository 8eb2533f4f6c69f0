/* The nncl command-line tool: one file per subcommand, sharing these helpers. */
#ifndef NNCL_CLI_H
#define NNCL_CLI_H

#include <nncl/nncl.h>

#include <stddef.h>
#include <stdio.h>

int cli_devices(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_bench(int argc, char **argv);

/* The model's layer table (inputs -> units, activation, parameters) and its
 * total, for `nncl summary` and the start of `nncl train`. */
void cli_print_summary(FILE *out, const nncl_model *model);

/* Prints "nncl: <what>: <status>: <detail>" to stderr and returns 1. */
int cli_fail(const nncl_context *ctx, nncl_status st, const char *what);
/* Prints "nncl <command>: <message> (see nncl <command> --help)"; returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...);

/* Option parsing: `--name value` or `--name=value`. */
typedef struct {
    const char *command;
    int argc, index;
    char **argv;
    const char *value; /* of the option just matched */
    int failed;        /* a usage error was printed */
} cli_args;

/* 1 when argv[index] is the option `name` with a value (advances past it);
 * prints a usage error and sets failed when the value is missing. */
int cli_opt(cli_args *a, const char *name);
/* 1 when argv[index] is the flag `name` (advances). */
int cli_flag(cli_args *a, const char *name);
/* Strict number parsing; print a usage error naming the option on failure. */
int cli_parse_size(cli_args *a, const char *name, size_t *out);
int cli_parse_u64(cli_args *a, const char *name, unsigned long long *out);
int cli_parse_float(cli_args *a, const char *name, float *out);

/* Context, model (from model_path) and data set (the "test" part of data,
 * CSV labels parsed as the model's loss needs) for eval and predict. On
 * failure prints why and returns non-zero; the caller destroys what was made. */
int cli_open_model(const char *device, const char *model_path, const char *data, const char *label_column,
                   nncl_context **ctx, nncl_model **model, nncl_dataset **ds);
/* Creates a context on `device` (NULL: NNCL_DEVICE or the default),
 * timing every kernel when profile is set. */
int cli_context(const char *device, int profile, nncl_context **ctx);

#endif

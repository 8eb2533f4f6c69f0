/* SPDX-License-Identifier: MIT */
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
int cli_summary(int argc, char **argv);
int cli_bench(int argc, char **argv);

/* Names the subcommand running ("eval"), for cli_fail's messages; main calls it. */
void cli_set_command(const char *command);
/* Prints "nncl <command>: <what>: <detail>" to stderr, the detail being the
 * last error of ctx (NULL: of this thread) or, without one, st in words;
 * returns 1. */
int cli_fail(const nncl_context *ctx, nncl_status st, const char *what);
/* Seconds on the monotonic clock, for the commands' timings. */
double cli_seconds(void);
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

/* --missing error|drop|mean, as nncl_csv_options.missing; prints a usage
 * error and sets failed for another word. */
int cli_parse_missing(cli_args *a, nncl_missing *out);

/* What eval and predict read: a model and the data to run it on. */
typedef struct {
    const char *device;        /* NULL: NNCL_DEVICE or the default */
    const char *model_path;
    const char *data;          /* a CSV, an IDX folder or fashion-mnist (its "test" part) */
    const char *label_column;  /* --label-column; NULL: the model's target column when the
                                  model has column names, else default_label */
    const char *default_label; /* "none" (predict) or NULL: the last column (eval) */
    nncl_missing missing;
} cli_model_data;

/* Context, model and data set. A model with column names takes its inputs
 * from the CSV's columns of those names, in any order (a file without a
 * header row: by position); CSV labels are parsed as the model's loss needs.
 * Says on stderr how many rows --missing left out. On failure prints why
 * and returns non-zero; the caller destroys what was made. */
int cli_open_model(const cli_model_data *req, nncl_context **ctx, nncl_model **model, nncl_dataset **ds);
/* The layers of a model as a compact table: a header line, one line per
 * layer (index, inputs -> units, activation, parameters) and a total line. */
void cli_print_summary(FILE *out, const nncl_model *model);

/* JSON values on stdout: a number (null for NaN and infinities); a string
 * with quotes, backslashes and control characters escaped (NULL: null). */
void cli_json_number(double v);
void cli_json_string(const char *s);
/* One epoch's record as a JSON object (epoch 1-based; accuracies null for a
 * regression): what `train --json` lists in "history" and `summary --json`
 * gives as "last_epoch". */
void cli_json_epoch(const nncl_epoch_record *r, int regression);

/* Creates a context on `device` (NULL: NNCL_DEVICE or the default),
 * timing every kernel when profile is set. */
int cli_context(const char *device, int profile, nncl_context **ctx);
/* The device of node-local rank local_rank, as an index written to out:
 * among the devices that spec (NULL: $NNCL_DEVICE) selects — the one it
 * names and the others of its type on its platform, from it on — the
 * local_rank-th, round robin when there are fewer; a spec that is an index
 * names one device for every rank. Prints why and returns 1 on failure. */
int cli_rank_device(const char *spec, int local_rank, char *out, size_t size);

#endif

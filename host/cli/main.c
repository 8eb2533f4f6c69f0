/* SPDX-License-Identifier: MIT */
/* nncl command line: dispatches to the subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: nncl <command> [options]\n"
    "\n"
    "commands:\n"
    "  train        train a model on a data set (default: Fashion-MNIST)\n"
    "  eval         how well a model does on a data set: accuracy and confusion\n"
    "               matrix, or RMSE, MAE and R² for regression\n"
    "  predict      a model's outputs for each row of a CSV or data set\n"
    "  summary      a model file's layers, parameters, column and class names, history\n"
    "  bench        GEMM and training speed beside OpenBLAS and CLBlast\n"
    "  devices      list OpenCL devices and the one nncl would choose\n"
    "\n"
    "options:\n"
    "  -h, --help     this text (nncl <command> --help for a command's options)\n"
    "  -V, --version  the nncl version\n"
    "\n"
    "environment:\n"
    "  NNCL_DEVICE    device to use: gpu, cpu, an index from `nncl devices`,\n"
    "                 or part of a device name\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("nncl %s\n", nncl_version_string());
        return 0;
    }
    cli_set_command(cmd);
    if (!strcmp(cmd, "devices")) return cli_devices(argc - 1, argv + 1);
    if (!strcmp(cmd, "train")) return cli_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cli_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "predict")) return cli_predict(argc - 1, argv + 1);
    if (!strcmp(cmd, "summary")) return cli_summary(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cli_bench(argc - 1, argv + 1);
    return cli_usage_error(NULL, "unknown command \"%s\"", cmd);
}

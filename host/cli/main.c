/* nncl command line: dispatches to the subcommands. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: nncl <command> [options]\n"
    "\n"
    "commands:\n"
    "  devices      list OpenCL devices and the one nncl would choose\n"
    "\n"
    "options:\n"
    "  -h, --help     this text (nncl <command> --help for a command's options)\n"
    "  -V, --version  the nncl version\n"
    "\n"
    "environment:\n"
    "  NNCL_DEVICE    device to use: gpu, cpu, an index from `nncl devices`,\n"
    "                 or part of a device name\n";

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
    if (!strcmp(cmd, "devices")) return cli_devices(argc - 1, argv + 1);
    return cli_usage_error(NULL, "unknown command \"%s\"", cmd);
}

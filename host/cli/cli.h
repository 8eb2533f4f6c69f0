/* The nncl command-line tool: one file per subcommand, sharing these helpers. */
#ifndef NNCL_CLI_H
#define NNCL_CLI_H

#include <nncl/nncl.h>

int cli_devices(int argc, char **argv);

/* Prints "nncl: <what>: <status>: <detail>" to stderr and returns 1. */
int cli_fail(const nncl_context *ctx, nncl_status st, const char *what);
/* Prints "nncl: <message>" and a hint to run --help; returns 2 (usage error). */
int cli_usage_error(const char *command, const char *fmt, ...);

#endif

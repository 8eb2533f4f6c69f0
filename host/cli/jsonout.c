/* SPDX-License-Identifier: MIT */
/* JSON values on stdout, for the subcommands' --json output. */
#include "cli.h"

#include <math.h>
#include <stdio.h>

void cli_json_number(double v)
{
    if (isfinite(v)) printf("%.6g", v);
    else printf("null");
}

void cli_json_string(const char *s)
{
    if (!s) {
        printf("null");
        return;
    }
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

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

void cli_json_epoch(const nncl_epoch_record *r, int regression)
{
    printf("{\"epoch\": %llu", (unsigned long long)r->epoch + 1);
    const char *keys[] = {"train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss",
                          "test_accuracy", "lr", "seconds"};
    /* A regression's accuracies mean nothing: null. */
    const double values[] = {r->train_loss, regression ? NAN : r->train_accuracy, r->valid_loss,
                             regression ? NAN : r->valid_accuracy, r->test_loss, regression ? NAN : r->test_accuracy,
                             r->lr, r->seconds};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        printf(", \"%s\": ", keys[k]);
        cli_json_number(values[k]);
    }
    printf(", \"best\": %s}", r->best ? "true" : "false");
}

/* SPDX-License-Identifier: MIT */
/* Training curves as an SVG chart: loss (left) and accuracy (right) per epoch. */
#ifndef NNCL_CLI_PLOT_H
#define NNCL_CLI_PLOT_H

#include <stddef.h>

typedef struct {
    int epoch;                         /* 1-based */
    double train_loss, train_accuracy; /* accuracy in [0,1]; NAN when unknown */
    double test_loss, test_accuracy;   /* NAN when there is no test set */
} plot_epoch;

/* Writes an SVG chart of loss and accuracy per epoch to path, atomically (a
 * temporary file beside it, then rename). Non-finite values are skipped; a
 * series with no finite value is left out of the chart and its legend. A loss
 * axis spanning three or more decades of positive values is logarithmic.
 * title may be NULL or empty (no title); it is XML-escaped. epochs may be NULL
 * when n is 0 (empty panels saying "no data").
 * Returns 0, or -1 with a message naming the path and the system error in err
 * (err may be NULL or errlen 0). */
int plot_write_svg(const char *path, const char *title, const plot_epoch *epochs, size_t n,
                   char *err, size_t errlen);
/* The same with the held-out series (test_loss, test_accuracy) named
 * held_out, e.g. "validation", instead of "test". */
int plot_write_svg_named(const char *path, const char *title, const char *held_out, const plot_epoch *epochs,
                         size_t n, char *err, size_t errlen);

#endif

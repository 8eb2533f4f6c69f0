/* SPDX-License-Identifier: MIT */
/* The data-set struct, shared by dataset.c (loading, placement) and epoch.c
 * (batches for training, evaluation and prediction). */
#ifndef NNCL_TRAIN_DATASET_H
#define NNCL_TRAIN_DATASET_H

#include "core/core.h"
#include "io/hostdata.h"

#include <stdint.h>

/* The most rows a data set may have: an epoch's row order travels to the
 * device as 32-bit indices (kernels/data.cl). */
#define NNCL__MAX_ROWS ((size_t)INT32_MAX)

struct nncl_dataset {
    nncl_context *ctx;
    nncl__host_data host; /* always kept: splits, statistics, streaming */
    float *targets;       /* rows floats: class indices or regression targets; NULL: none */
    size_t first_outside_unit; /* the first row whose target is outside [0, 1] (bce
                                  refuses it); rows when none, or no targets */
    float scale;          /* applied to raw features: 1/255 for bytes, 1 for floats */
    int streamed;         /* 1: not on the device, batches are uploaded one by one */
    cl_mem features;      /* device copy: rows x cols bytes or floats */
    cl_mem targets_dev;   /* device copy: rows floats */
};

#endif

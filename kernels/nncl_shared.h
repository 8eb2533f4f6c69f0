/* SPDX-License-Identifier: MIT */
/* The numbers the host and the kernels must agree on, defined once.
 *
 * This file is valid C11 and valid OpenCL C 1.2 (preprocessor definitions
 * only). The host includes it (host/core/core.h, which also checks the ids
 * against the public enums at compile time); the program build puts it first
 * in the program source, before every kernel file (cmake/embed_kernels.cmake,
 * host/core/context.c). A kernel or a launcher never writes one of these
 * numbers bare. */
#ifndef NNCL_SHARED_H
#define NNCL_SHARED_H

/* Activations: the values of enum nncl_activation (include/nncl/nncl.h). */
#define NNCL_ACT_ID_IDENTITY 0
#define NNCL_ACT_ID_SIGMOID 1
#define NNCL_ACT_ID_TANH 2
#define NNCL_ACT_ID_RELU 3
#define NNCL_ACT_ID_LEAKY_RELU 4
#define NNCL_ACT_ID_SOFTMAX 5 /* row-wise; taken by the loss kernels, never elementwise */
/* "No activation derivative" for the GEMM's dact argument. */
#define NNCL_ACT_ID_NONE (-1)
/* Leaky ReLU's slope for x <= 0. */
#define NNCL_LEAKY_SLOPE 0.01f

/* Losses: the values of enum nncl_loss. */
#define NNCL_LOSS_ID_MSE 0
#define NNCL_LOSS_ID_BCE 1
#define NNCL_LOSS_ID_SOFTMAX_CE 2

/* What a loss kernel writes to its `out` argument. */
#define NNCL_LOSS_OUT_NONE 0
#define NNCL_LOSS_OUT_GRAD 1  /* dL/d(pre-activation) */
#define NNCL_LOSS_OUT_PROBS 2 /* softmax probabilities (softmax-ce only) */

/* Optimizers: the values of enum nncl_optimizer_kind. */
#define NNCL_OPTIM_ID_SGD 0
#define NNCL_OPTIM_ID_MOMENTUM 1
#define NNCL_OPTIM_ID_NESTEROV 2
#define NNCL_OPTIM_ID_ADAM 3
#define NNCL_OPTIM_ID_ADAMW 4

/* Work per work-item, by which the launchers size their ranges: pack_b and
 * transpose move 8 floats at a time as float8, optim_update 16 as float16. */
#define NNCL_PACK_ROWS 8       /* pack_b: rows k of one panel (kernels/gemm.cl) */
#define NNCL_TRANSPOSE_BLOCK 8 /* transpose: side of the square block */
#define NNCL_PACK_JOB_WORDS 8  /* pack_b_many: words of one job record */
#define NNCL_OPTIM_PER_ITEM 16  /* optim_update: parameters (kernels/optim.cl) */
#define NNCL_HEAD_WIDTH 64      /* loss_head: its outputs at most (kernels/loss.cl) */
#define NNCL_TP_GROUP 4         /* gemm_tp_group: products per launch (kernels/gemm.cl) */

/* The device status word, an int buffer of NNCL_STATUS_WORDS entries that
 * kernels set when they find bad data and the host reads when it next reads
 * results (host/model/step.c): [code, row, value, step]. The first error
 * wins; later launches of the optimizer see a non-zero code and skip, and
 * the first one that skips leaves its step in NNCL_STATUS_STEP, so that the
 * host knows how many updates were not made. */
#define NNCL_STATUS_WORDS 4
#define NNCL_STATUS_CODE 0
#define NNCL_STATUS_ROW 1
#define NNCL_STATUS_VALUE 2 /* the bad label's or target's float bits, or a column */
#define NNCL_STATUS_STEP 3  /* NNCL_STEP_TAG of the first skipped update; 0 none */
/* A step as the optimizer kernel records it: its low 31 bits, top bit set (never 0). */
#define NNCL_STEP_TAG_BITS 0x7fffffff
#define NNCL_STEP_TAG_SET 0x80000000u
#define NNCL_DEV_OK 0
#define NNCL_DEV_BAD_LABEL 1        /* a class index outside [0, classes) */
#define NNCL_DEV_NONFINITE_INPUT 2  /* NaN or infinity in an input row */
#define NNCL_DEV_NONFINITE_LOSS 3   /* a row's loss is not finite: the run diverged */
#define NNCL_DEV_BAD_TARGET 4       /* a bce target outside [0, 1] */
#define NNCL_DEV_NONFINITE_OUTPUT 5 /* an output is not finite: inputs beyond float range */

/* A model's metric sums on the device: loss and correct count for training
 * since the last read, and the same for the running evaluation. */
#define NNCL_METRIC_TRAIN 0 /* loss at +0, correct at +1 */
#define NNCL_METRIC_EVAL 2  /* loss at +0, correct at +1 */
#define NNCL_METRIC_LOSS 0
#define NNCL_METRIC_CORRECT 1
#define NNCL_METRIC_COUNT 4

#endif

/* SPDX-License-Identifier: MIT */
/* What the model layer exports to the layer above it (host/train: data sets
 * and epochs). The model stays opaque there: the train layer sees these calls
 * and the public API, never the struct (that is model_impl.h, for host/model
 * alone; the layer_includes test keeps it so), as ggml-opt uses only what
 * ggml exports. */
#ifndef NNCL_MODEL_MODEL_H
#define NNCL_MODEL_MODEL_H

#include "core/core.h"
#include "ops/ops.h"

/* Rows per forward pass when evaluating or predicting a whole data set or a
 * large tensor: bounds the per-batch buffers that evaluation needs. */
#define NNCL__EVAL_ROWS 2048
/* Rows of per-row results a model keeps before summing them (at least a batch). */
#define NNCL__METRIC_RING_ROWS 4096

/* A standard deviation below this is a constant column: standardisation
 * then only centres it (x - mean), instead of dividing by ~0. */
#define NNCL__NORM_MIN_STD 1e-6f

nncl_context *nncl__model_context(const nncl_model *m);
nncl_loss nncl__model_loss_kind(const nncl_model *m);

/* Makes the per-batch buffers hold at least `rows` rows. */
nncl_status nncl__model_reserve(nncl_model *m, size_t rows);

/* One training step on rows rows of X (rows x inputs) and Y (targets as the
 * loss wants them): forward, loss summed into the training metrics, backward,
 * one optimizer update. check_input: flag NaN/inf in X first (data sets skip
 * it: their features are finite by construction). Only enqueues work. */
nncl_status nncl__model_step(nncl_model *m, nncl__view X, nncl__view Y, size_t rows, int check_input);

/* Data-parallel training (the model's communicator, nncl_communicator):
 * the number of ranks (1 alone) and this one's in *rank (NULL allowed). */
int nncl__model_ranks(const nncl_model *m, int *rank);
/* A step on this rank's rows rows of a global batch of global_rows rows
 * (rows may be 0: the rank still takes part in the reduction); alone, the
 * same as nncl__model_step. nncl__model_step with a communicator takes
 * global_rows = rows · ranks. */
nncl_status nncl__model_step_slice(nncl_model *m, nncl__view X, nncl__view Y, size_t rows, size_t global_rows,
                                   int check_input);
/* Sums count floats over the ranks in place (collective); alone, nothing. */
nncl_status nncl__model_allreduce(nncl_model *m, float *data, size_t count);
/* As nncl__model_read_metrics, with the sums added over the ranks first
 * (collective). The training metrics are read this way. */
nncl_status nncl__model_read_global_metrics(nncl_model *m, cl_uint slot, double rows, float *loss, float *accuracy,
                                            int clear);
/* Moves the global training sums to rank 0 and zeroes them elsewhere
 * (collective), so that rank 0's checkpoint holds a stopped epoch's sums. */
nncl_status nncl__model_merge_train_metrics(nncl_model *m);

/* Forward pass over rows rows of X; with Y, the loss summed into the
 * evaluation metrics (NNCL_METRIC_EVAL). */
nncl_status nncl__model_eval_batch(nncl_model *m, nncl__view X, const nncl__view *Y, size_t rows,
                                   int check_input);
/* The last forward pass's last layer, rows x outputs: logits for softmax-ce
 * and bce, outputs for mse. Valid until the next pass. */
nncl__view nncl__model_last_layer(const nncl_model *m);
/* out (rows x outputs) = the model's outputs for its last forward pass:
 * probabilities (softmax-ce, bce) or values (mse). */
nncl_status nncl__model_outputs(nncl_model *m, nncl__view out, size_t rows);

/* Training metrics: zeroes them (and their row count), or reads their
 * running mean without clearing (for progress). */
nncl_status nncl__model_reset_train_metrics(nncl_model *m);
nncl_status nncl__model_running_loss(nncl_model *m, float *loss);
/* Zeroes the metric pair at slot (NNCL_METRIC_TRAIN or _EVAL; enqueued). */
nncl_status nncl__model_clear_metrics(nncl_model *m, cl_uint slot);
/* Reads the pair at slot as means over `rows` rows; with clear, zeroes it. */
nncl_status nncl__model_read_metrics(nncl_model *m, cl_uint slot, double rows, float *loss, float *accuracy,
                                     int clear);
/* Reads and clears the device status word; a set word becomes a status. */
nncl_status nncl__model_check_status(nncl_model *m);

/* The model's standardisation, x' = (x - mean)·inv_std, for the gather:
 * 1 and the host copies and device buffers when set, else 0. */
typedef struct {
    const float *mean, *inv_std; /* host, inputs entries each */
    cl_mem mean_dev, inv_std_dev;
} nncl__model_norm;
int nncl__model_normalization(const nncl_model *m, nncl__model_norm *out);

/* State that a layer above keeps per model (the data loader's batch
 * buffers), owned by the model from here on and freed with it by free_fn.
 * Attaching again frees the previous one. */
typedef void (*nncl__attachment_free)(void *state);
void *nncl__model_attachment(const nncl_model *m);
void nncl__model_attach(nncl_model *m, void *state, nncl__attachment_free free_fn);

#endif

/* SPDX-License-Identifier: MIT */
/* The options structs of the public API: their defaults, and reading a
 * caller's struct (or writing one for the caller) by its leading size field,
 * so a struct can grow without breaking programs built against an older
 * header (see the top of nncl.h). nncl_optimizer_defaults lives with the
 * optimizer rules in host/ops/optim.c. */
#include "core/core.h"
#include "nncl/nncl_cl.h"

#include <string.h>

/* The size field comes first in every struct, where any version finds it. */
_Static_assert(offsetof(nncl_context_options, size) == 0, "size first");
_Static_assert(offsetof(nncl_model_spec, size) == 0, "size first");
_Static_assert(offsetof(nncl_optimizer, size) == 0, "size first");
_Static_assert(offsetof(nncl_csv_options, size) == 0, "size first");
_Static_assert(offsetof(nncl_epoch_options, size) == 0, "size first");
_Static_assert(offsetof(nncl_train_position, size) == 0, "size first");
_Static_assert(offsetof(nncl_cl_sync, size) == 0, "size first");

/* Rows per training step when the caller does not say: a common default
 * that keeps a step's buffers small on any device. */
enum { DEFAULT_EPOCH_BATCH = 32 };

/* The bytes of a struct the caller vouches for: its size field, 0 meaning
 * this header's layout, capped at the layout the library knows. */
static size_t caller_bytes(const void *caller, size_t known)
{
    size_t size;
    memcpy(&size, caller, sizeof size);
    return size == 0 || size > known ? known : size;
}

void nncl__options_read(void *out, size_t out_size, const void *caller)
{
    if (caller) memcpy(out, caller, caller_bytes(caller, out_size));
    memcpy(out, &out_size, sizeof out_size);
}

void nncl__options_write(void *caller, const void *in, size_t in_size)
{
    size_t bytes = caller_bytes(caller, in_size);
    memcpy(caller, in, bytes);
    memcpy(caller, &bytes, sizeof bytes);
}

nncl_context_options nncl_context_options_defaults(void)
{
    return (nncl_context_options){.size = sizeof(nncl_context_options)};
}

nncl_model_spec nncl_model_spec_defaults(void)
{
    return (nncl_model_spec){.size = sizeof(nncl_model_spec), .loss = NNCL_LOSS_MSE};
}

nncl_csv_options nncl_csv_options_defaults(void)
{
    return (nncl_csv_options){.size = sizeof(nncl_csv_options), .label_column = NULL, .regression = 0,
                              .missing = NNCL_MISSING_ERROR, .features = NULL, .n_features = 0};
}

nncl_epoch_options nncl_epoch_options_defaults(void)
{
    return (nncl_epoch_options){.size = sizeof(nncl_epoch_options), .batch = DEFAULT_EPOCH_BATCH};
}

nncl_train_position nncl_train_position_defaults(void)
{
    return (nncl_train_position){.size = sizeof(nncl_train_position)};
}

nncl_cl_sync nncl_cl_sync_defaults(void)
{
    return (nncl_cl_sync){.size = sizeof(nncl_cl_sync)};
}

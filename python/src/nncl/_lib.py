# SPDX-License-Identifier: MIT
"""The ctypes declarations of the public C API (include/nncl/nncl.h).

Every struct here mirrors the header field by field; options structs are
always obtained from their *_defaults() function, so their `size` field is
the library's own. Functions are called through ctypes.CDLL, which releases
the GIL for the duration of every foreign call: device work never holds it.
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int,
                    c_size_t, c_uint, c_uint64, c_void_p)

c_status = c_int
c_enum = c_int
# Handles (nncl_context *, nncl_model *, ...) travel as plain addresses.
c_handle = c_void_p


class DeviceInfo(Structure):
    _fields_ = [("index", c_int), ("type", c_enum), ("name", c_char * 128), ("vendor", c_char * 128),
                ("platform", c_char * 128), ("version", c_char * 128), ("driver_version", c_char * 64),
                ("opencl_c_version", c_char * 64), ("compute_units", c_uint),
                ("global_mem_bytes", c_uint64), ("local_mem_bytes", c_uint64),
                ("max_alloc_bytes", c_uint64), ("max_work_group_size", c_size_t)]


class ContextOptions(Structure):
    _fields_ = [("size", c_size_t), ("device", c_char_p), ("kernel_dir", c_char_p), ("profile", c_int)]


class LayerSpec(Structure):
    _fields_ = [("units", c_size_t), ("activation", c_enum)]


class ModelSpec(Structure):
    _fields_ = [("size", c_size_t), ("inputs", c_size_t), ("n_layers", c_size_t),
                ("layers", POINTER(LayerSpec)), ("loss", c_enum), ("seed", c_uint64)]


class Optimizer(Structure):
    _fields_ = [("size", c_size_t), ("kind", c_enum), ("lr", c_float), ("momentum", c_float),
                ("beta1", c_float), ("beta2", c_float), ("eps", c_float), ("weight_decay", c_float),
                ("schedule", c_enum), ("step_size", c_uint64), ("gamma", c_float),
                ("total_steps", c_uint64), ("min_lr", c_float)]


class Progress(Structure):
    _fields_ = [("epoch", c_uint64), ("batches_done", c_size_t), ("batches_total", c_size_t),
                ("samples_done", c_size_t), ("seconds", c_double), ("running_loss", c_float)]


class EpochRecord(Structure):
    _fields_ = [("epoch", c_uint64), ("train_loss", c_float), ("train_accuracy", c_float),
                ("valid_loss", c_float), ("valid_accuracy", c_float), ("test_loss", c_float),
                ("test_accuracy", c_float), ("lr", c_float), ("seconds", c_double),
                ("samples_per_second", c_double), ("best", c_int)]


PROGRESS_FN = CFUNCTYPE(c_int, POINTER(Progress), c_void_p)
EPOCH_FN = CFUNCTYPE(c_int, POINTER(EpochRecord), c_void_p)


class FitOptions(Structure):
    _fields_ = [("size", c_size_t), ("batch", c_size_t), ("max_epochs", c_uint64), ("seed", c_uint64),
                ("validation", c_handle), ("test", c_handle), ("validation_fraction", c_double),
                ("patience", c_uint64), ("min_delta", c_float), ("restore_best", c_int),
                ("standardize", c_int), ("start_epoch", c_uint64), ("start_batch", c_size_t),
                ("on_epoch", EPOCH_FN), ("progress", PROGRESS_FN), ("progress_every", c_size_t),
                ("user", c_void_p)]


class FitResult(Structure):
    _fields_ = [("epochs", c_uint64), ("best_epoch", c_uint64), ("best_loss", c_float),
                ("monitored_validation", c_int), ("stopped_early", c_int), ("still_improving", c_int),
                ("batches_done", c_size_t)]


class Metrics(Structure):
    _fields_ = [("loss", c_float), ("accuracy", c_float), ("rmse", c_float), ("mae", c_float),
                ("r2", c_float), ("rows", c_size_t)]


class TrainPosition(Structure):
    _fields_ = [("size", c_size_t), ("seed", c_uint64), ("epoch", c_uint64), ("batch", c_size_t),
                ("batch_size", c_size_t), ("is_checkpoint", c_int)]


_p = c_void_p  # host arrays (float *, uint64_t *) pass as addresses
_FUNCTIONS = {
    # name: (restype, argtypes)
    "nncl_version": (c_int, []),
    "nncl_version_string": (c_char_p, []),
    "nncl_status_string": (c_char_p, [c_status]),
    "nncl_last_error": (c_char_p, [c_handle]),
    "nncl_device_count": (c_status, [POINTER(c_int)]),
    "nncl_device_get_info": (c_status, [c_int, POINTER(DeviceInfo)]),
    "nncl_device_select": (c_status, [c_char_p, POINTER(c_int)]),
    "nncl_context_options_defaults": (ContextOptions, []),
    "nncl_context_create": (c_status, [POINTER(ContextOptions), POINTER(c_handle)]),
    "nncl_context_destroy": (None, [c_handle]),
    "nncl_context_device": (c_status, [c_handle, POINTER(DeviceInfo)]),
    "nncl_context_finish": (c_status, [c_handle]),
    "nncl_context_build_seconds": (c_double, [c_handle]),
    "nncl_context_tiles": (c_char_p, [c_handle]),
    "nncl_tensor_create": (c_status, [c_handle, c_size_t, c_size_t, POINTER(c_handle)]),
    "nncl_tensor_destroy": (None, [c_handle]),
    "nncl_tensor_upload": (c_status, [c_handle, _p, c_size_t]),
    "nncl_tensor_download": (c_status, [c_handle, _p, c_size_t]),
    "nncl_tensor_fill": (c_status, [c_handle, c_float]),
    "nncl_activation_parse": (c_status, [c_char_p, POINTER(c_enum)]),
    "nncl_activation_name": (c_char_p, [c_enum]),
    "nncl_loss_parse": (c_status, [c_char_p, POINTER(c_enum)]),
    "nncl_loss_name": (c_char_p, [c_enum]),
    "nncl_optimizer_parse": (c_status, [c_char_p, POINTER(c_enum)]),
    "nncl_optimizer_name": (c_char_p, [c_enum]),
    "nncl_model_spec_defaults": (ModelSpec, []),
    "nncl_optimizer_defaults": (Optimizer, [c_enum]),
    "nncl_model_create": (c_status, [c_handle, POINTER(ModelSpec), POINTER(c_handle)]),
    "nncl_model_destroy": (None, [c_handle]),
    "nncl_model_set_optimizer": (c_status, [c_handle, POINTER(Optimizer)]),
    "nncl_model_get_optimizer": (c_status, [c_handle, POINTER(Optimizer)]),
    "nncl_model_inputs": (c_size_t, [c_handle]),
    "nncl_model_outputs": (c_size_t, [c_handle]),
    "nncl_model_param_count": (c_size_t, [c_handle]),
    "nncl_model_get_spec": (c_status, [c_handle, POINTER(ModelSpec)]),
    "nncl_model_step": (c_uint64, [c_handle]),
    "nncl_model_get_params": (c_status, [c_handle, _p, c_size_t]),
    "nncl_model_set_params": (c_status, [c_handle, _p, c_size_t]),
    "nncl_model_train_step": (c_status, [c_handle, c_handle, c_handle]),
    "nncl_model_sync": (c_status, [c_handle]),
    "nncl_model_train_metrics": (c_status, [c_handle, POINTER(c_float), POINTER(c_float)]),
    "nncl_model_predict": (c_status, [c_handle, c_handle, c_handle]),
    "nncl_model_evaluate": (c_status, [c_handle, c_handle, c_handle, POINTER(c_float), POINTER(c_float)]),
    "nncl_dataset_from_arrays": (c_status, [c_handle, _p, c_size_t, c_size_t, _p, c_enum,
                                            POINTER(c_handle)]),
    "nncl_dataset_open": (c_status, [c_handle, c_char_p, c_char_p, c_void_p, POINTER(c_handle)]),
    "nncl_dataset_destroy": (None, [c_handle]),
    "nncl_dataset_rows": (c_size_t, [c_handle]),
    "nncl_dataset_cols": (c_size_t, [c_handle]),
    "nncl_dataset_classes": (c_int, [c_handle]),
    "nncl_dataset_targets": (c_status, [c_handle, _p, c_size_t]),
    "nncl_dataset_class_name": (c_char_p, [c_handle, c_size_t]),
    "nncl_model_set_normalization": (c_status, [c_handle, _p, _p, c_size_t]),
    "nncl_model_get_normalization": (c_int, [c_handle, _p, _p, c_size_t]),
    "nncl_model_set_target_normalization": (c_status, [c_handle, _p, _p, c_size_t]),
    "nncl_model_get_target_normalization": (c_int, [c_handle, _p, _p, c_size_t]),
    "nncl_model_evaluate_metrics": (c_status, [c_handle, c_handle, POINTER(Metrics)]),
    "nncl_model_predict_dataset": (c_status, [c_handle, c_handle, _p, c_size_t]),
    "nncl_fit_options_defaults": (FitOptions, []),
    "nncl_model_fit": (c_status, [c_handle, c_handle, POINTER(FitOptions), POINTER(FitResult)]),
    "nncl_model_set_columns": (c_status, [c_handle, POINTER(c_char_p), c_size_t, c_char_p]),
    "nncl_model_feature_name": (c_char_p, [c_handle, c_size_t]),
    "nncl_model_target_name": (c_char_p, [c_handle]),
    "nncl_model_set_class_names": (c_status, [c_handle, POINTER(c_char_p), c_size_t]),
    "nncl_model_class_name": (c_char_p, [c_handle, c_size_t]),
    "nncl_model_history": (c_size_t, [c_handle, POINTER(EpochRecord), c_size_t]),
    "nncl_model_clear_history": (None, [c_handle]),
    "nncl_model_save": (c_status, [c_handle, c_char_p]),
    "nncl_train_position_defaults": (TrainPosition, []),
    "nncl_model_load": (c_status, [c_handle, c_char_p, POINTER(c_handle), POINTER(TrainPosition)]),
}


def _library_path():
    """libnncl.so beside this file (the wheel's copy), or $NNCL_LIBRARY."""
    override = os.environ.get("NNCL_LIBRARY")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "libnncl.so")


def _load():
    path = _library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"nncl: cannot load the C library {path}: {e} "
                          "(reinstall with `pip install ./python`, or set NNCL_LIBRARY)") from e
    for name, (restype, argtypes) in _FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib, path


lib, path = _load()

/* SPDX-License-Identifier: MIT */
/* Status names and the per-context / per-thread error text. */
#include "core/core.h"

#include <CL/cl_ext.h>
#include <stdarg.h>

#include <stdio.h>
#include <string.h>

static _Thread_local char thread_error[NNCL__ERRLEN];

const char *nncl_status_string(nncl_status status)
{
    switch (status) {
#define NNCL__STATUS_CASE(name, value, msg) \
    case NNCL_##name: return "NNCL_" #name ": " msg;
        NNCL_STATUS_MAP(NNCL__STATUS_CASE)
#undef NNCL__STATUS_CASE
    }
    return "NNCL_?: unknown status";
}

const char *nncl_last_error(const nncl_context *ctx)
{
    return ctx ? ctx->error : thread_error;
}

nncl_status nncl__fail(const nncl_context *ctx, nncl_status status, const char *fmt, ...)
{
    /* The error buffer is logically mutable state of a const context: a
     * failing read-only call must still be able to say why. */
    char *dst = ctx ? (char *)ctx->error : thread_error;
    /* Formatted into a local buffer first: an argument may be the old message. */
    char text[NNCL__ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(dst, text, sizeof text);
    return status;
}

int nncl_version(void) { return NNCL_VERSION; }
const char *nncl_version_string(void) { return NNCL_VERSION_STRING; }

const char *nncl__cl_error_name(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
        E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE)
        E(CL_COMPILER_NOT_AVAILABLE) E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP)
        E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
        E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINK_PROGRAM_FAILURE)
        E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM)
        E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES)
        E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT)
        E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
        E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
        E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET)
        E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION)
        E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_GLOBAL_WORK_SIZE)
        E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
    }
    return "CL_UNKNOWN_ERROR";
}

nncl_status nncl__cl_fail(const nncl_context *ctx, cl_int err, const char *what)
{
    nncl_status st = (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_HOST_MEMORY ||
                      err == CL_OUT_OF_RESOURCES)
                         ? NNCL_ERR_OUT_OF_MEMORY
                         : NNCL_ERR_OPENCL;
    return nncl__fail(ctx, st, "%s failed: %s (%d)", what, nncl__cl_error_name(err), (int)err);
}

/* SPDX-License-Identifier: MIT */
/* Devices and contexts: list every OpenCL device, pick one (NNCL_DEVICE or the
 * option struct, else the first GPU, else the first CPU), create its queue,
 * and build the embedded kernels once with device-specific -D options. */
#include "core/core.h"
#include "nncl/nncl_cl.h"

#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_PLATFORMS 16
#define MAX_DEVICES 64

/* Device enumeration and context setup, serialised across threads: PoCL's
 * clGetDeviceInfo crashes when several threads set up contexts at once
 * (reproduced without nncl), and nncl.h promises that separate contexts may
 * be used from different threads. Held around every call into the platform
 * layer before a context is complete; the work on a finished context runs
 * unlocked. */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
#define SETUP_LOCKED(call)                      \
    do {                                        \
        pthread_mutex_lock(&setup_lock);        \
        st = (call);                            \
        pthread_mutex_unlock(&setup_lock);      \
    } while (0)

/* The .icd files of the ICD loader's folder, as text for a message; 0 none. */
static int registered_drivers(char *out, size_t size)
{
    const char *dir = getenv("OCL_ICD_VENDORS");
    if (!dir || !*dir) dir = "/etc/OpenCL/vendors";
    int n = 0;
    size_t len = (size_t)snprintf(out, size, "%s:", dir);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".icd")) continue;
        n++;
        if (len < size) len += (size_t)snprintf(out + len, size - len, " %s", e->d_name);
    }
    if (d) closedir(d);
    return n;
}

/* A driver that is there but fails (most often for want of memory): which
 * call failed, its error, what is registered and the memory limit. */
static nncl_status driver_failed(const char *call, cl_int err, const char *what)
{
    struct rlimit lim;
    char limit[96] = "";
    if (getrlimit(RLIMIT_AS, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
        snprintf(limit, sizeof limit, " (this process may map %llu MB: ulimit -v)",
                 (unsigned long long)(lim.rlim_cur >> 20));
    return nncl__fail(NULL, err == CL_OUT_OF_HOST_MEMORY ? NNCL_ERR_OUT_OF_MEMORY : NNCL_ERR_NO_DEVICE,
                      "%s failed: %s, although %s. A driver that fails so is most often short of memory%s; "
                      "PoCL needs about 300 MB of address space before any model (docs/RELIABILITY.md). "
                      "`clinfo` shows what the driver says",
                      call, nncl__cl_error_name(err), what, limit);
}

/* No platform although drivers are registered: none of them loaded. */
static nncl_status platforms_failed(cl_int err, const char *drivers)
{
    char what[640];
    snprintf(what, sizeof what, "OpenCL drivers are registered (%s): none of them loaded", drivers);
    return driver_failed("clGetPlatformIDs", err, what);
}

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
} device_ref;

/* Every device of every platform, in a stable order (platform, then device). */
static nncl_status list_devices(device_ref *refs, int *count)
{
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint n_platforms = 0;
    *count = 0;
    cl_int err = clGetPlatformIDs(MAX_PLATFORMS, platforms, &n_platforms);
    char drivers[512];
    if ((err != CL_SUCCESS || n_platforms == 0) && (err == CL_OUT_OF_HOST_MEMORY || registered_drivers(drivers, sizeof drivers)))
        return platforms_failed(err, err == CL_OUT_OF_HOST_MEMORY ? "" : drivers);
    if (err != CL_SUCCESS || n_platforms == 0)
        return nncl__fail(NULL, NNCL_ERR_NO_DEVICE,
                          "no OpenCL platform found (clGetPlatformIDs: %s); install an "
                          "OpenCL driver, e.g. `apt-get install pocl-opencl-icd` for the CPU, "
                          "and check /etc/OpenCL/vendors",
                          nncl__cl_error_name(err));
    if (n_platforms > MAX_PLATFORMS) n_platforms = MAX_PLATFORMS;
    cl_int device_err = CL_SUCCESS; /* the first failure other than "no device" */
    for (cl_uint p = 0; p < n_platforms; p++) {
        cl_device_id devices[MAX_DEVICES];
        cl_uint n = 0;
        cl_int e = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devices, &n);
        if (e != CL_SUCCESS && e != CL_DEVICE_NOT_FOUND && device_err == CL_SUCCESS) device_err = e;
        if (e != CL_SUCCESS)
            continue; /* a platform without devices is not an error */
        for (cl_uint d = 0; d < n && d < MAX_DEVICES && *count < MAX_DEVICES; d++) {
            refs[*count].platform = platforms[p];
            refs[*count].device = devices[d];
            (*count)++;
        }
    }
    if (*count == 0 && device_err != CL_SUCCESS) {
        char what[96];
        snprintf(what, sizeof what, "%u OpenCL platform(s) loaded", n_platforms);
        return driver_failed("clGetDeviceIDs", device_err, what);
    }
    if (*count == 0)
        return nncl__fail(NULL, NNCL_ERR_NO_DEVICE,
                          "%u OpenCL platform(s) found but no device; install a driver "
                          "with a device, e.g. `apt-get install pocl-opencl-icd`",
                          n_platforms);
    return NNCL_OK;
}

static void get_string(cl_device_id d, cl_device_info what, char *dst, size_t size)
{
    dst[0] = '\0';
    if (clGetDeviceInfo(d, what, size, dst, NULL) != CL_SUCCESS) dst[0] = '\0';
    dst[size - 1] = '\0';
}

static void fill_info(const device_ref *ref, int index, nncl_device_info *info)
{
    memset(info, 0, sizeof *info);
    info->index = index;
    cl_device_type type = 0;
    clGetDeviceInfo(ref->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    info->type = (type & CL_DEVICE_TYPE_GPU)           ? NNCL_DEVICE_GPU
                 : (type & CL_DEVICE_TYPE_CPU)         ? NNCL_DEVICE_CPU
                 : (type & CL_DEVICE_TYPE_ACCELERATOR) ? NNCL_DEVICE_ACCELERATOR
                                                       : NNCL_DEVICE_OTHER;
    get_string(ref->device, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_string(ref->device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_string(ref->device, CL_DEVICE_VERSION, info->version, sizeof info->version);
    get_string(ref->device, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    get_string(ref->device, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version,
               sizeof info->opencl_c_version);
    if (clGetPlatformInfo(ref->platform, CL_PLATFORM_NAME, sizeof info->platform,
                          info->platform, NULL) != CL_SUCCESS)
        info->platform[0] = '\0';
    info->platform[sizeof info->platform - 1] = '\0';
    cl_uint cu = 0;
    cl_ulong global = 0, local = 0, max_alloc = 0;
    size_t wg = 0;
    clGetDeviceInfo(ref->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    clGetDeviceInfo(ref->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
    clGetDeviceInfo(ref->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
    clGetDeviceInfo(ref->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    clGetDeviceInfo(ref->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    info->compute_units = cu;
    info->global_mem_bytes = global;
    info->local_mem_bytes = local;
    info->max_alloc_bytes = max_alloc;
    info->max_work_group_size = wg;
}

nncl_status nncl_device_count(int *count)
{
    if (!count) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_device_count: count is NULL");
    device_ref refs[MAX_DEVICES];
    nncl_status st;
    SETUP_LOCKED(list_devices(refs, count));
    return st;
}

/* Device `index` of the list: its info, and (device not NULL) its id. */
static nncl_status device_info(int index, nncl_device_info *info, cl_device_id *device)
{
    device_ref refs[MAX_DEVICES];
    int n = 0;
    NNCL__TRY(list_devices(refs, &n));
    if (index < 0 || index >= n)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                          "device index %d out of range: %d device(s) found (0..%d)", index, n,
                          n - 1);
    fill_info(&refs[index], index, info);
    if (device) *device = refs[index].device;
    return NNCL_OK;
}

nncl_status nncl_device_get_info(int index, nncl_device_info *info)
{
    if (!info) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_device_get_info: info is NULL");
    nncl_status st;
    SETUP_LOCKED(device_info(index, info, NULL));
    return st;
}

static int contains_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++) {
        size_t i = 0;
        while (i < n && haystack[i] &&
               tolower((unsigned char)haystack[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return n == 0;
}

static int first_of_type(const nncl_device_info *infos, int n, nncl_device_type type)
{
    for (int i = 0; i < n; i++)
        if (infos[i].type == type) return i;
    return -1;
}

static int match_spec(const nncl_device_info *infos, int n, const char *spec)
{
    if (!strcmp(spec, "gpu") || !strcmp(spec, "GPU")) return first_of_type(infos, n, NNCL_DEVICE_GPU);
    if (!strcmp(spec, "cpu") || !strcmp(spec, "CPU")) return first_of_type(infos, n, NNCL_DEVICE_CPU);
    char *end = NULL;
    long index = strtol(spec, &end, 10);
    if (end != spec && *end == '\0') return (index >= 0 && index < n) ? (int)index : -1;
    for (int i = 0; i < n; i++)
        if (contains_nocase(infos[i].name, spec)) return i;
    for (int i = 0; i < n; i++)
        if (contains_nocase(infos[i].platform, spec)) return i;
    return -1;
}

static nncl_status select_device(const char *spec, device_ref *chosen, int *chosen_index)
{
    device_ref refs[MAX_DEVICES];
    nncl_device_info infos[MAX_DEVICES];
    int n = 0;
    NNCL__TRY(list_devices(refs, &n));
    for (int i = 0; i < n; i++) fill_info(&refs[i], i, &infos[i]);

    const char *source = "device";
    if (!spec || !*spec) {
        spec = getenv("NNCL_DEVICE");
        source = "NNCL_DEVICE";
    }
    int index;
    if (spec && *spec) {
        index = match_spec(infos, n, spec);
        if (index < 0) {
            char found[1024] = "";
            size_t len = 0;
            for (int i = 0; i < n && len < sizeof found - 1; i++)
                len += (size_t)snprintf(found + len, sizeof found - len, "%s[%d] %s (%s)",
                                        i ? ", " : "", i, infos[i].name,
                                        infos[i].type == NNCL_DEVICE_GPU   ? "gpu"
                                        : infos[i].type == NNCL_DEVICE_CPU ? "cpu"
                                                                           : "other");
            return nncl__fail(NULL, NNCL_ERR_NO_DEVICE,
                              "%s=\"%s\" matches no OpenCL device; found %d: %s. Use \"gpu\", "
                              "\"cpu\", an index or a part of a name (see `nncl devices`)",
                              source, spec, n, found);
        }
    } else {
        index = first_of_type(infos, n, NNCL_DEVICE_GPU);
        if (index < 0) index = first_of_type(infos, n, NNCL_DEVICE_CPU);
        if (index < 0) index = 0;
    }
    if (chosen) *chosen = refs[index];
    *chosen_index = index;
    return NNCL_OK;
}

static nncl_status device_gemm_params(int index, char *out, size_t size, const char **source)
{
    nncl_device_info info;
    cl_device_id device = NULL;
    NNCL__TRY(device_info(index, &info, &device));
    nncl__gemm_tiles t;
    NNCL__TRY(nncl__resolve_tiles(device, &info, &t));
    if (out) nncl__gemm_params_text(&t, out, size);
    if (source) *source = t.source;
    return NNCL_OK;
}

nncl_status nncl_device_gemm_params(int index, char *out, size_t size, const char **source)
{
    if (out && size == 0)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_device_gemm_params: out has size 0");
    nncl_status st;
    SETUP_LOCKED(device_gemm_params(index, out, size, source));
    return st;
}

nncl_status nncl_device_select(const char *spec, int *index)
{
    if (!index) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_device_select: index is NULL");
    nncl_status st;
    SETUP_LOCKED(select_device(spec, NULL, index));
    return st;
}

/* Reads a kernel file from a development folder instead of the embedded copy. */
static char *read_kernel_file(const char *dir, const char *name, size_t *size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long len = ftell(f);
        if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1))) {
            *size = fread(buf, 1, (size_t)len, f);
            buf[*size] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static const char *const kernel_names[] = {
#define NNCL__KNAME(e, n, argc, wg) n,
    NNCL__KERNEL_LIST(NNCL__KNAME)
#undef NNCL__KNAME
};

/* Each kernel's work-group shape (NNCL__WG_*, from NNCL__KERNEL_LIST). */
static const unsigned char kernel_wg[] = {
#define NNCL__KWG(e, n, argc, wg) NNCL__WG_##wg,
    NNCL__KERNEL_LIST(NNCL__KWG)
#undef NNCL__KWG
};

double nncl__seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static nncl_status build_program(nncl_context *ctx, const char *kernel_dir)
{
    double t0 = nncl__seconds_now();
    size_t count = nncl__kernel_source_count;
    const char **sources = calloc(count, sizeof *sources);
    size_t *sizes = calloc(count, sizeof *sizes);
    char **owned = calloc(count, sizeof *owned);
    nncl_status st = NNCL_OK;
    if (!sources || !sizes || !owned) {
        st = nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY, "building the kernels: %zu sources", count);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        sources[i] = nncl__kernel_sources[i].source;
        sizes[i] = nncl__kernel_sources[i].size;
        if (kernel_dir) {
            owned[i] = read_kernel_file(kernel_dir, nncl__kernel_sources[i].name, &sizes[i]);
            if (!owned[i]) {
                st = nncl__fail(ctx, NNCL_ERR_IO, "kernel folder %s: cannot read %s", kernel_dir,
                                nncl__kernel_sources[i].name);
                goto done;
            }
            sources[i] = owned[i];
        }
    }
    cl_int err;
    ctx->program = clCreateProgramWithSource(ctx->cl, (cl_uint)count, sources, sizes, &err);
    if (err != CL_SUCCESS) {
        st = nncl__cl_fail(ctx, err, "clCreateProgramWithSource");
        goto done;
    }
    char options[512], gemm_options[256];
    nncl__gemm_build_options(ctx, gemm_options, sizeof gemm_options);
    /* -w: some drivers (PoCL) print compiler warnings to stderr themselves; a
     * library must stay quiet. Kernel development (a kernel folder) keeps them.
     * NNCL_CPU: the kernels' whole-vector stores as unaligned vector stores
     * (store16 in kernels/activation.cl). */
    snprintf(options, sizeof options, "-cl-std=CL1.2 %s -DNNCL_WG=%d%s%s", gemm_options, ctx->tiles.wg,
             ctx->info.type == NNCL_DEVICE_CPU ? " -DNNCL_CPU" : "", kernel_dir ? "" : " -w");
    err = clBuildProgram(ctx->program, 1, &ctx->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        char log[NNCL__ERRLEN - 128];
        size_t len = 0;
        log[0] = '\0';
        clGetProgramBuildInfo(ctx->program, ctx->device, CL_PROGRAM_BUILD_LOG, sizeof log, log,
                              &len);
        log[sizeof log - 1] = '\0';
        st = nncl__fail(ctx, NNCL_ERR_BUILD, "building the kernels (%s) failed: %s\n%s", options,
                        nncl__cl_error_name(err), log);
        goto done;
    }
    for (int k = 0; k < NNCL__K_COUNT; k++) {
        ctx->kernels[k] = clCreateKernel(ctx->program, kernel_names[k], &err);
        if (err != CL_SUCCESS) {
            st = nncl__fail(ctx, NNCL_ERR_BUILD, "kernel %s missing from the program: %s",
                            kernel_names[k], nncl__cl_error_name(err));
            goto done;
        }
        err = clGetKernelInfo(ctx->kernels[k], CL_KERNEL_NUM_ARGS, sizeof ctx->kernel_args[k],
                              &ctx->kernel_args[k], NULL);
        if (err != CL_SUCCESS) {
            st = nncl__cl_fail(ctx, err, "clGetKernelInfo(CL_KERNEL_NUM_ARGS)");
            goto done;
        }
    }
done:
    for (size_t i = 0; owned && i < count; i++) free(owned[i]);
    free(owned);
    free(sizes);
    free(sources);
    ctx->build_seconds = nncl__seconds_now() - t0;
    return st;
}

static void drain_profile(nncl_context *ctx);

static void release_context(nncl_context *ctx)
{
    drain_profile(ctx);
    for (int k = 0; k < NNCL__K_COUNT; k++)
        if (ctx->kernels[k]) clReleaseKernel(ctx->kernels[k]);
    if (ctx->program) clReleaseProgram(ctx->program);
    nncl__buffer_release(ctx, &ctx->scratch);
    nncl__buffer_release(ctx, &ctx->side_scratch);
    if (ctx->side_done) clReleaseEvent(ctx->side_done);
    if (ctx->side_queue) clReleaseCommandQueue(ctx->side_queue);
    /* A wrapped caller's context and queue were retained, so releasing here
     * leaves their reference counts as the caller had them. */
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->cl) clReleaseContext(ctx->cl);
    free(ctx);
}

/* Tiles and kernels for a context whose device, context and queue are set;
 * options as read over the defaults. */
static nncl_status finish_create(nncl_context *ctx, const nncl_context_options *options,
                                 nncl_context **out)
{
    const char *dir = options->kernel_dir ? options->kernel_dir : getenv("NNCL_KERNEL_DIR");
    nncl_status st = build_program(ctx, dir && *dir ? dir : NULL);
    if (st != NNCL_OK) {
        nncl__fail(NULL, st, "%s (device %s)", ctx->error, ctx->info.name);
        release_context(ctx);
        return st;
    }
    *out = ctx;
    return NNCL_OK;
}

static nncl_status create_from_cl(cl_context context, cl_device_id device, cl_command_queue queue,
                                  const nncl_context_options *caller_options, nncl_context **out)
{
    nncl_context_options options = nncl_context_options_defaults();
    NNCL__OPTIONS_READ(&options, caller_options);
    if (!out) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_create_from_cl: out is NULL");
    *out = NULL;
    if (!context || !device || !queue)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                          "nncl_context_create_from_cl: context, device and queue are required");
    cl_command_queue_properties props = 0;
    cl_context queue_ctx = NULL;
    cl_device_id queue_dev = NULL;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (err == CL_SUCCESS) err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof queue_ctx, &queue_ctx, NULL);
    if (err == CL_SUCCESS) err = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof queue_dev, &queue_dev, NULL);
    if (err != CL_SUCCESS) return nncl__cl_fail(NULL, err, "nncl_context_create_from_cl: clGetCommandQueueInfo");
    if (queue_ctx != context || queue_dev != device)
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                          "nncl_context_create_from_cl: the queue belongs to another context or device");
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
        return nncl__fail(NULL, NNCL_ERR_UNSUPPORTED,
                          "nncl_context_create_from_cl: the queue is out-of-order; nncl needs an "
                          "in-order queue (its kernels depend on each other)");
    device_ref ref = {NULL, device};
    if ((err = clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof ref.platform, &ref.platform, NULL)))
        return nncl__cl_fail(NULL, err, "nncl_context_create_from_cl: clGetDeviceInfo");
    nncl_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "nncl_context_create_from_cl");
    ctx->platform = ref.platform;
    ctx->device = device;
    ctx->owns_cl = 0;
    /* Kernel timing needs events with timestamps: only on a queue the caller
     * created with CL_QUEUE_PROFILING_ENABLE. */
    ctx->profile = options.profile && (props & CL_QUEUE_PROFILING_ENABLE);
    clRetainContext(context);
    clRetainCommandQueue(queue);
    ctx->cl = context;
    ctx->queue = queue;
    fill_info(&ref, -1, &ctx->info);
    nncl_status st = nncl__resolve_tiles(ctx->device, &ctx->info, &ctx->tiles);
    if (st != NNCL_OK) {
        release_context(ctx); /* the caller's context and queue as they were */
        return st;
    }
    return finish_create(ctx, &options, out);
}

static nncl_status create(const nncl_context_options *caller_options, nncl_context **out)
{
    nncl_context_options options = nncl_context_options_defaults();
    NNCL__OPTIONS_READ(&options, caller_options);
    if (!out) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_create: out is NULL");
    *out = NULL;
    device_ref ref;
    int index = -1;
    NNCL__TRY(select_device(options.device, &ref, &index));

    nncl_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return nncl__fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "nncl_context_create: %zu bytes",
                          sizeof *ctx);
    ctx->platform = ref.platform;
    ctx->device = ref.device;
    ctx->owns_cl = 1;
    fill_info(&ref, index, &ctx->info);
    nncl_status st = nncl__resolve_tiles(ctx->device, &ctx->info, &ctx->tiles);
    if (st != NNCL_OK) {
        release_context(ctx);
        return st;
    }

    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ref.platform, 0};
    ctx->cl = clCreateContext(props, 1, &ref.device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        st = nncl__cl_fail(ctx, err, "clCreateContext");
    } else {
        ctx->profile = options.profile;
        ctx->queue = clCreateCommandQueue(ctx->cl, ref.device,
                                          ctx->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
        if (err != CL_SUCCESS) st = nncl__cl_fail(ctx, err, "clCreateCommandQueue");
        /* The side queue is an optimisation: without one, work stays in
         * order (NNCL_ONE_QUEUE=1 leaves it out, for experiments). */
        const char *one = getenv("NNCL_ONE_QUEUE");
        if (st == NNCL_OK && !(one && *one && strcmp(one, "0")))
            ctx->side_queue = clCreateCommandQueue(ctx->cl, ref.device,
                                                   ctx->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    }
    if (st != NNCL_OK) {
        nncl__fail(NULL, st, "%s (device %s)", ctx->error, ctx->info.name);
        release_context(ctx);
        return st;
    }
    return finish_create(ctx, &options, out);
}

nncl_status nncl_context_create_from_cl(cl_context context, cl_device_id device,
                                        cl_command_queue queue,
                                        const nncl_context_options *caller_options, nncl_context **out)
{
    nncl_status st;
    SETUP_LOCKED(create_from_cl(context, device, queue, caller_options, out));
    return st;
}

nncl_status nncl_context_create(const nncl_context_options *caller_options, nncl_context **out)
{
    nncl_status st;
    SETUP_LOCKED(create(caller_options, out));
    return st;
}

void nncl_context_destroy(nncl_context *ctx)
{
    if (!ctx) return;
    if (ctx->side_queue) clFinish(ctx->side_queue);
    if (ctx->queue) clFinish(ctx->queue);
    pthread_mutex_lock(&setup_lock);
    release_context(ctx);
    pthread_mutex_unlock(&setup_lock);
}

nncl_status nncl_context_device(const nncl_context *ctx, nncl_device_info *info)
{
    if (!ctx || !info)
        return nncl__fail(ctx, NNCL_ERR_INVALID_ARG, "nncl_context_device: %s is NULL",
                          ctx ? "info" : "ctx");
    *info = ctx->info;
    return NNCL_OK;
}

nncl_status nncl_context_finish(nncl_context *ctx)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_finish: ctx is NULL");
    NNCL__CHECK_CL(ctx, clFinish(ctx->queue), "clFinish");
    return NNCL_OK;
}

/* The size of a buffer as OpenCL records it; 0 when it will not say. */
static size_t buffer_size(cl_mem mem)
{
    size_t bytes = 0;
    if (clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) != CL_SUCCESS) bytes = 0;
    return bytes;
}

cl_int nncl__buffer_create(nncl_context *ctx, cl_mem_flags flags, size_t bytes, void *host_ptr, cl_mem *mem)
{
    cl_int err = CL_SUCCESS;
    *mem = clCreateBuffer(ctx->cl, flags, bytes, host_ptr, &err);
    if (err != CL_SUCCESS || !*mem) {
        if (*mem) clReleaseMemObject(*mem);
        *mem = NULL;
        return err != CL_SUCCESS ? err : CL_MEM_OBJECT_ALLOCATION_FAILURE;
    }
    ctx->memory_bytes += buffer_size(*mem);
    if (ctx->memory_bytes > ctx->memory_peak) ctx->memory_peak = ctx->memory_bytes;
    return CL_SUCCESS;
}

void nncl__buffer_release(nncl_context *ctx, cl_mem *mem)
{
    if (!*mem) return;
    size_t bytes = buffer_size(*mem);
    /* Never below zero, should a driver report a size that differs from the one it reported at creation. */
    ctx->memory_bytes -= bytes < ctx->memory_bytes ? bytes : ctx->memory_bytes;
    clReleaseMemObject(*mem);
    *mem = NULL;
}

nncl_status nncl_context_memory(const nncl_context *ctx, size_t *current_bytes, size_t *peak_bytes)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_memory: ctx is NULL");
    if (current_bytes) *current_bytes = ctx->memory_bytes;
    if (peak_bytes) *peak_bytes = ctx->memory_peak;
    return NNCL_OK;
}

nncl_status nncl_context_reset_memory_peak(nncl_context *ctx)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_reset_memory_peak: ctx is NULL");
    ctx->memory_peak = ctx->memory_bytes;
    return NNCL_OK;
}

nncl_status nncl_context_release_scratch(nncl_context *ctx)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_release_scratch: ctx is NULL");
    nncl__buffer_release(ctx, &ctx->scratch);
    nncl__buffer_release(ctx, &ctx->side_scratch);
    ctx->scratch_bytes = ctx->side_scratch_bytes = 0;
    return NNCL_OK;
}

nncl_status nncl__scratch(nncl_context *ctx, size_t bytes, cl_mem *out)
{
    int side = ctx->home != NULL;
    cl_mem *scratch = side ? &ctx->side_scratch : &ctx->scratch;
    size_t *scratch_bytes = side ? &ctx->side_scratch_bytes : &ctx->scratch_bytes;
    if (bytes > *scratch_bytes) {
        /* The new buffer first: work still queued holds the old one until it
         * ends, so both exist for a while and the peak says so; a failed
         * allocation leaves the old one in place. */
        cl_mem grown = NULL;
        cl_int err = nncl__buffer_create(ctx, CL_MEM_READ_WRITE, bytes, NULL, &grown);
        if (err != CL_SUCCESS)
            return nncl__fail(ctx, NNCL_ERR_OUT_OF_MEMORY,
                              "scratch buffer of %zu bytes: %s", bytes, nncl__cl_error_name(err));
        nncl__buffer_release(ctx, scratch);
        *scratch = grown;
        *scratch_bytes = bytes;
    }
    *out = *scratch;
    return NNCL_OK;
}

nncl_status nncl__side_begin(nncl_context *ctx)
{
    if (!ctx->side_queue || ctx->home) return NNCL_OK;
    cl_event start = NULL;
    cl_int err = clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &start);
    if (err == CL_SUCCESS) err = clEnqueueBarrierWithWaitList(ctx->side_queue, 1, &start, NULL);
    if (start) clReleaseEvent(start);
    if (err == CL_SUCCESS) err = clFlush(ctx->queue);
    if (err != CL_SUCCESS) return nncl__cl_fail(ctx, err, "starting work on the side queue");
    ctx->home = ctx->queue;
    ctx->queue = ctx->side_queue;
    return NNCL_OK;
}

nncl_status nncl__side_end(nncl_context *ctx)
{
    if (!ctx->home) return NNCL_OK;
    ctx->queue = ctx->home;
    ctx->home = NULL;
    cl_event done = NULL;
    cl_int err = clEnqueueMarkerWithWaitList(ctx->side_queue, 0, NULL, &done);
    if (err == CL_SUCCESS) err = clFlush(ctx->side_queue);
    if (err != CL_SUCCESS) {
        if (done) clReleaseEvent(done);
        clFinish(ctx->side_queue); /* in order the hard way */
        return nncl__cl_fail(ctx, err, "ending work on the side queue");
    }
    if (ctx->side_done) clReleaseEvent(ctx->side_done);
    ctx->side_done = done;
    return NNCL_OK;
}

nncl_status nncl__side_join(nncl_context *ctx)
{
    if (!ctx->side_done) return NNCL_OK;
    cl_int err = clEnqueueBarrierWithWaitList(ctx->queue, 1, &ctx->side_done, NULL);
    if (err != CL_SUCCESS) clFinish(ctx->side_queue);
    clReleaseEvent(ctx->side_done);
    ctx->side_done = NULL;
    return err == CL_SUCCESS ? NNCL_OK : nncl__cl_fail(ctx, err, "waiting for the side queue");
}

/* Adds the device time of the profiled events to the totals (waits for them). */
static void drain_profile(nncl_context *ctx)
{
    if (ctx->n_pending == 0) return;
    clWaitForEvents((cl_uint)ctx->n_pending, ctx->pending);
    for (size_t i = 0; i < ctx->n_pending; i++) {
        cl_ulong start = 0, end = 0;
        clGetEventProfilingInfo(ctx->pending[i], CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
        clGetEventProfilingInfo(ctx->pending[i], CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
        ctx->kernel_seconds[ctx->pending_id[i]] += end > start ? (double)(end - start) * 1e-9 : 0.0;
        clReleaseEvent(ctx->pending[i]);
    }
    ctx->n_pending = 0;
}

nncl_status nncl__launch(nncl_context *ctx, nncl__kernel_id id, cl_uint dims,
                         const size_t *global_in)
{
    /* Every launch of a kernel has the same work-group shape (the one its
     * reqd_work_group_size names); the range is rounded up to it. */
    size_t local[2] = {(size_t)ctx->tiles.wg, 1}, global[2] = {global_in[0], dims > 1 ? global_in[1] : 1};
    switch (kernel_wg[id]) {
    case NNCL__WG_TILE: local[0] = (size_t)ctx->tiles.wgx, local[1] = (size_t)ctx->tiles.wgy; break;
    case NNCL__WG_LOCAL: local[0] = local[1] = (size_t)ctx->tiles.lwg; break;
    case NNCL__WG_ONE: local[0] = 1; break;
    default: break; /* NNCL__WG_ROW */
    }
    for (cl_uint d = 0; d < dims; d++) global[d] = (global[d] + local[d] - 1) / local[d] * local[d];
    if (ctx->profile && ctx->n_pending == sizeof ctx->pending / sizeof *ctx->pending)
        drain_profile(ctx);
    cl_event *event = ctx->profile ? &ctx->pending[ctx->n_pending] : NULL;
    NNCL__CHECK_CL(ctx,
                   clEnqueueNDRangeKernel(ctx->queue, ctx->kernels[id], dims, NULL, global,
                                          local, 0, NULL, event),
                   kernel_names[id]);
    if (event) ctx->pending_id[ctx->n_pending++] = id;
    ctx->launches[id]++;
    return NNCL_OK;
}

size_t nncl_context_kernel_times(nncl_context *ctx, nncl_kernel_time *out, size_t max, int reset)
{
    if (!ctx) return 0;
    drain_profile(ctx);
    size_t n = 0;
    for (int k = 0; k < NNCL__K_COUNT; k++) {
        if (!ctx->launches[k]) continue;
        if (out && n < max) out[n] = (nncl_kernel_time){kernel_names[k], ctx->launches[k], ctx->kernel_seconds[k]};
        n++;
    }
    if (reset) {
        memset(ctx->launches, 0, sizeof ctx->launches);
        memset(ctx->kernel_seconds, 0, sizeof ctx->kernel_seconds);
    }
    return n;
}

double nncl_context_build_seconds(const nncl_context *ctx) { return ctx ? ctx->build_seconds : 0; }

nncl_status nncl__set_args(nncl_context *ctx, nncl__kernel_id id, const nncl__arg *args, cl_uint n)
{
    for (cl_uint i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(ctx->kernels[id], i, args[i].size, &args[i].value);
        if (err != CL_SUCCESS)
            return nncl__fail(ctx, NNCL_ERR_OPENCL, "%s: clSetKernelArg(%u): %s", kernel_names[id], i,
                              nncl__cl_error_name(err));
    }
    if (n != ctx->kernel_args[id])
        return nncl__fail(ctx, NNCL_ERR_OPENCL, "%s: %u arguments set, the kernel takes %u", kernel_names[id], n,
                          ctx->kernel_args[id]);
    return NNCL_OK;
}

void nncl__context_set_dataset_budget(nncl_context *ctx, uint64_t bytes) { ctx->dataset_budget = bytes; }

uint64_t nncl__context_dataset_budget(const nncl_context *ctx)
{
    return ctx->dataset_budget ? ctx->dataset_budget : ctx->info.global_mem_bytes / 2;
}

/* SPDX-License-Identifier: MIT */
/* GEMM parameters per device, CLBlast-style: every tuned parameter of the
 * kernel the device runs (the register-tiled family on CPUs, gemm_local on
 * GPUs) comes from, in order of precedence, NNCL_GEMM_PARAMS or
 * NNCL_GEMM_TILES (experiments), the on-disk cache that `nncl bench --tune`
 * fills (keyed by device name, driver version and kernel), or defaults by
 * device. Cache lines: "name<TAB>driver<TAB>kernel<TAB>key=value ...", the
 * kernel "register" or "local"; lines of other formats are ignored. */
#include "core/core.h"
#include "io/atomicfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows of C from which a row-major B is packed into panels (NNCL_GEMM_PACK_MIN_M
 * overrides it): from there packing costs no more than it saves, and a
 * training run then builds one GEMM kernel fewer, even for the short last
 * batch of an epoch; below it the copy shows. docs/PERFORMANCE.md ("Why the
 * GEMM paths are chosen as they are") has the measurements. */
#define PACK_MIN_M_DEFAULT 64

static int valid(const nncl__gemm_tiles *t)
{
    int nv = t->vw ? t->tn / t->vw : 0;
    return t->tm >= 1 && t->tm <= 16 && (t->vw == 8 || t->vw == 16) && nv * t->vw == t->tn &&
           (nv == 1 || nv == 2 || nv == 4) && t->tm * nv <= 32 && t->ku >= 1 && t->ku <= 8 && t->kc >= 0 &&
           t->kc % 8 == 0 && t->lwg >= 1 && t->lwg <= 32 && t->lrb >= 1 && t->lrb <= 8 &&
           (t->lwg * t->lrb) % 4 == 0 && t->lkt >= 4 && t->lkt <= 64 && t->lkt % 4 == 0 && t->wgx >= 1 &&
           t->wgy >= 1 && t->wgx * t->wgy <= 256;
}

static const char *kernel_name(const nncl__gemm_tiles *t) { return t->local_gemm ? "local" : "register"; }

/* Reads "key=value" pairs (separated by spaces) into t; 0 on an unknown key
 * or a malformed pair. tn given without vw means vw = tn (one vector). */
static int parse_params(const char *text, nncl__gemm_tiles *t)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    int vw_given = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return 0;
        *eq = '\0';
        int v = atoi(eq + 1);
        if (!strcmp(tok, "tm")) t->tm = v;
        else if (!strcmp(tok, "tn")) t->tn = v;
        else if (!strcmp(tok, "vw")) t->vw = v, vw_given = 1;
        else if (!strcmp(tok, "ku")) t->ku = v;
        else if (!strcmp(tok, "kc")) t->kc = v;
        else if (!strcmp(tok, "lwg")) t->lwg = v;
        else if (!strcmp(tok, "lrb")) t->lrb = v;
        else if (!strcmp(tok, "lkt")) t->lkt = v;
        else if (!strcmp(tok, "wgx")) t->wgx = v;
        else if (!strcmp(tok, "wgy")) t->wgy = v;
        else return 0;
    }
    if (!vw_given && t->tn < t->vw) t->vw = t->tn;
    return 1;
}

/* The cache file's path; 0 when no home or cache directory is known. */
static int cache_path(char *dir, size_t dir_size, char *path, size_t path_size)
{
    const char *base = getenv("NNCL_CACHE_DIR");
    if (base && *base) {
        snprintf(dir, dir_size, "%s", base);
    } else if ((base = getenv("XDG_CACHE_HOME")) && *base) {
        snprintf(dir, dir_size, "%s/nncl", base);
    } else if ((base = getenv("HOME")) && *base) {
        snprintf(dir, dir_size, "%s/.cache/nncl", base);
    } else {
        return 0;
    }
    snprintf(path, path_size, "%s/gemm-params.txt", dir);
    return 1;
}

/* The parameters of a cache line "name\tdriver\tkernel\tparams\n" when its
 * key is this device, driver and kernel, else NULL; line is cut up. */
static char *params_for(char *line, const nncl_device_info *info, const char *kernel)
{
    char *save = NULL, *name = strtok_r(line, "\t", &save), *driver = strtok_r(NULL, "\t", &save),
         *k = strtok_r(NULL, "\t", &save), *params = strtok_r(NULL, "\n", &save);
    int same = name && driver && k && params && !strcmp(name, info->name) && !strcmp(driver, info->driver_version) &&
               !strcmp(k, kernel);
    return same ? params : NULL;
}

/* Reads the cached parameters for this device, driver and kernel into t. */
static int cached_params(const nncl_device_info *info, nncl__gemm_tiles *t)
{
    char dir[2048], path[2100], line[512];
    if (!cache_path(dir, sizeof dir, path, sizeof path)) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *params = params_for(line, info, kernel_name(t));
        if (params) {
            nncl__gemm_tiles tried = *t;
            found = parse_params(params, &tried) && valid(&tried);
            if (found) *t = tried;
        }
    }
    fclose(f);
    return found;
}

/* Floats per SIMD register the device prefers (PoCL: 16 with AVX-512, 8 with
 * AVX2); 8 when it says less or nothing. */
static int native_floats(cl_device_id device)
{
    cl_uint w = 0;
    if (clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL) != CL_SUCCESS)
        return 8;
    return w >= 16 ? 16 : 8;
}

/* What the GEMM environment variables take, for the error on a value they do
 * not: a mistyped experiment fails loudly instead of timing the defaults. */
#define PARAMS_RULES                                                                                       \
    "keys tm tn vw ku kc wgx wgy lwg lrb lkt; tm 1..16, vw 8 or 16, tn 1, 2 or 4 times vw, tm*tn/vw at " \
    "most 32, ku 1..8, kc a multiple of 8, wgx*wgy at most 256, lwg 1..32, lrb 1..8, lkt 4..64 in steps of 4"

nncl_status nncl__resolve_tiles(cl_device_id device, const nncl_device_info *info, nncl__gemm_tiles *t)
{
    memset(t, 0, sizeof *t);
    /* One work-item per work-group for the register-tiled GEMM: the driver
     * runs work-groups on its threads and each one is a plain loop. */
    t->wgx = t->wgy = 1;
    t->wg = info->type == NNCL_DEVICE_GPU ? 256 : 64;
    const char *tn_mode = getenv("NNCL_GEMM_TN"); /* "transpose", "direct" or "auto" */
    t->transpose_a = tn_mode && !strcmp(tn_mode, "transpose") ? NNCL__TN_TRANSPOSE
                     : tn_mode && !strcmp(tn_mode, "direct")  ? NNCL__TN_DIRECT
                                                    : NNCL__TN_AUTO;
    if (tn_mode && *tn_mode && t->transpose_a == NNCL__TN_AUTO && strcmp(tn_mode, "auto"))
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "NNCL_GEMM_TN=\"%s\": expected transpose, direct or auto",
                          tn_mode);
    const char *pack = getenv("NNCL_GEMM_PACK_MIN_M");
    t->pack_min_m = pack ? (size_t)strtoul(pack, NULL, 10) : PACK_MIN_M_DEFAULT;
    const char *prepack = getenv("NNCL_GEMM_PREPACK");
    t->prepack = !(prepack && !strcmp(prepack, "0"));
    const char *head = getenv("NNCL_FUSED_HEAD");
    t->fused_head = !(head && !strcmp(head, "0"));
    /* Register kernels, by the device's vector width (docs/PERFORMANCE.md has
     * the sweeps): AVX2, 6 x 16 as two float8 per row, twelve accumulators,
     * two B vectors and a broadcast in the sixteen ymm registers; AVX-512,
     * 4 x 64 as four float16 per row, sixteen of the 32 zmm registers, the
     * k loop unrolled four times (the tuner's choice on a quiet Zen 5, and
     * 2-13 % more training throughput than 8 x 32 there). K is split in
     * chunks of kc when it is at least twice that (the weight gradients of
     * large batches), so that a chunk of A and of a B panel stays in the
     * core's cache; 1024 for both (AVX2 code on the AVX-512 machine, with
     * OpenBLAS's Haswell kernels beside it: 1024^3 0.78-0.83x -> 0.90-0.97x
     * OpenBLAS, training at batch 1024 +5 %, over kc 512; docs/PERFORMANCE.md). */
    t->vw = native_floats(device);
    t->tm = t->vw == 16 ? 4 : 6;
    t->tn = t->vw == 16 ? 64 : 16;
    t->ku = t->vw == 16 ? 4 : 1;
    t->kc = 1024;
    t->source = "default";
    /* GPUs: 16 x 16 work-groups of 4 x 4 register blocks (64 x 64 outputs per
     * group), k in steps of 16 through local memory: 8.5 KB of local memory
     * and 16 accumulators per work-item, sizes every current GPU takes. */
    const char *kernel = getenv("NNCL_GEMM_KERNEL"); /* "local" or "register" */
    if (kernel && *kernel && strcmp(kernel, "local") && strcmp(kernel, "register"))
        return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "NNCL_GEMM_KERNEL=\"%s\": expected local or register",
                          kernel);
    t->local_gemm = kernel && *kernel ? !strcmp(kernel, "local") : info->type == NNCL_DEVICE_GPU;
    t->lwg = 16, t->lrb = 4, t->lkt = 16;
    if (t->local_gemm && info->max_work_group_size < 256) t->lwg = 8;
    nncl__gemm_tiles tried = *t;
    int tm = 0, tn = 0, wgx = 1, wgy = 1;
    const char *env = getenv("NNCL_GEMM_PARAMS"); /* "tm=8 tn=32 vw=16 ku=2 kc=512 lwg=16 lrb=4 lkt=16" */
    if (env && *env) {
        if (!parse_params(env, &tried) || !valid(&tried))
            return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "NNCL_GEMM_PARAMS=\"%s\": not valid GEMM parameters (%s)",
                              env, PARAMS_RULES);
        *t = tried;
        t->source = "NNCL_GEMM_PARAMS";
        return NNCL_OK;
    }
    env = getenv("NNCL_GEMM_TILES"); /* "TMxTN[xWGXxWGY]": one vector of TN per row */
    if (env && *env) {
        char rest = 0;
        int got = sscanf(env, "%dx%dx%dx%d%c", &tm, &tn, &wgx, &wgy, &rest);
        tried.tm = tm, tried.tn = tn, tried.vw = tn, tried.wgx = wgx, tried.wgy = wgy;
        if (got < 2 || got == 3 || got > 4 || !valid(&tried))
            return nncl__fail(NULL, NNCL_ERR_INVALID_ARG,
                              "NNCL_GEMM_TILES=\"%s\": not a register tile (TMxTN or TMxTNxWGXxWGY: TM 1..16, TN "
                              "8 or 16, one vector per row, WGX*WGY at most 256; wider tiles through "
                              "NNCL_GEMM_PARAMS)",
                              env);
        *t = tried;
        t->source = "NNCL_GEMM_TILES";
        return NNCL_OK;
    }
    if (cached_params(info, t)) t->source = "tuned";
    return NNCL_OK;
}

void nncl__gemm_build_options(const nncl_context *ctx, char *out, size_t size)
{
    const nncl__gemm_tiles *t = &ctx->tiles;
    snprintf(out, size,
             "-DNNCL_TM=%d -DNNCL_TN=%d -DNNCL_VW=%d -DNNCL_KU=%d -DNNCL_NARROW_TM=%d -DNNCL_GEMM_WGX=%d "
             "-DNNCL_GEMM_WGY=%d -DNNCL_LWG=%d -DNNCL_LRB=%d -DNNCL_LKT=%d",
             t->tm, t->tn, t->vw, t->ku, nncl__narrow_tm(t), t->wgx, t->wgy, t->lwg, t->lrb, t->lkt);
}

/* The tuned parameters of the kernel in force, as the cache stores them. */
static void params_text(const nncl__gemm_tiles *t, char *out, size_t size)
{
    if (t->local_gemm) snprintf(out, size, "lwg=%d lrb=%d lkt=%d", t->lwg, t->lrb, t->lkt);
    else {
        int n = snprintf(out, size, "tm=%d tn=%d vw=%d ku=%d kc=%d", t->tm, t->tn, t->vw, t->ku, t->kc);
        /* a work-group other than one tile: only ever from NNCL_GEMM_PARAMS */
        if ((t->wgx != 1 || t->wgy != 1) && n >= 0 && (size_t)n < size)
            snprintf(out + n, size - (size_t)n, " wgx=%d wgy=%d", t->wgx, t->wgy);
    }
}

void nncl__gemm_params_text(const nncl__gemm_tiles *t, char *out, size_t size)
{
    char params[80];
    params_text(t, params, sizeof params);
    snprintf(out, size, "%s %s", kernel_name(t), params);
}

const char *nncl_context_tiles_source(const nncl_context *ctx) { return ctx ? ctx->tiles.source : ""; }

const char *nncl_context_tiles(const nncl_context *ctx)
{
    static _Thread_local char text[32];
    if (!ctx) return "";
    if (ctx->tiles.local_gemm)
        snprintf(text, sizeof text, "local %dx%d", ctx->tiles.lwg * ctx->tiles.lrb, ctx->tiles.lwg * ctx->tiles.lrb);
    else
        snprintf(text, sizeof text, "%dx%d", ctx->tiles.tm, ctx->tiles.tn);
    return text;
}

const char *nncl_context_gemm_params(const nncl_context *ctx)
{
    static _Thread_local char text[96];
    if (!ctx) return "";
    nncl__gemm_params_text(&ctx->tiles, text, sizeof text);
    return text;
}

nncl_status nncl_context_save_tuning(const nncl_context *ctx)
{
    if (!ctx) return nncl__fail(NULL, NNCL_ERR_INVALID_ARG, "nncl_context_save_tuning: ctx is NULL");
    char dir[2048], path[2100], line[512];
    if (!cache_path(dir, sizeof dir, path, sizeof path))
        return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache: set NNCL_CACHE_DIR or HOME");
    /* mkdir -p of the cache folder (two levels at most: ~/.cache/nncl). */
    char parent[2048];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        mkdir(parent, 0755);
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache %s: %s", dir, strerror(errno));
    nncl__atomic_file af;
    int e = nncl__atomic_open(&af, path);
    if (e) return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache %s: %s", path, strerror(e));
    FILE *out = af.f, *in = fopen(path, "r");
    while (in && fgets(line, sizeof line, in)) {
        /* Keep every other device's and kernel's line. */
        char key[sizeof line];
        memcpy(key, line, sizeof key);
        if (!params_for(key, &ctx->info, kernel_name(&ctx->tiles))) fputs(line, out);
    }
    if (in) fclose(in);
    char params[80];
    params_text(&ctx->tiles, params, sizeof params);
    fprintf(out, "%s\t%s\t%s\t%s\n", ctx->info.name, ctx->info.driver_version, kernel_name(&ctx->tiles), params);
    const char *step = "";
    if ((e = nncl__atomic_commit(&af, &step)))
        return nncl__fail(ctx, NNCL_ERR_IO, "tuning cache %s: %s: %s", path, step, strerror(e));
    return NNCL_OK;
}

/* SPDX-License-Identifier: MIT */
/* Real data end to end: IDX and CSV data sets on the device and streamed,
 * model files and checkpoints (round trip, byte layout, exact resume, bad
 * files), the nncl command line, and a short Fashion-MNIST run. */
#include "model/model.h"
#include "io/safetensors.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>


#define SIDE 4
#define PIXELS (SIDE * SIDE)
#define CLASSES 3

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Writes bytes to path, gzip-compressed when gz. */
static void write_file(const char *path, const void *data, size_t size, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(gzwrite(f, data, (unsigned)size), (int)size);
        gzclose(f);
        return;
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    fclose(f);
}

/* A small image-classification problem: class k lights up row k of a 4x4
 * image (plus noise), as an IDX folder with train and t10k files. */
static const char *make_idx_folder(void)
{
    static char dir[256];
    if (dir[0]) return dir;
    snprintf(dir, sizeof dir, "%s/idx", nncl_test_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *parts[2] = {"train", "t10k"};
    const size_t counts[2] = {600, 150};
    uint64_t rng = 77;
    for (int p = 0; p < 2; p++) {
        size_t n = counts[p];
        unsigned char *img = malloc(16 + n * PIXELS), *lab = malloc(8 + n);
        put_be32(img, 0x803), put_be32(img + 4, (uint32_t)n), put_be32(img + 8, SIDE), put_be32(img + 12, SIDE);
        put_be32(lab, 0x801), put_be32(lab + 4, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            int k = (int)(nncl_test_uniform(&rng, 0, CLASSES));
            lab[8 + i] = (unsigned char)k;
            for (int px = 0; px < PIXELS; px++) {
                float v = nncl_test_uniform(&rng, 0, 90) + (px / SIDE == k ? 150 : 0);
                img[16 + i * PIXELS + px] = (unsigned char)v;
            }
        }
        char path[512];
        snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte%s", dir, parts[p], p ? "" : ".gz");
        write_file(path, img, 16 + n * PIXELS, p == 0);
        snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte", dir, parts[p]);
        write_file(path, lab, 8 + n, 0);
        free(img), free(lab);
    }
    return dir;
}

static nncl_model *small_model(nncl_context *ctx, uint64_t seed)
{
    nncl_layer_spec layers[] = {{8, NNCL_ACT_RELU}, {CLASSES, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = {.inputs = PIXELS, .n_layers = 2, .layers = layers, .loss = NNCL_LOSS_SOFTMAX_CE, .seed = seed};
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    nncl_optimizer adam = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    adam.lr = 0.01f;
    ck_assert_int_eq(nncl_model_set_optimizer(m, &adam), NNCL_OK);
    return m;
}

static float *params_of(nncl_model *m)
{
    size_t n = nncl_model_param_count(m);
    float *p = malloc(n * sizeof *p);
    ck_assert_int_eq(nncl_model_get_params(m, p, n), NNCL_OK);
    return p;
}

static void train_epochs(nncl_model *m, const nncl_dataset *ds, uint64_t first, uint64_t last)
{
    for (uint64_t e = first; e < last; e++) {
        nncl_epoch_options eo = {.batch = 32, .seed = 5, .epoch = e};
        nncl_status st = nncl_model_train_epoch(m, ds, &eo, NULL, NULL, NULL);
        ck_assert_msg(st == NNCL_OK, "epoch %llu: %s", (unsigned long long)e, nncl_last_error(nncl_test_context()));
    }
}

START_TEST(idx_folder_trains_to_high_accuracy)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *train = NULL, *test = NULL;
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "train", NULL, &train), NNCL_OK);
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "test", NULL, &test), NNCL_OK);
    ck_assert_uint_eq(nncl_dataset_rows(train), 600);
    ck_assert_uint_eq(nncl_dataset_cols(train), PIXELS);
    ck_assert_int_eq(nncl_dataset_classes(test), CLASSES);
    ck_assert_int_eq(nncl_dataset_is_streamed(train), 0);
    nncl_model *m = small_model(ctx, 1);
    float loss0, acc0, loss, acc;
    uint64_t confusion[CLASSES * CLASSES];
    ck_assert_int_eq(nncl_model_evaluate_dataset(m, test, &loss0, &acc0, NULL, 0), NNCL_OK);
    train_epochs(m, train, 0, 10);
    ck_assert_int_eq(nncl_model_evaluate_dataset(m, test, &loss, &acc, confusion, CLASSES), NNCL_OK);
    ck_assert_msg(acc > 0.95f && loss < loss0 / 3, "accuracy %g, loss %g -> %g", acc, loss0, loss);
    uint64_t total = 0, diagonal = 0;
    for (int t = 0; t < CLASSES; t++)
        for (int c = 0; c < CLASSES; c++) total += confusion[t * CLASSES + c], diagonal += t == c ? confusion[t * CLASSES + c] : 0;
    ck_assert_uint_eq(total, 150);
    ck_assert_double_eq_tol((double)diagonal / 150.0, acc, 1e-6);
    /* Probabilities from the data-set path sum to one. */
    float *p = malloc(150 * CLASSES * sizeof *p);
    ck_assert_int_eq(nncl_model_predict_dataset(m, test, p, 150 * CLASSES), NNCL_OK);
    for (int r = 0; r < 150; r++) ck_assert_double_eq_tol(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2], 1.0, 1e-5);
    free(p);
    nncl_model_destroy(m);
    nncl_dataset_destroy(train), nncl_dataset_destroy(test);
}
END_TEST

START_TEST(streamed_data_set_matches_device_resident)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *resident = NULL, *streamed = NULL;
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "train", NULL, &resident), NNCL_OK);
    nncl_dataset_set_device_budget(ctx, 1000); /* smaller than 600 x 16 bytes */
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "train", NULL, &streamed), NNCL_OK);
    nncl_dataset_set_device_budget(ctx, 0);
    ck_assert_int_eq(nncl_dataset_is_streamed(streamed), 1);
    nncl_model *a = small_model(ctx, 3), *b = small_model(ctx, 3);
    float mean[PIXELS], sd[PIXELS];
    ck_assert_int_eq(nncl_dataset_stats(resident, mean, sd, PIXELS), NNCL_OK);
    ck_assert_int_eq(nncl_model_set_normalization(a, mean, sd, PIXELS), NNCL_OK);
    ck_assert_int_eq(nncl_model_set_normalization(b, mean, sd, PIXELS), NNCL_OK);
    train_epochs(a, resident, 0, 2);
    train_epochs(b, streamed, 0, 2);
    float *pa = params_of(a), *pb = params_of(b);
    ck_assert_msg(memcmp(pa, pb, nncl_model_param_count(a) * sizeof(float)) == 0,
                  "streamed training differs from device-resident training");
    free(pa), free(pb);
    nncl_model_destroy(a), nncl_model_destroy(b);
    nncl_dataset_destroy(resident), nncl_dataset_destroy(streamed);
}
END_TEST

START_TEST(model_file_round_trip_and_layout)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *train = NULL;
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "train", NULL, &train), NNCL_OK);
    nncl_model *m = small_model(ctx, 9);
    float mean[PIXELS], sd[PIXELS];
    ck_assert_int_eq(nncl_dataset_stats(train, mean, sd, PIXELS), NNCL_OK);
    ck_assert_int_eq(nncl_model_set_normalization(m, mean, sd, PIXELS), NNCL_OK);
    train_epochs(m, train, 0, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", nncl_test_tmpdir());
    ck_assert_int_eq(nncl_model_save(m, path), NNCL_OK);

    nncl_model *back = NULL;
    nncl_train_position pos = nncl_train_position_defaults();
    ck_assert_int_eq(nncl_model_load(ctx, path, &back, &pos), NNCL_OK);
    ck_assert_uint_eq(pos.epoch, 0);
    size_t n = nncl_model_param_count(m);
    ck_assert_uint_eq(nncl_model_param_count(back), n);
    float *pa = params_of(m), *pb = params_of(back);
    ck_assert_mem_eq(pa, pb, n * sizeof(float));
    float ma[PIXELS], sa[PIXELS];
    ck_assert_int_eq(nncl_model_get_normalization(back, ma, sa, PIXELS), 1);
    ck_assert_mem_eq(ma, mean, sizeof ma);
    float *qa = malloc(600 * 3 * sizeof(float)), *qb = malloc(600 * 3 * sizeof(float));
    ck_assert_int_eq(nncl_model_predict_dataset(m, train, qa, 600 * 3), NNCL_OK);
    ck_assert_int_eq(nncl_model_predict_dataset(back, train, qb, 600 * 3), NNCL_OK);
    ck_assert_mem_eq(qa, qb, 600 * 3 * sizeof(float));

    /* The bytes: u64 header length, JSON padded to 8, then layers.0.weight [16, 8]. */
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char len_bytes[8];
    ck_assert_uint_eq(fread(len_bytes, 1, 8, f), 8);
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | len_bytes[i];
    ck_assert_uint_eq((8 + header) % 8, 0);
    char *json = calloc(header + 1, 1);
    ck_assert_uint_eq(fread(json, 1, header, f), header);
    ck_assert_ptr_nonnull(strstr(json, "\"layers.0.weight\""));
    ck_assert_ptr_nonnull(strstr(json, "\"shape\":[16,8]"));
    ck_assert_ptr_nonnull(strstr(json, "\"layers\":\"8:relu,3:softmax\""));
    ck_assert_ptr_nonnull(strstr(json, "\"format\":\"nncl-model-1\""));
    fclose(f);
    /* Where the Python package is installed, safetensors itself reads it. */
    if (system("python3 -c 'import safetensors.numpy' > /dev/null 2>&1") == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "python3 -c \"from safetensors.numpy import load_file; t = load_file('%s'); "
                 "assert t['layers.0.weight'].shape == (16, 8) and t['layers.1.bias'].shape == (3,); "
                 "assert abs(float(t['layers.0.weight'][2, 5]) - %.9g) < 1e-7\"",
                 path, (double)pa[2 * 8 + 5]);
        ck_assert_msg(system(cmd) == 0, "safetensors.numpy.load_file could not read %s", path);
    } else {
        fprintf(stderr, "python3 safetensors not installed: load_file check not done\n");
    }
    nncl__st_file *st = NULL;
    ck_assert_int_eq(nncl__st_read(NULL, path, &st), NNCL_OK);
    const nncl__st_tensor *w = nncl__st_find(st, "layers.0.weight");
    ck_assert_ptr_nonnull(w);
    ck_assert_mem_eq(w->data, pa, 16 * 8 * sizeof(float)); /* [in, out] row-major, as in memory */
    ck_assert_str_eq(nncl__st_meta_get(st, "loss"), "softmax-ce");
    nncl__st_close(st);
    free(json), free(pa), free(pb), free(qa), free(qb);
    nncl_model_destroy(m), nncl_model_destroy(back);
    nncl_dataset_destroy(train);
}
END_TEST

typedef struct {
    size_t stop_after;
} stopper;

static int stop_at(const nncl_progress *p, void *user)
{
    return p->batches_done >= ((stopper *)user)->stop_after;
}

START_TEST(resume_from_checkpoint_is_bit_identical)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *train = NULL;
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "train", NULL, &train), NNCL_OK);
    nncl_model *straight = small_model(ctx, 4);
    train_epochs(straight, train, 0, 3);

    nncl_model *first = small_model(ctx, 4);
    train_epochs(first, train, 0, 1);
    stopper s = {7};
    nncl_epoch_options eo = {.batch = 32, .seed = 5, .epoch = 1, .progress = stop_at, .progress_every = 1, .user = &s};
    size_t done = 0;
    ck_assert_int_eq(nncl_model_train_epoch(first, train, &eo, NULL, NULL, &done), NNCL_ERR_INTERRUPTED);
    ck_assert_uint_eq(done, 7);
    char path[512];
    snprintf(path, sizeof path, "%s/ck.safetensors", nncl_test_tmpdir());
    nncl_train_position here = {.seed = 5, .epoch = 1, .batch = done, .batch_size = 32, .is_checkpoint = 1};
    ck_assert_int_eq(nncl_model_save_checkpoint(first, path, &here), NNCL_OK);
    nncl_model_destroy(first);

    nncl_model *resumed = NULL;
    nncl_train_position pos = nncl_train_position_defaults();
    ck_assert_int_eq(nncl_model_load(ctx, path, &resumed, &pos), NNCL_OK);
    ck_assert_uint_eq(pos.epoch, 1);
    ck_assert_uint_eq(pos.batch, 7);
    ck_assert_uint_eq(pos.seed, 5);
    nncl_optimizer o = nncl_optimizer_defaults(NNCL_OPTIM_SGD);
    ck_assert_int_eq(nncl_model_get_optimizer(resumed, &o), NNCL_OK);
    ck_assert_float_eq(o.lr, 0.01f);
    nncl_epoch_options rest = {.batch = 32, .seed = pos.seed, .epoch = 1, .start_batch = pos.batch};
    ck_assert_int_eq(nncl_model_train_epoch(resumed, train, &rest, NULL, NULL, NULL), NNCL_OK);
    train_epochs(resumed, train, 2, 3);
    ck_assert_uint_eq(nncl_model_step(resumed), nncl_model_step(straight));
    float *pa = params_of(straight), *pb = params_of(resumed);
    ck_assert_msg(memcmp(pa, pb, nncl_model_param_count(straight) * sizeof(float)) == 0,
                  "resumed weights differ from the uninterrupted run");
    free(pa), free(pb);
    nncl_model_destroy(straight), nncl_model_destroy(resumed);
    nncl_dataset_destroy(train);
}
END_TEST

START_TEST(bad_model_files_are_rejected)
{
    nncl_context *ctx = nncl_test_context();
    char path[512];
    nncl_model *m = NULL;
    ASSERT_FAILS(ctx, nncl_model_load(ctx, "/nonexistent/model.safetensors", &m, NULL), NNCL_ERR_IO,
                 "/nonexistent/model.safetensors");
    /* A valid safetensors file that is not an nncl model. */
    float w[6] = {1, 2, 3, 4, 5, 6};
    nncl__st_tensor t = {"layers.0.weight", 2, {2, 3}, w};
    nncl__st_meta meta[] = {{"format", "something-else"}};
    snprintf(path, sizeof path, "%s/other.safetensors", nncl_test_tmpdir());
    ck_assert_int_eq(nncl__st_write(NULL, path, &t, 1, meta, 1), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_load(ctx, path, &m, NULL), NNCL_ERR_FORMAT, "not an nncl model");
    /* Shapes that disagree with the architecture. */
    float b[3] = {0, 0, 0};
    nncl__st_tensor two[] = {{"layers.0.weight", 2, {2, 3}, w}, {"layers.0.bias", 1, {3, 0}, b}};
    nncl__st_meta arch[] = {{"format", "nncl-model-1"}, {"inputs", "3"}, {"layers", "3:sigmoid"},
                            {"loss", "mse"}, {"seed", "1"}};
    ck_assert_int_eq(nncl__st_write(NULL, path, two, 2, arch, 5), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_load(ctx, path, &m, NULL), NNCL_ERR_FORMAT, "needs [3, 3]");
    arch[1].value = "2";
    arch[2].value = "3:swish";
    ck_assert_int_eq(nncl__st_write(NULL, path, two, 2, arch, 5), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_load(ctx, path, &m, NULL), NNCL_ERR_FORMAT, "unknown activation \"swish\"");
    arch[2].value = "3:sigmoid";
    arch[3].value = "hinge";
    ck_assert_int_eq(nncl__st_write(NULL, path, two, 2, arch, 5), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_load(ctx, path, &m, NULL), NNCL_ERR_FORMAT, "\"hinge\" is not a loss");
    arch[3].value = "mse";
    w[4] = NAN;
    ck_assert_int_eq(nncl__st_write(NULL, path, two, 2, arch, 5), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_load(ctx, path, &m, NULL), NNCL_ERR_FORMAT, "index 4");
    w[4] = 5;
    ck_assert_int_eq(nncl__st_write(NULL, path, two, 2, arch, 5), NNCL_OK);
    ck_assert_int_eq(nncl_model_load(ctx, path, &m, NULL), NNCL_OK); /* now it is right */
    nncl_model_destroy(m);
    m = NULL;
    /* Truncated: cut the file in the middle of the data. */
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(buf, 1, size - 5, f);
    fclose(f);
    ASSERT_FAILS(ctx, nncl_model_load(ctx, path, &m, NULL), NNCL_ERR_FORMAT, path);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(data_and_model_must_agree)
{
    nncl_context *ctx = nncl_test_context();
    nncl_dataset *train = NULL;
    ck_assert_int_eq(nncl_dataset_open(ctx, make_idx_folder(), "train", NULL, &train), NNCL_OK);
    nncl_layer_spec layers[] = {{2, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = {.inputs = PIXELS + 1, .n_layers = 1, .layers = layers, .loss = NNCL_LOSS_SOFTMAX_CE, .seed = 1};
    nncl_model *wide = NULL, *two = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &wide), NNCL_OK);
    nncl_epoch_options eo = {.batch = 32};
    ASSERT_FAILS(ctx, nncl_model_train_epoch(wide, train, &eo, NULL, NULL, NULL), NNCL_ERR_SHAPE,
                 "16 feature columns, the model takes 17");
    spec.inputs = PIXELS;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &two), NNCL_OK);
    ASSERT_FAILS(ctx, nncl_model_train_epoch(two, train, &eo, NULL, NULL, NULL), NNCL_ERR_SHAPE,
                 "labels up to 2, the model has 2 classes");
    nncl_model *ok = small_model(ctx, 1);
    eo.batch = 0;
    ASSERT_FAILS(ctx, nncl_model_train_epoch(ok, train, &eo, NULL, NULL, NULL), NNCL_ERR_INVALID_ARG, "batch");
    /* Options NULL are the defaults (batch 32), not an error. */
    ck_assert_int_eq(nncl_model_train_epoch(ok, train, NULL, NULL, NULL, NULL), NNCL_OK);
    nncl_model_destroy(ok);
    nncl_dataset *ds = NULL, *a = NULL, *b = NULL;
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, "/nonexistent-folder/x.csv", NULL, NULL, &ds), NNCL_ERR_IO,
                 "/nonexistent-folder/x.csv");
    ASSERT_FAILS(ctx, nncl_dataset_open(ctx, make_idx_folder(), "validation", NULL, &ds), NNCL_ERR_INVALID_ARG,
                 "validation");
    ASSERT_FAILS(ctx, nncl_dataset_split(train, 1.5, 1, &a, &b), NNCL_ERR_INVALID_ARG, "1.5");
    ck_assert_int_eq(nncl_dataset_split(train, 0.25, 1, &a, &b), NNCL_OK);
    ck_assert_uint_eq(nncl_dataset_rows(a), 450);
    ck_assert_uint_eq(nncl_dataset_rows(b), 150);
    nncl_dataset_destroy(a), nncl_dataset_destroy(b);
    nncl_model_destroy(wide), nncl_model_destroy(two);
    nncl_dataset_destroy(train);
}
END_TEST

START_TEST(command_line_end_to_end)
{
    const char *dir = nncl_test_tmpdir();
    char csv[512], feats[512], out[512], cmd[3072];
    snprintf(csv, sizeof csv, "%s/blobs.csv", dir);
    snprintf(feats, sizeof feats, "%s/features.csv", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(csv, "w"), *g = fopen(feats, "w");
    fprintf(f, "x;y;label\n");
    uint64_t rng = 3;
    for (int i = 0; i < 400; i++) {
        int k = i % 2;
        float x = nncl_test_uniform(&rng, -1, 1) + (k ? 2.0f : -2.0f), y = nncl_test_uniform(&rng, -1, 1);
        fprintf(f, "%g;%g;%d\n", x, y, k);
        if (i < 5) fprintf(g, "%g,%g\n", x, y);
    }
    fclose(f), fclose(g);

    snprintf(cmd, sizeof cmd, "%s train --data %s --validation-split 0.25 --layers 8 --epochs 15 --batch 16 "
             "--early-stop 0 --lr 0.01 --save %s/m.safetensors --checkpoint %s/ck.safetensors --plot %s/curve.svg "
             "--json",
             NNCL_CLI, csv, dir, dir, dir);
    int rc = nncl_test_shell(cmd, out);
    char *text = nncl_test_slurp(out);
    ck_assert_msg(rc == 0, "train exited %d:\n%s", rc, text);
    char *json = strstr(text, "{\"task\": \"classification\"");
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_nonnull(strstr(json, "\"epochs\": 15"));
    /* A validation split is reported as validation, never as test data. */
    ck_assert_ptr_nonnull(strstr(json, "\"test_accuracy\": null"));
    const char *acc = strstr(json, "\"validation_accuracy\": ");
    ck_assert_ptr_nonnull(acc);
    ck_assert_msg(atof(acc + 23) > 0.95, "validation accuracy %s", acc);
    free(text);
    struct stat st;
    ck_assert_int_eq(stat(out, &st), 0);
    char svg[512];
    snprintf(svg, sizeof svg, "%s/curve.svg", dir);
    text = nncl_test_slurp(svg);
    ck_assert_ptr_nonnull(strstr(text, "</svg>"));
    free(text);

    snprintf(cmd, sizeof cmd, "%s eval --model %s/m.safetensors --data %s --json", NNCL_CLI, dir, csv);
    nncl_test_expect_shell(cmd, out, 0, "\"confusion\": [[", NULL);

    snprintf(cmd, sizeof cmd, "%s predict --model %s/m.safetensors --input %s", NNCL_CLI, dir, feats);
    rc = nncl_test_shell(cmd, out);
    text = nncl_test_slurp(out);
    ck_assert_msg(rc == 0, "predict exited %d:\n%s", rc, text);
    int lines = 0;
    for (char *c = text; *c; c++) lines += *c == '\n';
    ck_assert_int_eq(lines, 5);
    free(text);

    /* A finished run resumes only to train more epochs, with the checkpoint's model. */
    snprintf(cmd, sizeof cmd, "%s train --data %s --validation-split 0.25 --epochs 15 --batch 16 "
             "--resume %s/ck.safetensors", NNCL_CLI, csv, dir);
    nncl_test_expect_shell(cmd, out, 2, "already done 15 epochs", NULL);
    snprintf(cmd, sizeof cmd, "%s train --data %s --validation-split 0.25 --epochs 17 --batch 16 --layers 8 "
             "--resume %s/ck.safetensors", NNCL_CLI, csv, dir);
    nncl_test_expect_shell(cmd, out, 2, "drop --layers", NULL);
    snprintf(cmd, sizeof cmd, "%s train --data %s --validation-split 0.25 --epochs 17 --batch 16 "
             "--resume %s/ck.safetensors", NNCL_CLI, csv, dir);
    nncl_test_expect_shell(cmd, out, 0, "epoch  17", "epoch  15");

    struct { const char *args; int status; const char *needle; } misuse[] = {
        {"train --bogus", 2, "unknown option \"--bogus\""},
        {"train --epochs", 2, "needs a value"},
        {"train --epochs ten", 2, "not a whole number"},
        {"train --data /nonexistent.csv", 1, "/nonexistent.csv"},
        {"train --data fashion-mnist --validation-split 2", 2, "(0, 1)"},
        {"eval --model /nonexistent.safetensors --data x.csv", 1, "/nonexistent.safetensors"},
        {"frobnicate", 2, "unknown command"},
        {"bench --bogus", 2, "unknown option \"--bogus\""},
        {"bench --batches", 2, "needs a value"},
        {"predict --model", 2, "needs a value"},
        {"train --save /nonexistent-dir/m.safetensors", 2, "folder does not exist"},
        {"train --save /dev/null", 2, "not a file name"},
        {"train --save --json", 2, "needs a value"},
        {"train --layers 2635249153387078803", 2, "over 16777216"},
        {"train --epochs 100000000000000", 2, "--epochs must be"},
    };
    for (size_t i = 0; i < sizeof misuse / sizeof *misuse; i++) {
        snprintf(cmd, sizeof cmd, "%s %s", NNCL_CLI, misuse[i].args);
        nncl_test_expect_shell(cmd, out, misuse[i].status, misuse[i].needle, NULL);
    }
    /* A model that does not match the data's width. */
    snprintf(cmd, sizeof cmd, "%s eval --model %s/m.safetensors --data %s", NNCL_CLI, dir, make_idx_folder());
    nncl_test_expect_shell(cmd, out, 1, "the model takes 2 inputs", NULL);
    snprintf(cmd, sizeof cmd, "NNCL_DEVICE=nonsense %s devices", NNCL_CLI);
    nncl_test_expect_shell(cmd, out, 1, "nonsense", NULL);
}
END_TEST

START_TEST(fashion_mnist_subset_learns)
{
    nncl_context *ctx = nncl_test_context();
    struct stat st;
    if (stat("/usr/share/datasets/fashion-mnist", &st) != 0) {
        fprintf(stderr, "dataset-fashion-mnist is not installed: short run not done\n");
        return;
    }
    nncl_dataset *all = NULL, *rest = NULL, *subset = NULL, *test = NULL;
    ck_assert_int_eq(nncl_dataset_open(ctx, "fashion-mnist", "train", NULL, &all), NNCL_OK);
    ck_assert_uint_eq(nncl_dataset_rows(all), 60000);
    ck_assert_uint_eq(nncl_dataset_cols(all), 784);
    ck_assert_int_eq(nncl_dataset_split(all, 0.1, 1, &rest, &subset), NNCL_OK);
    nncl_dataset_destroy(all), nncl_dataset_destroy(rest);
    ck_assert_int_eq(nncl_dataset_open(ctx, "fashion-mnist", "test", NULL, &test), NNCL_OK);
    nncl_layer_spec layers[] = {{128, NNCL_ACT_RELU}, {10, NNCL_ACT_SOFTMAX}};
    nncl_model_spec spec = {.inputs = 784, .n_layers = 2, .layers = layers, .loss = NNCL_LOSS_SOFTMAX_CE, .seed = 42};
    nncl_model *m = NULL;
    ck_assert_int_eq(nncl_model_create(ctx, &spec, &m), NNCL_OK);
    for (uint64_t e = 0; e < 2; e++) {
        nncl_epoch_options eo = {.batch = 64, .seed = 1, .epoch = e};
        ck_assert_int_eq(nncl_model_train_epoch(m, subset, &eo, NULL, NULL, NULL), NNCL_OK);
    }
    float loss, acc;
    ck_assert_int_eq(nncl_model_evaluate_dataset(m, test, &loss, &acc, NULL, 0), NNCL_OK);
    ck_assert_msg(acc > 0.75f, "6000 images, 2 epochs: test accuracy %g", acc);
    nncl_model_destroy(m);
    nncl_dataset_destroy(subset), nncl_dataset_destroy(test);
}
END_TEST

static void device_cases(Suite *s)
{
    NNCL_TEST_CASE(s, "device", 600, idx_folder_trains_to_high_accuracy,
                   streamed_data_set_matches_device_resident, model_file_round_trip_and_layout,
                   resume_from_checkpoint_is_bit_identical, bad_model_files_are_rejected,
                   data_and_model_must_agree, command_line_end_to_end, fashion_mnist_subset_learns);
}

int main(int argc, char **argv) { return nncl_test_run("data", NULL, device_cases, argc, argv); }

/* SPDX-License-Identifier: MIT */
/* nncl train: train a dense classifier or regressor on a data set. A thin
 * layer over nncl_model_fit: this file reads the options and the data,
 * decides the task, builds the model, and shows what the fit does (a
 * progress bar that fits the terminal, a line per epoch, checkpoints, Ctrl-C,
 * an SVG of the curves, a history table and a JSON summary). */
#include "cli.h"
#include "dist/dist.h"
#include "plot.h"
#include "io/atomicfile.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: nncl train [options]\n"
    "\n"
    "data:\n"
    "  --data D               fashion-mnist (default), a folder of IDX files, or a CSV file\n"
    "                         (recognised by its content, whatever its name)\n"
    "  --test-data T          data to test on after each epoch (default: the test part\n"
    "                         of an IDX folder; none for a CSV)\n"
    "  --validation-split F   hold out this fraction of the training data as a validation\n"
    "                         set: early stopping watches its loss\n"
    "  --label-column C       CSV label column, by name or 0-based index (default: last)\n"
    "  --missing P            CSV missing values (empty, NA, NaN, ?): error (default), drop\n"
    "                         the row, or mean (the column's mean)\n"
    "  --standardize          scale each feature to mean 0, std 1, kept in the model\n"
    "  --no-standardize       (default: on for CSV, with regression targets too; off for images)\n"
    "model:\n"
    "  --layers W,W           hidden layer widths (\"\" for none; default 256,128 for images,\n"
    "                         100 for CSV)\n"
    "  --activation relu      hidden activation: relu, leaky_relu, tanh, sigmoid, identity\n"
    "  --loss L               softmax-ce (classes), bce (0/1 target), mse (regression);\n"
    "                         default: from the labels (names or few whole numbers: classes;\n"
    "                         fractions or many distinct numbers: regression)\n"
    "  --seed 42              weights and shuffling\n"
    "optimizer:\n"
    "  --optimizer adam       adam, adamw, sgd, momentum, nesterov\n"
    "  --lr 0.001             learning rate\n"
    "  --momentum 0.9\n"
    "  --weight-decay W       L2 (adamw: decoupled); default 0 for images, 0.03 for CSV\n"
    "  --schedule cosine      cosine (to 0 over the run), constant, step (x0.1 every\n"
    "                         --step-epochs)\n"
    "  --step-epochs 5\n"
    "  --batch N  --epochs N  default 128 and 15 for images; for CSV from the data size\n"
    "  --early-stop N         stop after N epochs without improvement of the validation\n"
    "                         loss (else the training loss) and keep the best epoch's\n"
    "                         weights; 0: never (default 10)\n"
    "output:\n"
    "  --save model.safetensors         the trained model (the best epoch's weights)\n"
    "  --checkpoint ck.safetensors      written after every epoch and on Ctrl-C\n"
    "  --resume ck.safetensors          continue a run exactly where it stopped\n"
    "  --plot curve.svg                 loss and accuracy per epoch\n"
    "  --history h.csv                  every epoch's figures as a table\n"
    "  --json                           a JSON summary (with the history) as the last line\n"
    "  --quiet                          no progress, no per-epoch lines\n"
    "  --device D                       gpu, cpu, an index or a name (see nncl devices)\n"
    "  --profile                        print the device time of each kernel at the end\n";

/* Tabular (CSV) data's defaults, measured on iris, wine, breast cancer and
 * diabetes against scikit-learn's MLP (docs/PERFORMANCE.md, "Tabular data"):
 * scikit-learn's one hidden layer of 100, and an L2 weight decay that keeps
 * a small data set from being learnt by heart. */
#define TABULAR_LAYERS "100"
#define TABULAR_WEIGHT_DECAY 0.03f
#define IMAGE_LAYERS "256,128"
/* --early-stop's default, as scikit-learn's n_iter_no_change. */
#define DEFAULT_PATIENCE 10
/* Image data's defaults (the published Fashion-MNIST MLP setting). */
#define IMAGE_BATCH 128
#define IMAGE_EPOCHS 15
#define MAX_BATCH (1u << 24)
#define MAX_EPOCHS 1000000
#define MAX_WIDTH (1u << 24)
/* Batches between progress calls: with a bar on a terminal, and without
 * (then only Ctrl-C is checked, and a step's pipeline drains less often). */
#define PROGRESS_EVERY_SHOWN 10
#define PROGRESS_EVERY_UNSHOWN 100
/* Epoch lines and the progress bar: at least this many columns. */
#define MIN_COLUMNS 40

typedef struct {
    const char *data, *test_data, *label_column, *layers, *save, *checkpoint, *resume, *plot, *history,
        *device;
    nncl_missing missing;
    const char *activation, *loss, *optimizer, *schedule;
    float validation_split, lr, momentum, weight_decay;
    size_t batch, epochs, step_epochs, patience;
    unsigned long long seed;
    int standardize; /* -1: by data kind */
    int json, quiet, lr_set, momentum_set, wd_set, profile;
    int model_set; /* an option that --resume takes from the checkpoint instead */
} train_options;

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* 1 when the folder that would hold `path` exists and can be written. */
static int writable_folder(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) return access(".", W_OK) == 0;
    if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    return access(dir, W_OK) == 0;
}

/* 1 when a and b name the same file (by path, or by inode when both exist). */
static int same_file(const char *a, const char *b)
{
    if (!a || !b) return 0;
    if (!strcmp(a, b)) return 1;
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Where the results go is checked before any work: a folder that exists, a
 * name that is not a folder or a device, and no output that overwrites the
 * data or another output. */
static int check_outputs(const train_options *o)
{
    const char *outputs[][2] = {{"--save", o->save}, {"--checkpoint", o->checkpoint}, {"--plot", o->plot},
                                {"--history", o->history}};
    const int n = (int)(sizeof outputs / sizeof *outputs), checkpoint = 1;
    for (int i = 0; i < n; i++) {
        const char *path = outputs[i][1];
        if (!path) continue;
        struct stat st;
        size_t len = strlen(path);
        if (len == 0 || path[len - 1] == '/' || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
            return cli_usage_error("train", "%s \"%s\": not a file name", outputs[i][0], path);
        if (!writable_folder(path))
            return cli_usage_error("train", "%s %s: its folder does not exist or is not writable", outputs[i][0], path);
        if (same_file(path, o->data) || same_file(path, o->test_data) ||
            (o->resume && i != checkpoint && same_file(path, o->resume)))
            return cli_usage_error("train", "%s %s would overwrite an input", outputs[i][0], path);
        for (int j = 0; j < i; j++)
            if (outputs[j][1] && same_file(path, outputs[j][1]))
                return cli_usage_error("train", "%s and %s name the same file %s", outputs[j][0], outputs[i][0], path);
    }
    return 0;
}

static int parse(int argc, char **argv, train_options *o)
{
    *o = (train_options){.data = "fashion-mnist", .activation = "relu", .optimizer = "adam",
                         .schedule = "cosine", .lr = 1e-3f, .momentum = 0.9f, .step_epochs = 5,
                         .patience = DEFAULT_PATIENCE, .seed = 42, .standardize = -1};
    cli_args a = {.command = "train", .argc = argc, .index = 1, .argv = argv};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        else if (cli_opt(&a, "--data")) o->data = a.value;
        else if (cli_opt(&a, "--test-data")) o->test_data = a.value;
        else if (cli_opt(&a, "--validation-split")) cli_parse_float(&a, "--validation-split", &o->validation_split);
        else if (cli_opt(&a, "--label-column")) o->label_column = a.value;
        else if (cli_opt(&a, "--missing")) cli_parse_missing(&a, &o->missing);
        else if (cli_flag(&a, "--standardize")) o->standardize = 1, o->model_set = 1;
        else if (cli_flag(&a, "--no-standardize")) o->standardize = 0, o->model_set = 1;
        else if (cli_opt(&a, "--layers")) o->layers = a.value, o->model_set = 1;
        else if (cli_opt(&a, "--activation")) o->activation = a.value, o->model_set = 1;
        else if (cli_opt(&a, "--loss")) o->loss = a.value, o->model_set = 1;
        else if (cli_opt(&a, "--seed")) cli_parse_u64(&a, "--seed", &o->seed);
        else if (cli_opt(&a, "--optimizer")) o->optimizer = a.value, o->model_set = 1;
        else if (cli_opt(&a, "--lr")) o->lr_set = cli_parse_float(&a, "--lr", &o->lr);
        else if (cli_opt(&a, "--momentum")) o->momentum_set = cli_parse_float(&a, "--momentum", &o->momentum);
        else if (cli_opt(&a, "--weight-decay")) o->wd_set = cli_parse_float(&a, "--weight-decay", &o->weight_decay);
        else if (cli_opt(&a, "--schedule")) o->schedule = a.value, o->model_set = 1;
        else if (cli_opt(&a, "--step-epochs")) cli_parse_size(&a, "--step-epochs", &o->step_epochs);
        else if (cli_opt(&a, "--batch")) {
            if (cli_parse_size(&a, "--batch", &o->batch) && o->batch == 0) o->batch = MAX_BATCH + 1; /* out of range */
        }
        else if (cli_opt(&a, "--epochs")) {
            if (cli_parse_size(&a, "--epochs", &o->epochs) && o->epochs == 0) o->epochs = MAX_EPOCHS + 1;
        }
        else if (cli_opt(&a, "--early-stop")) cli_parse_size(&a, "--early-stop", &o->patience);
        else if (cli_opt(&a, "--save")) o->save = a.value;
        else if (cli_opt(&a, "--checkpoint")) o->checkpoint = a.value;
        else if (cli_opt(&a, "--resume")) o->resume = a.value;
        else if (cli_opt(&a, "--plot")) o->plot = a.value;
        else if (cli_opt(&a, "--history")) o->history = a.value;
        else if (cli_flag(&a, "--json")) o->json = 1;
        else if (cli_flag(&a, "--quiet")) o->quiet = 1;
        else if (cli_flag(&a, "--profile")) o->profile = 1;
        else if (cli_opt(&a, "--device")) o->device = a.value;
        else return cli_usage_error("train", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (o->batch > MAX_BATCH) return cli_usage_error("train", "--batch must be in 1 .. %u", MAX_BATCH);
    if (o->epochs > MAX_EPOCHS) return cli_usage_error("train", "--epochs must be in 1 .. %d", MAX_EPOCHS);
    /* --lr is the one change a resume takes: after a divergence, a lower rate. */
    if (o->resume && (o->model_set || o->momentum_set || o->wd_set))
        return cli_usage_error("train", "--resume continues the checkpoint's model, optimizer and schedule; "
                                        "drop --layers/--activation/--loss/--optimizer/--momentum/"
                                        "--weight-decay/--schedule/--standardize (--lr may change)");
    if (o->validation_split != 0 && !(o->validation_split > 0 && o->validation_split < 1))
        return cli_usage_error("train", "--validation-split %g must be in (0, 1)", (double)o->validation_split);
    if (!strcmp(o->schedule, "step") && o->step_epochs == 0)
        return cli_usage_error("train", "--step-epochs must be at least 1");
    if (strcmp(o->schedule, "constant") && strcmp(o->schedule, "step") && strcmp(o->schedule, "cosine"))
        return cli_usage_error("train", "unknown --schedule \"%s\" (constant, step, cosine)", o->schedule);
    /* Names are checked before any data is read; the library's message lists the choices. */
    nncl_activation act = NNCL_ACT_IDENTITY;
    nncl_optimizer_kind kind;
    nncl_loss loss;
    if (nncl_activation_parse(o->activation, &act) || act == NNCL_ACT_SOFTMAX)
        return cli_usage_error("train", "--activation: %s",
                               act == NNCL_ACT_SOFTMAX ? "softmax is only for the output layer" : nncl_last_error(NULL));
    if (nncl_optimizer_parse(o->optimizer, &kind)) return cli_usage_error("train", "--optimizer: %s", nncl_last_error(NULL));
    if (o->loss && nncl_loss_parse(o->loss, &loss)) return cli_usage_error("train", "--loss: %s", nncl_last_error(NULL));
    return check_outputs(o);
}

/* Hidden widths "256,128" into layers (activation act), then the output layer. */
static int build_layers(const char *widths, nncl_activation act, nncl_loss loss, size_t outputs,
                        nncl_layer_spec *layers, size_t *n)
{
    *n = 0;
    const char *p = widths;
    while (*p) {
        char *end = NULL;
        unsigned long long units = strtoull(p, &end, 10);
        if (*p == '-' || end == p || units == 0 || (*end && *end != ','))
            return cli_usage_error("train", "--layers \"%s\": expected widths such as 256,128", widths);
        if (units > MAX_WIDTH)
            return cli_usage_error("train", "--layers \"%s\": width %llu is over %u", widths, units, MAX_WIDTH);
        if (*n + 1 >= NNCL_MAX_LAYERS)
            return cli_usage_error("train", "--layers \"%s\": at most %d hidden layers", widths,
                                   NNCL_MAX_LAYERS - 1);
        layers[(*n)++] = (nncl_layer_spec){.units = (size_t)units, .activation = act};
        p = *end ? end + 1 : end;
    }
    nncl_activation out = loss == NNCL_LOSS_SOFTMAX_CE ? NNCL_ACT_SOFTMAX
                          : loss == NNCL_LOSS_BCE       ? NNCL_ACT_SIGMOID
                                                        : NNCL_ACT_IDENTITY;
    layers[(*n)++] = (nncl_layer_spec){.units = outputs, .activation = out};
    return 0;
}

/* Everything a run holds; cleanup() releases it. */
typedef struct {
    const train_options *o;
    nncl_context *ctx;
    nncl_dataset *train, *valid, *test;
    nncl_model *model;
    int images;            /* IDX data (not a CSV) */
    nncl_loss loss;
    size_t batch;
    uint64_t epochs;       /* the run's last epoch + 1 */
    nncl_train_position pos; /* where the run starts (a resume) */
    float target_std;      /* regression: the targets' scale (RMSE = sqrt(loss)·std) */
    double test_var;       /* regression: the test targets' variance (for R²) */
    int tty;               /* stderr is a terminal: a progress bar */
    double train_seconds, samples;
    dist_world *world;     /* the MPI job (rank 0 of 1 alone) */
} run_state;

static void cleanup(run_state *r)
{
    nncl_model_destroy(r->model);
    nncl_dataset_destroy(r->train);
    nncl_dataset_destroy(r->valid);
    nncl_dataset_destroy(r->test);
    nncl_context_destroy(r->ctx);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* CSV options for this run: the task as --loss says (or from the labels),
 * and for a resumed model its input columns by name. */
static nncl_csv_options csv_options(const train_options *o, int loss_known, nncl_loss loss, const nncl_model *model,
                                    const char **names)
{ /* names: room for the model's inputs */
    nncl_csv_options csv = nncl_csv_options_defaults();
    csv.label_column = o->label_column;
    csv.regression = !loss_known ? NNCL_CSV_AUTO : loss != NNCL_LOSS_SOFTMAX_CE;
    csv.missing = o->missing;
    size_t inputs = model ? nncl_model_inputs(model) : 0;
    if (model && nncl_model_feature_name(model, 0)) {
        for (size_t i = 0; i < inputs; i++) names[i] = nncl_model_feature_name(model, i);
        csv.features = names;
        csv.n_features = inputs;
    }
    return csv;
}

static int open_data(run_state *r, const char *name, const char *part, const nncl_csv_options *csv,
                     nncl_dataset **out, const char *what)
{
    nncl_status st = nncl_dataset_open(r->ctx, name, part, csv, out);
    if (st) return cli_fail(r->ctx, st, what);
    size_t dropped = nncl_dataset_dropped_rows(*out);
    if (dropped && !r->o->quiet)
        fprintf(stderr, "nncl train: %s: %zu rows with missing values left out (--missing %s)\n", name, dropped,
                r->o->missing == NNCL_MISSING_DROP ? "drop" : "mean");
    return 0;
}

/* The training data, the test data and the validation split. The task comes
 * from --loss, the checkpoint, or (CSV) the labels. */
static int load_data(run_state *r)
{
    const train_options *o = r->o;
    r->images = !strcmp(o->data, "fashion-mnist") || is_dir(o->data);
    int loss_known = o->loss || r->model || r->images;
    if (r->model) {
        nncl_model_spec spec = nncl_model_spec_defaults();
        nncl_model_get_spec(r->model, &spec);
        r->loss = spec.loss;
    } else if (o->loss) {
        nncl_loss_parse(o->loss, &r->loss);
    } else {
        r->loss = NNCL_LOSS_SOFTMAX_CE;
    }
    size_t room = r->model ? nncl_model_inputs(r->model) : 0;
    const char **names = calloc(room ? room : 1, sizeof *names);
    if (!names) return cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "column names");
    nncl_csv_options csv = csv_options(o, loss_known, r->loss, r->model, names);
    int rc = open_data(r, o->data, "train", &csv, &r->train, "loading the training data");
    if (rc) {
        free(names);
        return rc;
    }
    if (!loss_known) r->loss = nncl_dataset_classes(r->train) > 0 ? NNCL_LOSS_SOFTMAX_CE : NNCL_LOSS_MSE;
    /* The test file is read as the training data was: same task, and its
     * columns matched to the training file's by name. */
    csv.regression = r->loss != NNCL_LOSS_SOFTMAX_CE;
    size_t cols = nncl_dataset_cols(r->train);
    if (!csv.features && nncl_dataset_feature_name(r->train, 0)) {
        const char **grown = realloc(names, cols * sizeof *names);
        if (!grown) {
            free(names);
            return cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "column names");
        }
        names = grown;
        for (size_t i = 0; i < cols; i++) names[i] = nncl_dataset_feature_name(r->train, i);
        csv.features = names;
        csv.n_features = cols;
        if (nncl_dataset_target_name(r->train)) csv.label_column = nncl_dataset_target_name(r->train);
    }
    const char *test = o->test_data ? o->test_data : r->images ? o->data : NULL;
    rc = test ? open_data(r, test, "test", &csv, &r->test, "loading the test data") : 0;
    free(names);
    if (rc) return rc;
    if (o->validation_split > 0) {
        nncl_dataset *all = r->train;
        /* The run's seed: a resumed run's is its checkpoint's, so it holds out the same rows. */
        uint64_t seed = o->resume ? r->pos.seed : o->seed;
        nncl_status st = nncl_dataset_split(all, o->validation_split, seed, &r->train, &r->valid);
        nncl_dataset_destroy(all);
        if (st) return cli_fail(r->ctx, st, "splitting off validation data");
    }
    return 0;
}

/* Says which task the labels made (CSV without --loss). */
static void say_task(const run_state *r)
{
    if (r->o->quiet || r->o->loss || r->o->resume || r->images) return;
    int classes = nncl_dataset_classes(r->train);
    if (r->loss == NNCL_LOSS_MSE) {
        fprintf(stderr, "nncl train: the labels are numbers, not classes: regression (mse); --loss softmax-ce "
                        "classifies instead\n");
        return;
    }
    fprintf(stderr, "nncl train: classification, %d classes", classes);
    for (int c = 0; c < classes && c < 8 && nncl_dataset_class_name(r->train, (size_t)c); c++)
        fprintf(stderr, "%s%s", c ? ", " : " (", nncl_dataset_class_name(r->train, (size_t)c));
    fprintf(stderr, "%s\n", nncl_dataset_class_name(r->train, 0) ? (classes > 8 ? ", ...)" : ")") : "");
}

/* The classes the model needs: the largest label seen in any part. */
static size_t class_count(const run_state *r)
{
    int k = nncl_dataset_classes(r->train);
    if (r->valid && nncl_dataset_classes(r->valid) > k) k = nncl_dataset_classes(r->valid);
    if (r->test && nncl_dataset_classes(r->test) > k) k = nncl_dataset_classes(r->test);
    return (size_t)k;
}

/* Column names and class names from the data, kept in the model file. */
static nncl_status name_model(run_state *r)
{
    size_t cols = nncl_dataset_cols(r->train), classes = nncl_model_outputs(r->model);
    const char **names = calloc(cols > classes ? cols : classes, sizeof *names);
    if (!names) return NNCL_ERR_OUT_OF_MEMORY;
    nncl_status st = NNCL_OK;
    if (nncl_dataset_feature_name(r->train, 0)) {
        for (size_t i = 0; i < cols; i++) names[i] = nncl_dataset_feature_name(r->train, i);
        st = nncl_model_set_columns(r->model, names, cols, nncl_dataset_target_name(r->train));
    }
    if (st == NNCL_OK && r->loss == NNCL_LOSS_SOFTMAX_CE && nncl_dataset_class_name(r->train, 0) &&
        (size_t)nncl_dataset_classes(r->train) == classes) {
        for (size_t i = 0; i < classes; i++) names[i] = nncl_dataset_class_name(r->train, i);
        st = nncl_model_set_class_names(r->model, names, classes);
    }
    free(names);
    return st;
}

static int make_model(run_state *r)
{
    const train_options *o = r->o;
    nncl_activation act;
    nncl_optimizer_kind kind;
    nncl_activation_parse(o->activation, &act);
    nncl_optimizer_parse(o->optimizer, &kind);
    size_t outputs = r->loss == NNCL_LOSS_SOFTMAX_CE ? class_count(r) : 1;
    if (outputs > NNCL_MAX_CLASSES)
        return cli_usage_error("train", "the labels go up to %zu; at most %d classes are supported", outputs - 1,
                               NNCL_MAX_CLASSES);
    if (r->loss == NNCL_LOSS_SOFTMAX_CE && outputs < 2)
        return cli_usage_error("train", "softmax-ce needs at least 2 classes in the labels (found %zu)", outputs);
    nncl_layer_spec layers[NNCL_MAX_LAYERS];
    nncl_model_spec spec = nncl_model_spec_defaults();
    const char *widths = o->layers ? o->layers : r->images ? IMAGE_LAYERS : TABULAR_LAYERS;
    if (build_layers(widths, act, r->loss, outputs, layers, &spec.n_layers)) return 2;
    spec.inputs = nncl_dataset_cols(r->train);
    spec.layers = layers;
    spec.loss = r->loss;
    spec.seed = o->seed;
    nncl_status st = nncl_model_create(r->ctx, &spec, &r->model);
    if (st) return cli_fail(r->ctx, st, "creating the model");
    if ((st = name_model(r))) return cli_fail(r->ctx, st, "naming the model's columns");

    size_t steps_per_epoch = (nncl_dataset_rows(r->train) + r->batch - 1) / r->batch;
    nncl_optimizer opt = nncl_optimizer_defaults(kind);
    if (o->lr_set || kind >= NNCL_OPTIM_ADAM) opt.lr = o->lr;
    if (o->momentum_set) opt.momentum = o->momentum;
    if (o->wd_set) opt.weight_decay = o->weight_decay;
    else if (!r->images) opt.weight_decay = TABULAR_WEIGHT_DECAY;
    if (!strcmp(o->schedule, "step")) {
        opt.schedule = NNCL_SCHEDULE_STEP;
        opt.step_size = o->step_epochs * steps_per_epoch;
    } else if (!strcmp(o->schedule, "cosine")) {
        opt.schedule = NNCL_SCHEDULE_COSINE;
        opt.total_steps = r->epochs * steps_per_epoch;
    }
    if ((st = nncl_model_set_optimizer(r->model, &opt))) return cli_fail(r->ctx, st, "optimizer settings");
    r->pos.seed = o->seed;
    return 0;
}

/* A checkpoint to continue: its model, optimizer and position. */
static int resume_model(run_state *r)
{
    const train_options *o = r->o;
    nncl_status st = nncl_model_load(r->ctx, o->resume, &r->model, &r->pos);
    if (st) return cli_fail(r->ctx, st, "resuming");
    if (!r->pos.is_checkpoint)
        return cli_usage_error("train", "--resume %s is a model, not a checkpoint (no optimizer state or "
                                        "position); use a file written by --checkpoint", o->resume);
    if (r->pos.seed != o->seed && !o->quiet)
        fprintf(stderr, "nncl train: resuming with the checkpoint's seed %llu\n", (unsigned long long)r->pos.seed);
    if (o->lr_set) {
        nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
        nncl_model_get_optimizer(r->model, &opt);
        opt.lr = o->lr;
        if (opt.min_lr > opt.lr) opt.min_lr = opt.lr;
        if ((st = nncl_model_set_optimizer(r->model, &opt))) return cli_fail(r->ctx, st, "--lr");
    }
    return 0;
}

/* The batch and epoch budget: the options, else images' defaults, else the
 * fit's rule for the data size; then checks a resume against it. */
static int plan(run_state *r)
{
    const train_options *o = r->o;
    nncl_fit_options fo = nncl_fit_options_defaults();
    fo.batch = o->batch ? o->batch : r->images ? IMAGE_BATCH : 0;
    fo.max_epochs = o->epochs ? o->epochs : r->images ? IMAGE_EPOCHS : 0;
    nncl_fit_plan(&fo, nncl_dataset_rows(r->train), &r->batch, &r->epochs);
    if (!o->resume) return 0;
    if (r->pos.batch && r->pos.batch_size && r->pos.batch_size != r->batch)
        return cli_usage_error("train", "--resume %s stopped mid-epoch with --batch %zu; resume with the same "
                                        "--batch", o->resume, r->pos.batch_size);
    if (r->pos.epoch >= r->epochs)
        return cli_usage_error("train", "--resume %s has already done %llu epochs; ask for more with --epochs",
                               o->resume, (unsigned long long)r->pos.epoch);
    /* A cosine schedule stretches to the run's new length. */
    nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
    nncl_model_get_optimizer(r->model, &opt);
    if (opt.schedule == NNCL_SCHEDULE_COSINE) {
        opt.total_steps = r->epochs * ((nncl_dataset_rows(r->train) + r->batch - 1) / r->batch);
        nncl_status st = nncl_model_set_optimizer(r->model, &opt);
        if (st) return cli_fail(r->ctx, st, "resuming");
    }
    return 0;
}

/* ---- showing the run --------------------------------------------------- */

static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

/* The progress bar: a line that fits the terminal, redrawn in place. */
static int on_progress(const nncl_progress *p, void *user)
{
    run_state *r = user;
    if (r->tty && !r->o->quiet) {
        int columns = terminal_columns();
        double rate = p->seconds > 0 ? (double)p->samples_done / p->seconds : 0;
        double left = p->batches_done ? p->seconds * (double)(p->batches_total - p->batches_done) / (double)p->batches_done : 0;
        char tail[128];
        int tail_len = snprintf(tail, sizeof tail, " %zu/%zu %.0f/s loss %.4f %.0fs left", p->batches_done,
                                p->batches_total, rate, (double)p->running_loss, left);
        char head[48];
        int head_len = snprintf(head, sizeof head, "epoch %llu/%llu ", (unsigned long long)p->epoch + 1,
                                (unsigned long long)r->epochs);
        int width = columns - 1 - head_len - tail_len - 2; /* the bar's inside */
        if (width > 30) width = 30;
        char line[512];
        if (width >= 5) {
            int filled = (int)((size_t)width * p->batches_done / p->batches_total);
            snprintf(line, sizeof line, "%s[%.*s%*s]%s", head, filled, "##############################",
                     width - filled, "", tail);
        } else {
            snprintf(line, sizeof line, "%s%s", head, tail);
        }
        if ((int)strlen(line) > columns - 1) line[columns > MIN_COLUMNS ? columns - 1 : MIN_COLUMNS] = '\0';
        fprintf(stderr, "\r%s\033[K", line);
        fflush(stderr);
    }
    return interrupted;
}

/* RMSE in the targets' units from a standardised mean squared error. */
static double rmse(const run_state *r, float mse) { return sqrt((double)mse) * r->target_std; }

static void print_epoch(const run_state *r, const nncl_epoch_record *e)
{
    int reg = r->loss == NNCL_LOSS_MSE;
    printf("epoch %3llu  train %s %.4f", (unsigned long long)e->epoch + 1, reg ? "rmse" : "loss",
           reg ? rmse(r, e->train_loss) : (double)e->train_loss);
    if (!reg) printf("  accuracy %.4f", (double)e->train_accuracy);
    if (r->valid) {
        if (reg) printf("  valid rmse %.4f", rmse(r, e->valid_loss));
        else printf("  valid loss %.4f  accuracy %.4f", (double)e->valid_loss, (double)e->valid_accuracy);
    }
    if (r->test) {
        if (reg) printf("  test rmse %.4f  r2 %.4f", rmse(r, e->test_loss), 1 - rmse(r, e->test_loss) * rmse(r, e->test_loss) / r->test_var);
        else printf("  test loss %.4f  accuracy %.4f", (double)e->test_loss, (double)e->test_accuracy);
    }
    printf("  %.1fs  %.0f samples/s%s\n", e->seconds, e->samples_per_second, e->best ? "  *" : "");
    fflush(stdout);
}

static int on_epoch(const nncl_epoch_record *e, void *user)
{
    run_state *r = user;
    if (r->tty && !r->o->quiet) fputs("\r\033[K", stderr);
    double rows = (double)nncl_dataset_rows(r->train);
    if (e->samples_per_second > 0) r->train_seconds += rows / e->samples_per_second, r->samples += rows;
    if (!r->o->quiet) print_epoch(r, e);
    if (r->o->checkpoint) {
        nncl_train_position next = {.seed = r->pos.seed, .epoch = e->epoch + 1, .batch_size = r->batch};
        nncl_status st = nncl_model_save_checkpoint(r->model, r->o->checkpoint, &next);
        if (st) {
            cli_fail(r->ctx, st, "saving the checkpoint");
            return 1;
        }
    }
    return interrupted;
}

/* The whole history (a resumed run's earlier epochs too), as the model keeps it. */
static nncl_epoch_record *history(const run_state *r, size_t *n)
{
    *n = nncl_model_history(r->model, NULL, 0);
    nncl_epoch_record *h = calloc(*n ? *n : 1, sizeof *h);
    if (h) nncl_model_history(r->model, h, *n);
    return h;
}

static int write_plot(const run_state *r, const nncl_epoch_record *h, size_t n)
{
    const train_options *o = r->o;
    plot_epoch *pe = calloc(n ? n : 1, sizeof *pe);
    if (!pe) return cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "the plot");
    int reg = r->loss == NNCL_LOSS_MSE;
    for (size_t i = 0; i < n; i++) /* the held-out curve: the test set, else the validation set */
        pe[i] = (plot_epoch){.epoch = (int)h[i].epoch + 1, .train_loss = h[i].train_loss,
                             .train_accuracy = reg ? NAN : h[i].train_accuracy,
                             .test_loss = r->test ? h[i].test_loss : h[i].valid_loss,
                             .test_accuracy = reg ? NAN : r->test ? h[i].test_accuracy : h[i].valid_accuracy};
    char err[512], title[512];
    nncl_model_spec spec = nncl_model_spec_defaults();
    nncl_model_get_spec(r->model, &spec);
    int len = snprintf(title, sizeof title, "nncl train: %s, %zu", o->data, spec.inputs);
    for (size_t l = 0; l < spec.n_layers && len > 0 && (size_t)len < sizeof title; l++)
        len += snprintf(title + len, sizeof title - (size_t)len, "-%zu", spec.layers[l].units);
    if (len > 0 && (size_t)len < sizeof title)
        snprintf(title + len, sizeof title - (size_t)len, " %s, %s, batch %zu", o->activation, o->optimizer, r->batch);
    int rc = plot_write_svg_named(o->plot, title, r->test ? "test" : "validation", pe, n, err, sizeof err);
    free(pe);
    if (rc) fprintf(stderr, "nncl train: writing the plot: %s\n", err);
    return rc ? 1 : 0;
}

/* A CSV cell: ",number", or "," alone when not finite. */
static void csv_cell(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v)) fprintf(f, "%.6g", v);
}

static int write_history(const run_state *r, const nncl_epoch_record *h, size_t n)
{
    nncl__atomic_file af;
    int e = nncl__atomic_open(&af, r->o->history);
    if (e) {
        fprintf(stderr, "nncl train: --history %s: cannot write: %s\n", r->o->history, strerror(e));
        return 1;
    }
    FILE *f = af.f;
    int reg = r->loss == NNCL_LOSS_MSE;
    fprintf(f, "epoch,train_loss,train_accuracy,valid_loss,valid_accuracy,test_loss,test_accuracy,%slr,seconds,"
               "samples_per_second,best\n",
            reg ? "train_rmse,valid_rmse,test_rmse,test_r2," : "");
    for (size_t i = 0; i < n; i++) {
        const double cells[] = {h[i].train_loss, reg ? NAN : h[i].train_accuracy, h[i].valid_loss,
                                reg ? NAN : h[i].valid_accuracy, h[i].test_loss, reg ? NAN : h[i].test_accuracy};
        fprintf(f, "%llu", (unsigned long long)h[i].epoch + 1);
        for (size_t c = 0; c < sizeof cells / sizeof *cells; c++) csv_cell(f, cells[c]);
        if (reg) {
            const double more[] = {rmse(r, h[i].train_loss), rmse(r, h[i].valid_loss), rmse(r, h[i].test_loss),
                                   1 - rmse(r, h[i].test_loss) * rmse(r, h[i].test_loss) / r->test_var};
            for (size_t c = 0; c < sizeof more / sizeof *more; c++) csv_cell(f, more[c]);
        }
        fprintf(f, ",%.6g,%.3f,%.1f,%d\n", (double)h[i].lr, h[i].seconds, h[i].samples_per_second, h[i].best);
    }
    if ((e = nncl__atomic_commit(&af, NULL))) {
        fprintf(stderr, "nncl train: --history %s: cannot write: %s\n", r->o->history, strerror(e));
        return 1;
    }
    return 0;
}

/* The plot and the history table, also after Ctrl-C. */
static int write_curves(const run_state *r)
{
    if (!r->o->plot && !r->o->history) return 0;
    size_t n;
    nncl_epoch_record *h = history(r, &n);
    if (!h) return cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "the history");
    int rc = 0;
    if (r->o->plot) rc |= write_plot(r, h, n);
    if (r->o->history) rc |= write_history(r, h, n);
    free(h);
    return rc;
}

/* The last line of stdout: the saved model's figures, the run, the history. */
static void print_json(const run_state *r, const nncl_fit_result *res, double seconds)
{
    nncl_metrics test = {.loss = NAN, .accuracy = NAN, .rmse = NAN, .mae = NAN, .r2 = NAN};
    nncl_metrics valid = test, train = test;
    if (r->test && nncl_model_evaluate_metrics(r->model, r->test, &test) != NNCL_OK)
        fprintf(stderr, "nncl train: evaluating the test data for --json: %s\n", nncl_last_error(r->ctx));
    if (r->valid && nncl_model_evaluate_metrics(r->model, r->valid, &valid) != NNCL_OK)
        fprintf(stderr, "nncl train: evaluating the validation data for --json: %s\n", nncl_last_error(r->ctx));
    size_t n;
    nncl_epoch_record *h = history(r, &n);
    for (size_t i = 0; h && i < n; i++) /* the training figures of the epoch whose weights were kept */
        if (h[i].epoch == res->best_epoch) train.loss = h[i].train_loss, train.accuracy = h[i].train_accuracy;
    int reg = r->loss == NNCL_LOSS_MSE;
    nncl_device_info dev;
    nncl_context_device(r->ctx, &dev);
    printf("{\"task\": \"%s\", \"epochs\": %llu, \"best_epoch\": %llu, \"stopped_early\": %s, \"train_loss\": ",
           reg ? "regression" : "classification", (unsigned long long)res->epochs,
           (unsigned long long)res->best_epoch + 1, res->stopped_early ? "true" : "false");
    cli_json_number(train.loss);
    printf(", \"train_accuracy\": ");
    cli_json_number(reg ? NAN : train.accuracy);
    const struct { const char *name; const nncl_metrics *m; } sets[] = {{"validation", &valid}, {"test", &test}};
    for (size_t s = 0; s < 2; s++) {
        printf(", \"%s_loss\": ", sets[s].name);
        cli_json_number(sets[s].m->loss);
        printf(", \"%s_accuracy\": ", sets[s].name);
        cli_json_number(sets[s].m->accuracy);
        if (!reg) continue;
        const char *keys[3] = {"rmse", "mae", "r2"};
        const float values[3] = {sets[s].m->rmse, sets[s].m->mae, sets[s].m->r2};
        for (int k = 0; k < 3; k++) {
            printf(", \"%s_%s\": ", sets[s].name, keys[k]);
            cli_json_number(values[k]);
        }
    }
    size_t device_peak = 0; /* this process's context: under mpirun, rank 0's */
    nncl_context_memory(r->ctx, NULL, &device_peak);
    printf(", \"samples_per_second\": %.1f, \"seconds\": %.3f, \"peak_device_mib\": %.3f, \"device\": ",
           r->train_seconds > 0 ? r->samples / r->train_seconds : 0.0, seconds,
           (double)device_peak / (1024.0 * 1024.0));
    cli_json_string(dev.name);
    printf(", \"history\": [");
    for (size_t i = 0; h && i < n; i++) {
        if (i) printf(", ");
        cli_json_epoch(&h[i], reg);
    }
    printf("]}\n");
    free(h);
}

static void print_profile(nncl_context *ctx)
{
    nncl_kernel_time times[32];
    size_t n = nncl_context_kernel_times(ctx, times, 32, 0);
    double total = 0;
    for (size_t i = 0; i < n && i < 32; i++) total += times[i].seconds;
    fprintf(stderr, "%-20s %10s %10s %7s\n", "kernel", "launches", "seconds", "share");
    for (size_t i = 0; i < n && i < 32; i++)
        fprintf(stderr, "%-20s %10llu %10.3f %6.1f%%\n", times[i].kernel, (unsigned long long)times[i].launches,
                times[i].seconds, total > 0 ? 100 * times[i].seconds / total : 0);
    fprintf(stderr, "%-20s %10s %10.3f (kernel build %.2f s)\n", "total", "", total, nncl_context_build_seconds(ctx));
}

/* Regression: the scale that turns a standardised loss into target units,
 * and the test targets' variance for R². */
static void regression_scales(run_state *r)
{
    r->target_std = 1.0f;
    r->test_var = NAN;
    if (r->loss != NNCL_LOSS_MSE) return;
    float mean, sd;
    if (nncl_model_get_target_normalization(r->model, &mean, &sd, 1) && sd > 0) r->target_std = sd;
    double test_mean, test_sd;
    if (r->test && nncl_dataset_target_stats(r->test, &test_mean, &test_sd) == NNCL_OK) r->test_var = test_sd * test_sd;
}

/* Under MPI: where the steps' time went, per step (rank 0's view). */
static void print_comm(const run_state *r)
{
    nncl_comm_stats c;
    memset(&c, 0, sizeof c);
    if (nncl_model_comm_stats(r->model, &c, 0) != NNCL_OK || !c.steps || r->o->quiet) return;
    double ms = 1e3 / (double)c.steps;
    fprintf(stderr,
            "nncl train: %d ranks, %llu steps of %.2f ms: %.2f ms in allreduce (%.2f ms of it while the device "
            "still ran backward), %.2f ms waiting for gradients; %.0f KiB reduced per step\n",
            r->world->ranks, (unsigned long long)c.steps, c.step_seconds * ms, c.allreduce_seconds * ms,
            c.overlapped_seconds * ms, c.device_wait_seconds * ms, c.bytes / 1024.0 / (double)c.steps);
}

/* The run diverged (or met a number it cannot compute): no update was made
 * from the bad batch on, and the model counts only the updates it made, so
 * its state is the last good one. Keeps it as a checkpoint to resume from
 * with a lower rate. */
static int keep_last_good(run_state *r, const nncl_fit_result *res)
{
    char reason[1024];
    snprintf(reason, sizeof reason, "%s", nncl_last_error(r->ctx));
    write_curves(r);
    const char *path = r->o->checkpoint ? r->o->checkpoint : "nncl-interrupted.safetensors";
    nncl_train_position here = {.seed = r->pos.seed, .epoch = r->pos.epoch + res->epochs,
                                .batch = res->batches_done, .batch_size = r->batch};
    nncl_status st = nncl_model_save_checkpoint(r->model, path, &here);
    fprintf(stderr, "nncl train: training stopped: %s\n", reason);
    if (st) return cli_fail(r->ctx, st, "saving the last good state");
    fprintf(stderr,
            "nncl train: the state before that batch (epoch %llu, batch %zu) is kept in %s: resume from it with a "
            "lower rate, nncl train --resume %s --lr <lower> (same data options); if that batch fails again, the "
            "weights had already grown too large: start over with a lower --lr\n",
            (unsigned long long)here.epoch + 1, here.batch, path, path);
    return 1;
}

/* Trains, then saves and reports; Ctrl-C checkpoints and keeps the curves. */
static int run_fit(run_state *r, double t_start)
{
    const train_options *o = r->o;
    nncl_fit_options fo = nncl_fit_options_defaults();
    fo.batch = r->batch;
    fo.max_epochs = r->epochs;
    fo.seed = r->pos.seed;
    fo.validation = r->valid;
    fo.test = r->test;
    fo.patience = o->patience;
    fo.standardize = o->standardize < 0 ? !r->images : o->standardize;
    fo.start_epoch = r->pos.epoch;
    fo.start_batch = r->pos.batch;
    fo.on_epoch = on_epoch;
    fo.progress = on_progress;
    /* Each call reads the running loss (the queue drains): often for a bar
     * someone watches, rarely when it only checks for Ctrl-C. The call is
     * collective across ranks (the loss and the stop flag are allreduced),
     * so an MPI job uses one cadence on every rank, whatever rank 0's
     * terminal is. */
    int shown = r->tty && !o->quiet && r->world->ranks == 1;
    fo.progress_every = shown ? PROGRESS_EVERY_SHOWN : PROGRESS_EVERY_UNSHOWN;
    fo.user = r;
    /* Standardised now rather than by the fit, so that the summary shows it
     * and a regression's losses can be given in the targets' units. */
    nncl_status st = fo.standardize ? nncl_model_standardize(r->model, r->train) : NNCL_OK;
    if (st) return cli_fail(r->ctx, st, "standardizing");
    regression_scales(r);
    if (!o->quiet) cli_print_summary(stderr, r->model);
    signal(SIGINT, on_sigint);
    nncl_fit_result res;
    st = nncl_model_fit(r->model, r->train, &fo, &res);
    if (r->tty && !o->quiet) fputs("\r\033[K", stderr);
    if (st == NNCL_ERR_INTERRUPTED && interrupted && r->world->rank != 0) return 130;
    if (st == NNCL_ERR_INTERRUPTED && interrupted) {
        const char *path = o->checkpoint ? o->checkpoint : "nncl-interrupted.safetensors";
        nncl_train_position here = {.seed = r->pos.seed, .epoch = r->pos.epoch + res.epochs,
                                    .batch = res.batches_done, .batch_size = r->batch};
        int rc = write_curves(r);
        st = nncl_model_save_checkpoint(r->model, path, &here);
        if (st) return cli_fail(r->ctx, st, "saving the checkpoint");
        fprintf(stderr, "nncl train: interrupted in epoch %llu after %zu batches; resume with --resume %s\n",
                (unsigned long long)here.epoch + 1, here.batch, path);
        return rc ? rc : 130;
    }
    if (st == NNCL_ERR_NUMERIC) return r->world->rank == 0 ? keep_last_good(r, &res) : 1; /* rank 0 writes */
    if (st) {
        write_curves(r);
        if (st == NNCL_ERR_COMM && *dist_last_error()) /* what the communicator itself said */
            fprintf(stderr, "nncl train: the communicator: %s\n", dist_last_error());
        return cli_fail(r->ctx, st, "training");
    }
    int rc = 0;
    if (o->save && (st = nncl_model_save(r->model, o->save))) rc = cli_fail(r->ctx, st, "saving the model");
    rc |= write_curves(r);
    if (!o->quiet && res.stopped_early)
        fprintf(stderr, "nncl train: stopped early after epoch %llu: no improvement for %zu epochs; kept epoch %llu\n",
                (unsigned long long)(r->pos.epoch + res.epochs), o->patience, (unsigned long long)res.best_epoch + 1);
    else if (!o->quiet && res.best_epoch + 1 < r->pos.epoch + res.epochs && o->patience)
        fprintf(stderr, "nncl train: kept the weights of epoch %llu, the best\n", (unsigned long long)res.best_epoch + 1);
    if (res.still_improving && r->world->rank == 0)
        fprintf(stderr, "nncl train: the loss was still falling at the end: more --epochs would likely help\n");
    if (!rc && r->world->ranks > 1) print_comm(r);
    if (!rc && o->json) print_json(r, &res, cli_seconds() - t_start);
    if (!rc && o->profile) print_profile(r->ctx);
    if (!rc && !o->quiet)
        fprintf(stderr, "nncl train: done in %.1f s%s%s\n", cli_seconds() - t_start, o->save ? ", saved " : "",
                o->save ? o->save : "");
    return rc;
}

/* Under mpirun: rank 0 alone shows the run and writes files; every rank
 * trains on its own device (cli_rank_device) with the job's communicator. */
static int join_job(dist_world *w, train_options *o, char *device, size_t size)
{
    if (w->ranks == 1) return 0;
    if (w->rank != 0) {
        o->quiet = 1, o->profile = 0;
        o->save = o->checkpoint = o->plot = o->history = NULL;
        if (!freopen("/dev/null", "w", stdout)) return cli_fail(NULL, NNCL_ERR_IO, "closing stdout");
    }
    int rc = cli_rank_device(o->device, w->local_rank, device, size);
    if (!rc) o->device = device;
    return rc;
}

static int set_communicator(run_state *r)
{
    if (r->world->ranks == 1) return 0;
    nncl_communicator comm = dist_communicator(r->world);
    nncl_status st = nncl_model_set_communicator(r->model, &comm);
    return st ? cli_fail(r->ctx, st, "joining the other ranks") : 0;
}

static int train_rank(train_options *o, dist_world *w)
{
    double t_start = cli_seconds();
    char device[32];
    int rc = join_job(w, o, device, sizeof device);
    if (rc) return rc;
    run_state r = {.o = o, .tty = isatty(STDERR_FILENO), .world = w};
    if ((rc = cli_context(o->device, o->profile, &r.ctx))) return rc;
    if (o->resume) rc = resume_model(&r);
    if (!rc) rc = load_data(&r);
    if (!rc) rc = plan(&r);
    if (!rc && !o->resume) rc = make_model(&r);
    if (!rc) rc = set_communicator(&r);
    if (!rc && r.test && nncl_dataset_cols(r.test) != nncl_model_inputs(r.model)) {
        fprintf(stderr, "nncl train: the test data has %zu feature columns, the model takes %zu inputs\n",
                nncl_dataset_cols(r.test), nncl_model_inputs(r.model));
        rc = 1;
    }
    if (!rc) {
        say_task(&r);
        if (!o->quiet) {
            nncl_device_info dev;
            nncl_context_device(r.ctx, &dev);
            fprintf(stderr, "nncl train: %zu rows x %zu features%s", nncl_dataset_rows(r.train),
                    nncl_dataset_cols(r.train), nncl_dataset_is_streamed(r.train) ? " (streamed)" : "");
            if (r.valid) fprintf(stderr, ", %zu validation rows", nncl_dataset_rows(r.valid));
            if (r.test) fprintf(stderr, ", %zu test rows", nncl_dataset_rows(r.test));
            else fprintf(stderr, ", no test set (--test-data T)");
            fprintf(stderr, "; batch %zu, %llu epochs; device %s\n", r.batch, (unsigned long long)r.epochs, dev.name);
            if (w->ranks > 1)
                fprintf(stderr, "nncl train: %d ranks: %zu rows of each batch per rank%s\n", w->ranks,
                        r.batch / (size_t)w->ranks,
                        r.batch % (size_t)w->ranks ? " (some one more: rank r takes rows [B·r/N, B·(r+1)/N))" : "");
        }
        rc = run_fit(&r, t_start);
    }
    cleanup(&r);
    return rc;
}

int cli_train(int argc, char **argv)
{
    dist_world w;
    if (dist_init(&argc, &argv, &w)) return 1;
    train_options o;
    int rc = parse(argc, argv, &o);
    if (!rc) rc = train_rank(&o, &w);
    /* A failed rank ends the job: the others may be waiting on it. An
     * interruption (130) reaches every rank together. */
    if (rc && rc != 130) return dist_abort(&w, rc);
    dist_finalize(&w);
    return rc;
}

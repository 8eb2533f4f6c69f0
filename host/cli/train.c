/* nncl train: train a dense classifier or regressor on a data set, with a
 * progress bar on a terminal (a line per epoch otherwise), checkpoints,
 * resume, Ctrl-C, an SVG of the curves and a JSON summary. */
#include "cli.h"
#include "plot.h"

#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: nncl train [options]\n"
    "\n"
    "data:\n"
    "  --data D               fashion-mnist (default), a folder of IDX files, or a .csv\n"
    "  --test-data T          data to test on after each epoch (default: the test part\n"
    "                         of an IDX folder; none for a CSV)\n"
    "  --validation-split F   hold out this fraction of the training data instead\n"
    "  --label-column C       CSV label column, by name or 0-based index (default: last)\n"
    "  --standardize          scale each feature to mean 0, std 1 (kept in the model)\n"
    "model:\n"
    "  --layers 256,128       hidden layer widths (\"\" for none)\n"
    "  --activation relu      hidden activation: relu, leaky_relu, tanh, sigmoid, identity\n"
    "  --loss softmax-ce      softmax-ce (classes), bce (0/1 target), mse (regression)\n"
    "  --seed 42              weights and shuffling\n"
    "optimizer:\n"
    "  --optimizer adam       adam, adamw, sgd, momentum, nesterov\n"
    "  --lr 0.001             learning rate\n"
    "  --momentum 0.9  --weight-decay 0\n"
    "  --schedule cosine      cosine (to 0 over the run), constant, step (x0.1 every\n"
    "                         --step-epochs)\n"
    "  --step-epochs 5\n"
    "  --batch 128  --epochs 15\n"
    "output:\n"
    "  --save model.safetensors         the trained model\n"
    "  --checkpoint ck.safetensors      written after every epoch and on Ctrl-C\n"
    "  --resume ck.safetensors          continue a run exactly where it stopped\n"
    "  --plot curve.svg                 train/test loss and accuracy per epoch\n"
    "  --json                           a JSON summary as the last line of stdout\n"
    "  --device D                       gpu, cpu, an index or a name (see nncl devices)\n"
    "  --profile                        print the device time of each kernel at the end\n";

typedef struct {
    const char *data, *test_data, *label_column, *layers, *save, *checkpoint, *resume, *plot, *device;
    const char *activation, *loss, *optimizer, *schedule;
    float validation_split, lr, momentum, weight_decay;
    size_t batch, epochs, step_epochs;
    unsigned long long seed;
    int standardize, json, lr_set, momentum_set, wd_set, profile;
    int model_set; /* an option that --resume takes from the checkpoint instead */
} train_options;

/* The progress line redraws every this many batches. */
enum { PROGRESS_EVERY_BATCHES = 10 };
/* Limits on the command line: a larger value is a typo far more often than a plan. */
enum { MAX_BATCH = 1 << 24, MAX_WIDTH = 1 << 24, MAX_EPOCHS = 1000000 };
/* The filled part of the progress bar; its length is the bar's width. */
static const char bar_fill[] = "##############################";

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

static int parse(int argc, char **argv, train_options *o)
{
    *o = (train_options){.data = "fashion-mnist", .layers = "256,128", .activation = "relu",
                         .loss = "softmax-ce", .optimizer = "adam", .schedule = "cosine",
                         .lr = 1e-3f, .momentum = 0.9f, .batch = 128, .epochs = 15, .step_epochs = 5,
                         .seed = 42};
    cli_args a = {"train", argc, 1, argv, NULL, 0};
    while (a.index < argc && !a.failed) {
        if (cli_flag(&a, "-h") || cli_flag(&a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        else if (cli_opt(&a, "--data")) o->data = a.value;
        else if (cli_opt(&a, "--test-data")) o->test_data = a.value;
        else if (cli_opt(&a, "--validation-split")) cli_parse_float(&a, "--validation-split", &o->validation_split);
        else if (cli_opt(&a, "--label-column")) o->label_column = a.value;
        else if (cli_flag(&a, "--standardize")) o->standardize = 1, o->model_set = 1;
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
        else if (cli_opt(&a, "--batch")) cli_parse_size(&a, "--batch", &o->batch);
        else if (cli_opt(&a, "--epochs")) cli_parse_size(&a, "--epochs", &o->epochs);
        else if (cli_opt(&a, "--save")) o->save = a.value;
        else if (cli_opt(&a, "--checkpoint")) o->checkpoint = a.value;
        else if (cli_opt(&a, "--resume")) o->resume = a.value;
        else if (cli_opt(&a, "--plot")) o->plot = a.value;
        else if (cli_flag(&a, "--json")) o->json = 1;
        else if (cli_flag(&a, "--profile")) o->profile = 1;
        else if (cli_opt(&a, "--device")) o->device = a.value;
        else return cli_usage_error("train", "unknown option \"%s\"", argv[a.index]);
    }
    if (a.failed) return 2;
    if (o->batch == 0 || o->batch > MAX_BATCH) return cli_usage_error("train", "--batch must be in 1 .. %d", MAX_BATCH);
    if (o->epochs == 0 || o->epochs > MAX_EPOCHS)
        return cli_usage_error("train", "--epochs must be in 1 .. %d", MAX_EPOCHS);
    if (o->resume && (o->model_set || o->lr_set || o->momentum_set || o->wd_set))
        return cli_usage_error("train", "--resume continues the checkpoint's model, optimizer and schedule; "
                                        "drop --layers/--activation/--loss/--optimizer/--lr/--momentum/"
                                        "--weight-decay/--schedule/--standardize");
    if (o->validation_split != 0 && !(o->validation_split > 0 && o->validation_split < 1))
        return cli_usage_error("train", "--validation-split %g must be in (0, 1)", (double)o->validation_split);
    if (o->validation_split > 0 && o->test_data)
        return cli_usage_error("train", "use --test-data or --validation-split, not both");
    if (!strcmp(o->schedule, "step") && o->step_epochs == 0)
        return cli_usage_error("train", "--step-epochs must be at least 1");
    if (strcmp(o->schedule, "constant") && strcmp(o->schedule, "step") && strcmp(o->schedule, "cosine"))
        return cli_usage_error("train", "unknown --schedule \"%s\" (constant, step, cosine)", o->schedule);
    /* Names are checked before any data is read; the library's message lists the choices. */
    nncl_activation act = NNCL_ACT_IDENTITY;
    nncl_optimizer_kind kind;
    nncl_loss loss;
    if (nncl_activation_parse(o->activation, &act) || act == NNCL_ACT_SOFTMAX)
        return cli_usage_error("train", "--activation: %s", act == NNCL_ACT_SOFTMAX ? "softmax is only for the output layer" : nncl_last_error(NULL));
    if (nncl_optimizer_parse(o->optimizer, &kind)) return cli_usage_error("train", "--optimizer: %s", nncl_last_error(NULL));
    if (nncl_loss_parse(o->loss, &loss)) return cli_usage_error("train", "--loss: %s", nncl_last_error(NULL));
    /* Where the results go is checked now, not after the training: a folder
     * that exists, a name that is not a folder or a device, and no output
     * that overwrites the data or another output. */
    const char *outputs[3][2] = {{"--save", o->save}, {"--checkpoint", o->checkpoint}, {"--plot", o->plot}};
    for (int i = 0; i < 3; i++) {
        const char *path = outputs[i][1];
        if (!path) continue;
        struct stat st;
        size_t len = strlen(path);
        if (len == 0 || path[len - 1] == '/' || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
            return cli_usage_error("train", "%s \"%s\": not a file name", outputs[i][0], path);
        if (!writable_folder(path))
            return cli_usage_error("train", "%s %s: its folder does not exist or is not writable", outputs[i][0], path);
        if (same_file(path, o->data) || same_file(path, o->test_data) || (o->resume && i != 1 && same_file(path, o->resume)))
            return cli_usage_error("train", "%s %s would overwrite an input", outputs[i][0], path);
        for (int j = 0; j < i; j++)
            if (outputs[j][1] && same_file(path, outputs[j][1]))
                return cli_usage_error("train", "%s and %s name the same file %s", outputs[j][0], outputs[i][0], path);
    }
    return 0;
}

/* Hidden widths "256,128" into layers (activation act), then the output layer. */
static int build_layers(const train_options *o, nncl_activation act, nncl_loss loss, size_t outputs,
                        nncl_layer_spec *layers, size_t *n)
{
    *n = 0;
    const char *p = o->layers;
    while (*p) {
        char *end = NULL;
        unsigned long long units = strtoull(p, &end, 10);
        if (*p == '-' || end == p || units == 0 || (*end && *end != ','))
            return cli_usage_error("train", "--layers \"%s\": expected widths such as 256,128", o->layers);
        if (units > MAX_WIDTH)
            return cli_usage_error("train", "--layers \"%s\": width %llu is over %d", o->layers, units, MAX_WIDTH);
        if (*n + 1 >= NNCL_MAX_LAYERS)
            return cli_usage_error("train", "--layers \"%s\": at most %d hidden layers", o->layers,
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

typedef struct {
    int tty;
    size_t epochs;
    double epoch_start;
} progress_state;

static int on_progress(const nncl_progress *p, void *user)
{
    progress_state *ps = user;
    if (ps->tty) {
        int width = (int)sizeof bar_fill - 1, filled = (int)(width * p->batches_done / p->batches_total);
        double rate = p->seconds > 0 ? (double)p->samples_done / p->seconds : 0;
        double left = p->batches_done ? p->seconds * (double)(p->batches_total - p->batches_done) / (double)p->batches_done : 0;
        fprintf(stderr, "\repoch %llu/%zu [%.*s%*s] %zu/%zu  %7.0f samples/s  loss %.4f  %3.0fs left ",
                (unsigned long long)p->epoch + 1, ps->epochs, filled, bar_fill,
                width - filled, "", p->batches_done, p->batches_total, rate, (double)p->running_loss, left);
        fflush(stderr);
    }
    return interrupted;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    nncl_context *ctx;
    nncl_dataset *train, *test;
    nncl_model *model;
    plot_epoch *history;
} run_state;

static void cleanup(run_state *r)
{
    nncl_model_destroy(r->model);
    nncl_dataset_destroy(r->train);
    nncl_dataset_destroy(r->test);
    nncl_context_destroy(r->ctx);
    free(r->history);
}

/* Loads the training data and the test data (or a validation split). */
static int load_data(const train_options *o, run_state *r, nncl_loss loss)
{
    nncl_csv_options csv = nncl_csv_options_defaults();
    csv.label_column = o->label_column;
    csv.regression = loss != NNCL_LOSS_SOFTMAX_CE;
    nncl_status st = nncl_dataset_open(r->ctx, o->data, "train", &csv, &r->train);
    if (st) return cli_fail(r->ctx, st, "loading the training data");
    if (o->validation_split > 0) {
        nncl_dataset *all = r->train;
        st = nncl_dataset_split(all, o->validation_split, o->seed, &r->train, &r->test);
        nncl_dataset_destroy(all);
        if (st) return cli_fail(r->ctx, st, "splitting off validation data");
        return 0;
    }
    const char *test = o->test_data;
    size_t len = strlen(o->data);
    int is_csv = len > 4 && !strcmp(o->data + len - 4, ".csv");
    if (!test && !is_csv) test = o->data; /* the test part of the same IDX folder */
    if (test) {
        st = nncl_dataset_open(r->ctx, test, "test", &csv, &r->test);
        if (st) return cli_fail(r->ctx, st, "loading the test data");
    }
    return 0;
}

static int make_model(const train_options *o, run_state *r, nncl_loss loss, nncl_train_position *pos)
{
    nncl_status st;
    size_t steps_per_epoch = (nncl_dataset_rows(r->train) + o->batch - 1) / o->batch;
    if (o->resume) {
        st = nncl_model_load(r->ctx, o->resume, &r->model, pos);
        if (st) return cli_fail(r->ctx, st, "resuming");
        if (!pos->is_checkpoint)
            return cli_usage_error("train", "--resume %s is a model, not a checkpoint (no optimizer state or "
                                            "position); use a file written by --checkpoint", o->resume);
        if (pos->batch && pos->batch_size && pos->batch_size != o->batch)
            return cli_usage_error("train", "--resume %s stopped mid-epoch with --batch %zu; resume with the same "
                                            "--batch", o->resume, pos->batch_size);
        if (pos->epoch >= o->epochs)
            return cli_usage_error("train", "--resume %s has already done %llu epochs; ask for more with --epochs",
                                   o->resume, (unsigned long long)pos->epoch);
        if (pos->seed != o->seed)
            fprintf(stderr, "nncl train: resuming with the checkpoint's seed %llu\n", (unsigned long long)pos->seed);
        /* A cosine schedule stretches to the run's new length. */
        nncl_optimizer opt = nncl_optimizer_defaults(NNCL_OPTIM_ADAM);
        nncl_model_get_optimizer(r->model, &opt);
        if (opt.schedule == NNCL_SCHEDULE_COSINE) {
            opt.total_steps = o->epochs * steps_per_epoch;
            if ((st = nncl_model_set_optimizer(r->model, &opt))) return cli_fail(r->ctx, st, "resuming");
        }
        return 0;
    }
    nncl_activation act;
    if (nncl_activation_parse(o->activation, &act) || act == NNCL_ACT_SOFTMAX)
        return cli_usage_error("train", "unknown --activation \"%s\"", o->activation);
    size_t outputs = loss == NNCL_LOSS_SOFTMAX_CE ? (size_t)nncl_dataset_classes(r->train) : 1;
    if (r->test && loss == NNCL_LOSS_SOFTMAX_CE && (size_t)nncl_dataset_classes(r->test) > outputs)
        outputs = (size_t)nncl_dataset_classes(r->test);
    if (outputs > NNCL_MAX_CLASSES)
        return cli_usage_error("train", "the labels go up to %zu; at most %d classes are supported", outputs - 1,
                               NNCL_MAX_CLASSES);
    if (loss == NNCL_LOSS_SOFTMAX_CE && outputs < 2)
        return cli_usage_error("train", "softmax-ce needs at least 2 classes in the labels (found %zu)", outputs);
    nncl_layer_spec layers[NNCL_MAX_LAYERS];
    size_t n_layers;
    if (build_layers(o, act, loss, outputs, layers, &n_layers)) return 2;
    nncl_model_spec spec = nncl_model_spec_defaults();
    spec.inputs = nncl_dataset_cols(r->train);
    spec.n_layers = n_layers;
    spec.layers = layers;
    spec.loss = loss;
    spec.seed = o->seed;
    if ((st = nncl_model_create(r->ctx, &spec, &r->model))) return cli_fail(r->ctx, st, "creating the model");

    nncl_optimizer_kind kind;
    if (nncl_optimizer_parse(o->optimizer, &kind))
        return cli_usage_error("train", "unknown --optimizer \"%s\"", o->optimizer);
    nncl_optimizer opt = nncl_optimizer_defaults(kind);
    if (o->lr_set || kind >= NNCL_OPTIM_ADAM) opt.lr = o->lr;
    if (o->momentum_set) opt.momentum = o->momentum;
    if (o->wd_set) opt.weight_decay = o->weight_decay;
    if (!strcmp(o->schedule, "step")) {
        opt.schedule = NNCL_SCHEDULE_STEP;
        opt.step_size = o->step_epochs * steps_per_epoch;
    } else if (!strcmp(o->schedule, "cosine")) {
        opt.schedule = NNCL_SCHEDULE_COSINE;
        opt.total_steps = o->epochs * steps_per_epoch;
    }
    if ((st = nncl_model_set_optimizer(r->model, &opt))) return cli_fail(r->ctx, st, "optimizer settings");
    if (o->standardize) {
        size_t cols = nncl_dataset_cols(r->train);
        float *mean = malloc(cols * sizeof(float)), *sd = malloc(cols * sizeof(float));
        st = mean && sd ? nncl_dataset_stats(r->train, mean, sd, cols) : NNCL_ERR_OUT_OF_MEMORY;
        if (!st) st = nncl_model_set_normalization(r->model, mean, sd, cols);
        free(mean), free(sd);
        if (st) return cli_fail(r->ctx, st, "standardizing");
    }
    pos->seed = o->seed;
    return 0;
}

int cli_train(int argc, char **argv)
{
    train_options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    nncl_loss loss;
    if (nncl_loss_parse(o.loss, &loss)) return cli_usage_error("train", "unknown --loss \"%s\"", o.loss);

    double t_start = now();
    run_state r = {0};
    if ((rc = cli_context(o.device, o.profile, &r.ctx))) return rc;
    nncl_train_position pos = nncl_train_position_defaults();
    pos.seed = o.seed;
    pos.batch_size = o.batch;
    if ((rc = load_data(&o, &r, loss)) || (rc = make_model(&o, &r, loss, &pos))) {
        cleanup(&r);
        return rc;
    }
    if (r.test && nncl_dataset_cols(r.test) != nncl_model_inputs(r.model)) {
        fprintf(stderr, "nncl train: the test data has %zu feature columns, the model takes %zu inputs\n",
                nncl_dataset_cols(r.test), nncl_model_inputs(r.model));
        cleanup(&r);
        return 1;
    }
    r.history = calloc(o.epochs, sizeof *r.history);
    if (!r.history) {
        cleanup(&r);
        return cli_fail(NULL, NNCL_ERR_OUT_OF_MEMORY, "training history");
    }
    nncl_device_info dev;
    nncl_context_device(r.ctx, &dev);
    fprintf(stderr, "nncl train: %zu rows x %zu features%s, %zu test rows, device %s\n",
            nncl_dataset_rows(r.train), nncl_dataset_cols(r.train),
            nncl_dataset_is_streamed(r.train) ? " (streamed)" : "", r.test ? nncl_dataset_rows(r.test) : 0,
            dev.name);

    signal(SIGINT, on_sigint);
    progress_state ps = {isatty(STDERR_FILENO), o.epochs, 0};
    float train_loss = NAN, train_acc = NAN, test_loss = NAN, test_acc = NAN;
    double train_seconds = 0, samples = 0;
    size_t done = 0;
    nncl_status st = NNCL_OK;
    for (uint64_t epoch = pos.epoch; epoch < o.epochs; epoch++) {
        nncl_epoch_options eo = nncl_epoch_options_defaults();
        eo.batch = o.batch;
        eo.seed = pos.seed;
        eo.epoch = epoch;
        eo.start_batch = epoch == pos.epoch ? pos.batch : 0;
        eo.progress = on_progress;
        eo.progress_every = PROGRESS_EVERY_BATCHES;
        eo.user = &ps;
        size_t batches = 0;
        double t0 = now();
        st = nncl_model_train_epoch(r.model, r.train, &eo, &train_loss, &train_acc, &batches);
        double dt = now() - t0;
        train_seconds += dt;
        size_t rows = nncl_dataset_rows(r.train);
        double trained = (double)(batches * o.batch < rows ? batches * o.batch : rows) -
                         (double)(eo.start_batch * o.batch < rows ? eo.start_batch * o.batch : rows);
        samples += trained;
        if (ps.tty) fputs("\r\033[K", stderr);
        if (st == NNCL_ERR_INTERRUPTED) {
            const char *path = o.checkpoint ? o.checkpoint : "nncl-interrupted.safetensors";
            nncl_train_position here = nncl_train_position_defaults();
            here.seed = pos.seed;
            here.epoch = epoch;
            here.batch = batches;
            here.batch_size = o.batch;
            here.is_checkpoint = 1;
            nncl_status save_st = nncl_model_save_checkpoint(r.model, path, &here);
            if (save_st) rc = cli_fail(r.ctx, save_st, "saving the checkpoint");
            else fprintf(stderr, "nncl train: interrupted in epoch %llu after %zu batches; resume with --resume %s\n",
                         (unsigned long long)epoch + 1, batches, path);
            cleanup(&r);
            return rc ? rc : 128 + SIGINT; /* as a shell reports a Ctrl-C */
        }
        if (st) break;
        if (r.test && (st = nncl_model_evaluate_dataset(r.model, r.test, &test_loss, &test_acc, NULL, 0)))
            break;
        done++;
        r.history[done - 1] = (plot_epoch){(int)epoch + 1, train_loss, train_acc, r.test ? test_loss : NAN,
                                           r.test ? test_acc : NAN};
        printf("epoch %3llu  train loss %.4f  accuracy %.4f", (unsigned long long)epoch + 1, (double)train_loss,
               (double)train_acc);
        if (r.test) printf("  test loss %.4f  accuracy %.4f", (double)test_loss, (double)test_acc);
        printf("  %.1fs  %.0f samples/s\n", dt, dt > 0 ? trained / dt : 0.0);
        fflush(stdout);
        if (o.checkpoint) {
            nncl_train_position next = nncl_train_position_defaults();
            next.seed = pos.seed;
            next.epoch = epoch + 1;
            next.batch_size = o.batch;
            next.is_checkpoint = 1;
            if ((st = nncl_model_save_checkpoint(r.model, o.checkpoint, &next))) break;
        }
    }
    if (st) {
        rc = cli_fail(r.ctx, st, "training");
        cleanup(&r);
        return rc;
    }
    if (o.save && (st = nncl_model_save(r.model, o.save))) rc = cli_fail(r.ctx, st, "saving the model");
    if (!rc && o.plot) {
        char err[512], title[512];
        nncl_model_spec spec = nncl_model_spec_defaults();
        nncl_model_get_spec(r.model, &spec);
        int len = snprintf(title, sizeof title, "nncl train: %s, %zu", o.data, spec.inputs);
        for (size_t l = 0; l < spec.n_layers && len > 0 && (size_t)len < sizeof title; l++)
            len += snprintf(title + len, sizeof title - (size_t)len, "-%zu", spec.layers[l].units);
        if (len > 0 && (size_t)len < sizeof title)
            snprintf(title + len, sizeof title - (size_t)len, " %s, %s, batch %zu", o.activation, o.optimizer, o.batch);
        if (plot_write_svg(o.plot, title, r.history, done, err, sizeof err)) {
            fprintf(stderr, "nncl: writing the plot: %s\n", err);
            rc = 1;
        }
    }
    double seconds = now() - t_start;
    if (!rc && o.json) {
        char test_l[32] = "null", test_a[32] = "null", train_l[32] = "null", train_a[32] = "null";
        if (r.test && done) {
            snprintf(test_l, sizeof test_l, "%.6g", (double)test_loss);
            snprintf(test_a, sizeof test_a, "%.6g", (double)test_acc);
        }
        if (done) {
            snprintf(train_l, sizeof train_l, "%.6g", (double)train_loss);
            snprintf(train_a, sizeof train_a, "%.6g", (double)train_acc);
        }
        for (char *c = dev.name; *c; c++)
            if (*c == '"' || *c == '\\') *c = '\'';
        printf("{\"epochs\": %zu, \"train_loss\": %s, \"train_accuracy\": %s, \"test_loss\": %s, "
               "\"test_accuracy\": %s, \"samples_per_second\": %.1f, \"seconds\": %.3f, \"device\": \"%s\"}\n",
               done, train_l, train_a, test_l, test_a,
               train_seconds > 0 ? samples / train_seconds : 0.0, seconds, dev.name);
    }
    if (!rc && o.profile) {
        nncl_kernel_time times[32];
        size_t n = nncl_context_kernel_times(r.ctx, times, 32, 0);
        double total = 0;
        for (size_t i = 0; i < n && i < 32; i++) total += times[i].seconds;
        fprintf(stderr, "%-20s %10s %10s %7s\n", "kernel", "launches", "seconds", "share");
        for (size_t i = 0; i < n && i < 32; i++)
            fprintf(stderr, "%-20s %10llu %10.3f %6.1f%%\n", times[i].kernel, (unsigned long long)times[i].launches,
                    times[i].seconds, total > 0 ? 100 * times[i].seconds / total : 0);
        fprintf(stderr, "%-20s %10s %10.3f (kernel build %.2f s)\n", "total", "", total,
                nncl_context_build_seconds(r.ctx));
    }
    if (!rc) fprintf(stderr, "nncl train: done in %.1f s%s%s\n", seconds, o.save ? ", saved " : "", o.save ? o.save : "");
    cleanup(&r);
    return rc;
}

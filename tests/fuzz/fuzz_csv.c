/* SPDX-License-Identifier: MIT */
/* The CSV reader on any text under every option combination: the first
 * byte picks the label column (last, none, an index, a name), classes or
 * floats, a class limit, the missing-value rule, and whether the features
 * are named; the rest is the file. */
#include "fuzz_common.h"
#include "io/hostdata.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned pick = data[0];
    const char *path = fuzz_path(0, "in.csv");
    fuzz_write(path, data + 1, size - 1);
    static const char *const labels[] = {NULL, "none", "0", "label"};
    static const char *const features[] = {"a", "b"};
    nncl__csv_options opt = {0};
    opt.label_column = labels[pick & 3];
    opt.classify = (pick >> 2) & 1;
    opt.max_classes = (pick >> 3) & 1 ? 3 : 0;
    opt.missing = (nncl__csv_missing)(((pick >> 4) & 3) % 3);
    if ((pick >> 6) & 1) opt.features = features, opt.n_features = 2;
    nncl__errbuf err;
    nncl__host_data d = {0};
    if (nncl__csv_read(&err, path, &opt, &d) == NNCL_OK) {
        /* what the reader promises: finite features, labels in range */
        for (size_t i = 0; i < d.rows * d.cols; i++) FUZZ_CHECK(isfinite(d.f32[i]));
        for (size_t r = 0; d.labels && r < d.rows; r++) FUZZ_CHECK(d.labels[r] >= 0 && d.labels[r] < d.classes);
        for (size_t r = 0; d.targets && r < d.rows; r++) FUZZ_CHECK(isfinite(d.targets[r]));
        if (opt.features) FUZZ_CHECK(d.cols == 2);
    }
    nncl__host_data_free(&d);
    nncl__csv_sniff(path);
    return 0;
}

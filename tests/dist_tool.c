/* SPDX-License-Identifier: MIT */
/* Helper of the MPI tests (dist_mpi.cmake), no device needed:
 *   dist_tool csv PATH ROWS        a CSV of ROWS rows, 6 features, 3 classes
 *   dist_tool diff A B TOLERANCE   the largest |a - b| over the tensors of two
 *                                  model files; exit 1 when above TOLERANCE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

static int write_csv(const char *path, size_t rows)
{
    FILE *f = fopen(path, "w");
    if (!f) return perror(path), 1;
    fprintf(f, "a,b,c,d,e,f,label\n");
    unsigned long long state = 12345;
    for (size_t r = 0; r < rows; r++) {
        double s = 0;
        for (int c = 0; c < 6; c++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            double v = (double)(state >> 11) / 9007199254740992.0 * 2 - 1;
            s += v * (c - 2);
            fprintf(f, "%.6f,", v);
        }
        fprintf(f, "%d\n", s < -0.5 ? 0 : s < 0.5 ? 1 : 2);
    }
    return fclose(f) != 0;
}

static int diff(const char *a_path, const char *b_path, double tolerance)
{
    nncl__errbuf err = {{0}};
    nncl__st_file *a = NULL, *b = NULL;
    if (nncl__st_read(&err, a_path, &a) || nncl__st_read(&err, b_path, &b)) {
        fprintf(stderr, "dist_tool diff: %s\n", err.text);
        return 2;
    }
    double worst = 0;
    size_t compared = 0;
    for (size_t i = 0; i < nncl__st_count(a); i++) {
        const nncl__st_tensor *ta = nncl__st_at(a, i), *tb = nncl__st_find(b, ta->name);
        if (strncmp(ta->name, "layers.", 7)) continue; /* weights and biases */
        size_t n = ta->ndim == 2 ? ta->shape[0] * ta->shape[1] : ta->shape[0];
        size_t nb = tb ? (tb->ndim == 2 ? tb->shape[0] * tb->shape[1] : tb->shape[0]) : 0;
        if (nb != n) {
            fprintf(stderr, "dist_tool diff: %s differs in shape\n", ta->name);
            return 2;
        }
        for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs((double)ta->data[k] - tb->data[k]));
        compared += n;
    }
    nncl__st_close(a);
    nncl__st_close(b);
    printf("max |a - b| = %g over %zu parameters (tolerance %g)\n", worst, compared, tolerance);
    return compared == 0 || worst > tolerance;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "csv")) return write_csv(argv[2], (size_t)strtoull(argv[3], NULL, 10));
    if (argc == 5 && !strcmp(argv[1], "diff")) return diff(argv[2], argv[3], atof(argv[4]));
    fprintf(stderr, "usage: dist_tool csv PATH ROWS | diff A B TOLERANCE\n");
    return 2;
}

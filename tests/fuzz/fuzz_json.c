/* SPDX-License-Identifier: MIT */
/* The JSON reader on any bytes, with and without limits; and the round trip
 * of the string writer: a valid UTF-8 string without NUL, written as a JSON
 * string and parsed back, is the same string. */
#include "fuzz_common.h"
#include "io/json.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[256];
    nncl__json v;
    if (nncl__json_parse(text, size, &v, err, sizeof err) == NNCL_OK) nncl__json_free(&v);
    nncl__json_limits limits = {size % 5, size / 3};
    if (nncl__json_parse_limited(text, size, &limits, &v, err, sizeof err) == NNCL_OK) nncl__json_free(&v);

    if (memchr(data, 0, size) || !nncl__json_utf8_valid(text, size)) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    nncl__json_buf b = {0};
    nncl__json_put_string(&b, s);
    if (!b.failed) {
        FUZZ_CHECK(nncl__json_parse(b.data, b.len, &v, err, sizeof err) == NNCL_OK);
        FUZZ_CHECK(v.type == NNCL__JSON_STRING && strcmp(v.str, s) == 0);
        nncl__json_free(&v);
    }
    free(b.data);
    free(s);
    return 0;
}

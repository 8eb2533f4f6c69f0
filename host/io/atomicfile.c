/* SPDX-License-Identifier: MIT */
/* Atomic file replacement; see atomicfile.h. */
#include "io/atomicfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#define TMP_TAG ".tmp."
#define SUFFIX_LETTERS 6
#define OPEN_ATTEMPTS 100

/* The folder of path ("." when it has none), newly allocated. */
static char *parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

/* Best effort: makes the rename durable by syncing the folder. */
static void sync_dir(const char *path)
{
    char *dir = parent_of(path);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* 1 if name is "<base>.tmp.<pid>" or "<base>.tmp.<pid>.<suffix>" with a pid
 * that no longer runs (an earlier nncl writer that was killed). */
static int stale_tmp(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || strncmp(name + n, TMP_TAG, strlen(TMP_TAG))) return 0;
    const char *p = name + n + strlen(TMP_TAG);
    char *end = NULL;
    errno = 0;
    long pid = strtol(p, &end, 10);
    if (end == p || errno || pid <= 0 || (*end && *end != '.')) return 0;
    if (*end == '.' && strlen(end + 1) != SUFFIX_LETTERS) return 0;
    if (pid == (long)getpid()) return 0; /* ours: maybe another thread's */
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Removes the stale temporaries of path (regular files only). */
static void remove_stale(const char *path)
{
    char *dir = parent_of(path);
    if (!dir) return;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!stale_tmp(e->d_name, base)) continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        struct stat sb;
        if (full) {
            snprintf(full, len, "%s/%s", dir, e->d_name);
            if (lstat(full, &sb) == 0 && S_ISREG(sb.st_mode)) unlink(full);
        }
        free(full);
    }
    if (d) closedir(d);
    free(dir);
}

/* A few random letters: the time, the address of a local and a counter
 * mixed (splitmix64), enough that names do not repeat; O_EXCL makes sure. */
static void random_suffix(char *out)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static _Atomic unsigned long counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)&ts ^
                 ((uint64_t)++counter << 48) ^ (uint64_t)getpid();
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    for (int i = 0; i < SUFFIX_LETTERS; i++, x /= 62) out[i] = letters[x % 62];
    out[SUFFIX_LETTERS] = '\0';
}

int nncl__atomic_open(nncl__atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return EINVAL;
    struct stat existing; /* the rename would replace whatever is there: only ever a regular file */
    if (stat(path, &existing) == 0 && !S_ISREG(existing.st_mode))
        return S_ISDIR(existing.st_mode) ? EISDIR : EEXIST;
    remove_stale(path);
    size_t cap = strlen(path) + sizeof TMP_TAG + 24 + SUFFIX_LETTERS;
    af->path = strdup(path);
    af->tmp = malloc(cap);
    if (!af->path || !af->tmp) {
        nncl__atomic_abort(af);
        return ENOMEM;
    }
    int fd = -1, e = 0;
    for (int attempt = 0; attempt < OPEN_ATTEMPTS && fd < 0; attempt++) {
        char suffix[SUFFIX_LETTERS + 1];
        random_suffix(suffix);
        snprintf(af->tmp, cap, "%s" TMP_TAG "%ld.%s", path, (long)getpid(), suffix);
        fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        e = fd < 0 ? errno : 0;
        if (fd < 0 && e != EEXIST) break;
    }
    if (fd >= 0 && !(af->f = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        unlink(af->tmp);
    }
    if (!af->f) {
        free(af->tmp);
        af->tmp = NULL; /* nothing of ours to remove */
        nncl__atomic_abort(af);
        return e ? e : EIO;
    }
    return 0;
}

int nncl__atomic_commit(nncl__atomic_file *af, const char **step)
{
    const char *what = "write failed";
    int e = 0;
    errno = 0;
    if (fflush(af->f) != 0 || ferror(af->f)) e = errno ? errno : EIO;
    if (!e && fsync(fileno(af->f)) != 0) {
        what = "fsync failed";
        e = errno;
    }
    if (fclose(af->f) != 0 && !e) {
        what = "close failed";
        e = errno ? errno : EIO;
    }
    af->f = NULL;
    if (!e && rename(af->tmp, af->path) != 0) {
        what = "cannot rename the temporary file";
        e = errno;
    }
    if (e) {
        if (step) *step = what;
        nncl__atomic_abort(af);
        return e;
    }
    sync_dir(af->path);
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof *af);
    return 0;
}

void nncl__atomic_abort(nncl__atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp) unlink(af->tmp);
    free(af->tmp);
    free(af->path);
    memset(af, 0, sizeof *af);
}

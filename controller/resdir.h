/* resdir — a results directory, opened once and then written only through its fd.
 *
 * isolab runs as root on machines shared with other users, and writes where a user says
 * (--out) or in the current directory (results/).  A user who can write there could
 * plant symlinks named gen.log, trials.jsonl or run.json, and root would write through
 * them.  So the path is resolved one component at a time (as systemd's chase() does):
 * a symbolic link is followed only when root (or the user running isolab) owns it and
 * no one else can write the directory it is in; the directory found is opened with
 * O_DIRECTORY|O_NOFOLLOW and kept open; every file in it is made with openat() and
 * O_CREAT|O_EXCL|O_NOFOLLOW, or written beside its name and renamed over it
 * (renameat replaces a planted symlink, never what it points to).  A directory a run
 * writes into must belong to the user running isolab and be writable by no one else:
 * anything else is refused with one sentence (see the README's "Security").  Files that
 * are read back (resume, report, plot) are opened without following a symlink, must be
 * regular files, and are read with a size bound. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/diag.h"

/* The most a results file read back may hold (trials.jsonl of a long run included). */
#define RESDIR_READ_MAX (1024ULL * 1024 * 1024)

enum resdir_mode {
        RESDIR_NEW,    /* a new run: made when absent; refused when it already holds a run */
        RESDIR_RESUME, /* an interrupted run to go on with: must hold run.json and trials.jsonl */
        RESDIR_RENDER, /* report or plot: must exist; plot writes DIR/figures */
        RESDIR_CHECK_NEW, /* what RESDIR_NEW would refuse, without making anything (bad input first) */
};

struct resdir {
        int fd;     /* the directory, O_DIRECTORY; -1 when closed */
        char *path; /* as the user gave it, for messages */
};

/* Opens (for RESDIR_NEW, makes) the directory at path for mode.  opt names the option
 * or argument in errors ("--out", "--resume", "report").  Returns 0, or -errno with d
 * holding the sentence; nothing is made when it fails, except missing parent
 * directories of a new run. */
int resdir_open(const char *path, enum resdir_mode mode, const char *opt, struct resdir *ret, struct diag *d);
void resdir_close(struct resdir *r);

/* A new file called name in r (O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC plus
 * extra, mode 0644): fails when anything by that name exists.  Returns the fd or -errno
 * with d set. */
int resdir_create(const struct resdir *r, const char *name, int extra, struct diag *d);

/* An existing file of this run to append to (a resumed run's trials.jsonl, a restarted
 * agent's log): a regular file with one link, owned by the user running isolab, not a
 * symlink.  Returns the fd or -errno with d set. */
int resdir_append(const struct resdir *r, const char *name, struct diag *d);

/* Replaces name with new contents: the file is written as ".name.tmp-PID" (created with
 * O_EXCL) and renamed over name by resdir_replace_commit (or removed by
 * resdir_replace_abort).  Returns the fd of the temporary file or -errno with d set. */
int resdir_replace_begin(const struct resdir *r, const char *name, struct diag *d);
int resdir_replace_commit(const struct resdir *r, const char *name, int fd, struct diag *d);
void resdir_replace_abort(const struct resdir *r, const char *name, int fd);

/* Opens name for reading: a regular file (not a symlink, not a FIFO or device) of at
 * most RESDIR_READ_MAX bytes.  Returns the FILE or NULL with d set (-ENOENT when it is
 * not there: d says so too). */
FILE *resdir_read(const struct resdir *r, const char *name, struct diag *d);

/* The subdirectory name of r (made when absent), held to the same rules as a new run's
 * directory: the user running isolab owns it and no one else can write it. */
int resdir_subdir(const struct resdir *r, const char *name, struct resdir *ret, struct diag *d);

/* Whether a file or directory called name is in r. */
bool resdir_has(const struct resdir *r, const char *name);

/* Who owns st and who else may write it, as a sentence fragment ("user alice owns it",
 * "group staff can write it", "anyone can write it"); "" when only the user running
 * isolab (or root) owns and writes it. */
void resdir_trust(const struct stat *st, char *buf, size_t len);

/* cleanup — undo what a run that died left on the machine.
 *
 * A run records every side effect in /run/isolab/<run>/state.json (undo.h) and removes
 * the file when its own undo has run.  A state file that is still there belongs to a run
 * that died (kill -9, power, a bug): `isolab cleanup`, and every `isolab sweep` before it
 * starts, replay it newest first.  Agents are killed by pid only after checking that the
 * pid still belongs to them (its start time), never by name. */
#pragma once

#include <sys/types.h>

#include "base/diag.h"

/* The start time of pid in clock ticks since boot (/proc/PID/stat field 22), or 0 when
 * it is gone or a zombie. */
unsigned long long proc_starttime(pid_t pid);

/* Removes an absolute path and everything below it, without a shell (nftw): no symlink
 * is followed and no mount crossed.  A path that is not there is not an error.
 * Returns 0, -EINVAL for a relative path or "/", or -EIO. */
int cleanup_rm_rf(const char *path);

/* The in-process undo actions (undo.h) whose records this file replays after a crash:
 * nothing (the record is what counts: "controller"), a directory tree (data: its path,
 * malloc'ed), a mount (data: its path), and the hugepages a run added to a node. */
#include <stdint.h>
int cleanup_undo_nothing(void *data, struct diag *d);
int cleanup_undo_rmtree(void *data, struct diag *d);
int cleanup_undo_umount(void *data, struct diag *d);
struct cleanup_pages {
        unsigned node;
        uint64_t page_size, added;
        uint64_t *returned;       /* where to say how many went back, or NULL */
};
int cleanup_undo_pages(void *data, struct diag *d);

/* A run's generator host (--gen-host), from its record {"run": "RUN-gen", "host",
 * "boot_id", "argv": the ssh command of `isolab cleanup --run RUN-gen` there}: its session
 * there is gone, or what it left is removed (in this process when the generator host is
 * this machine, whose run lock the caller holds).  Waits up to 20 s for a session still
 * ending.  0, or -errno with d saying what is left where. */
#include <jansson.h>
#include <stdbool.h>
int cleanup_gen_host(json_t *rec, struct diag *d);

/* Whether /run/isolab/RUN's state file names a controller that still runs. */
bool cleanup_run_alive(const char *run);

/* Cleans every run whose state file is left under /run/isolab (or only the run called
 * `only`), except one whose controller is still alive.  Prints one line per action to
 * stderr when verbose.  Returns the number of failed actions plus runs left alone
 * because their controller still runs (0: nothing is left), -ENOENT when `only` left
 * nothing there, or -errno. */
int cleanup_all(const char *only, int verbose);

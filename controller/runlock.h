/* runlock — one isolab run at a time on a machine.
 *
 * Two runs at once would measure each other (same CPUs, same memory bus) and share the
 * node's hugepage reservation: one run's teardown would take back pages the other
 * counts on.  So a run holds an exclusive flock on /run/isolab/lock from before it
 * replays what dead runs left until its teardown is done, and a second run is refused
 * with the live run's name and pid.  `isolab cleanup` takes the same lock, so it never
 * races with a run that is starting or ending.  The lock goes with the process (kill -9
 * included); the file stays.  /run/isolab is root's (0700) and checked to be so. */
#pragma once

#include <stddef.h>

#include "base/diag.h"

#define RUNLOCK_DIR "/run/isolab"

/* Makes (0700) and opens /run/isolab, refusing one that is a symlink or that someone
 * other than root owns or can write.  Returns an O_DIRECTORY fd or -errno with d set. */
int runlock_rundir(struct diag *d);

/* Takes the lock without waiting and writes "NAME PID" into it.  Returns the lock's fd
 * (O_CLOEXEC: agents do not inherit it), -EBUSY with d naming the live run, or -errno. */
int runlock_take(const char *name, struct diag *d);

/* Lets go of the lock (closing the fd is enough; -1 is ignored). */
void runlock_release(int fd);

/* idle — a neighbour that sleeps: a thread waking every millisecond, the least a
 * process can do.  The control for "does merely having a neighbour matter?".  Work:
 * wake-ups per second. */
#include <stdio.h>
#include <time.h>

#include "agents/noise/noise.h"

static void *idle_thread(void *arg) {
        struct noise_run *r = arg;
        while (!noise_stopping(r)) {
                nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
                noise_add(r, 1);
        }
        return NULL;
}

static int idle_start(struct noise_run *r, char *err, size_t len) {
        return noise_spawn_workers(r, idle_thread, 1, err, len);
}

const struct noise_workload noise_idle = {
        .name = "idle",
        .stresses = "nothing: one thread waking every millisecond (the control)",
        .options = "(none)",
        .unit = "wakeups/s",
        .scale = 1,
        .start = idle_start,
};

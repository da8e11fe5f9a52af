/* isolab cleanup — remove what interrupted runs left: agents (by pid, after checking the
 * pid is still theirs), cgroups, hugetlbfs mounts, hugepage reservations, run
 * directories.  See cleanup.h. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "controller/cleanup.h"
#include "controller/paths.h"
#include "controller/runlock.h"
#include "controller/verbs.h"
#include "base/util.h"

struct cleanup_opts {
        bool quiet;
        const char *run;
};

static const struct cli_option cleanup_options[] = {
        { "quiet", NULL, "report failures only", NULL, offsetof(struct cleanup_opts, quiet), NULL },
        { "run", "RUN", "only this run's leftovers (its name: run.json's \"run\", /run/isolab/RUN)", cli_parse_string,
          offsetof(struct cleanup_opts, run), NULL },
};

static int cleanup_run(int argc, char **argv) {
        struct cleanup_opts o = { 0 };
        int r = cli_verb_start(argc, argv, cleanup_options, ELEMENTSOF(cleanup_options), &o, verb_cleanup.description);
        if (r >= 0)
                return r;
        if (geteuid() != 0) {
                fprintf(stderr, "isolab: cleanup needs root (cgroups, mounts, hugepages); run it with sudo\n");
                return EXIT_USAGE;
        }
        if (o.run && !paths_is_name(o.run)) {
                fprintf(stderr, "isolab: --run %s: a run's name has only a-z, 0-9, _ and - (see run.json's \"run\")\n",
                        o.run);
                return EXIT_USAGE;
        }
        /* The run lock: no run is starting, running or ending while cleanup works, so
         * every state file left is a dead run's. */
        struct diag d = { 0 };
        int lock_fd = runlock_take("cleanup", &d);
        if (lock_fd < 0) {
                fprintf(stderr, "isolab: cleanup: %s; a live run is left alone (it replayed what dead runs left when it "
                                "started)\n",
                        d.msg);
                return EXIT_RUNTIME;
        }
        r = cleanup_all(o.run, !o.quiet);
        runlock_release(lock_fd);
        if (r == -ENOENT) {
                fprintf(stderr, "isolab: cleanup: run %s left nothing in /run/isolab\n", o.run);
                return 0;
        }
        if (r < 0) {
                report_error(NULL, r);
                return EXIT_RUNTIME;
        }
        if (!o.quiet)
                fprintf(stderr, "isolab: cleanup: %s\n", r ? "something is left (see above)" : "nothing left");
        return r ? EXIT_RUNTIME : 0;
}

const struct verb verb_cleanup = {
        .name = "cleanup",
        .usage = "[options]",
        .summary = "remove what interrupted runs left: agents, cgroups, mounts, hugepages (root)",
        .description = "Remove what interrupted isolab runs left on this machine (root): agents by pid and start\n"
                       "time, cgroups, hugetlbfs mounts and hugepage reservations, from each dead run's state file.",
        .run = cleanup_run,
        .options = cleanup_options,
        .n_options = ELEMENTSOF(cleanup_options),
};

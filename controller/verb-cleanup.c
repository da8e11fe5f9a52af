/* isolab cleanup — remove what interrupted runs left: agents (by pid, after checking the
 * pid is still theirs), cgroups, hugetlbfs mounts, hugepage reservations, run
 * directories.  See cleanup.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/cleanup.h"
#include "controller/genhost.h"
#include "base/spawn.h"
#include "controller/paths.h"
#include "controller/runlock.h"
#include "controller/verbs.h"
#include "base/util.h"

struct cleanup_opts {
        bool quiet;
        const char *run;
        struct gen_host_opts gen;
};

static const struct cli_option cleanup_options[] = {
        { "quiet", NULL, "report failures only", NULL, offsetof(struct cleanup_opts, quiet), NULL },
        { "run", "RUN", "only this run's leftovers (its name: run.json's \"run\", /run/isolab/RUN)", cli_parse_string,
          offsetof(struct cleanup_opts, run), NULL },
        GEN_HOST_CLI_OPTIONS(struct cleanup_opts, gen, "then the same on that generator host of --gen-host runs, over ssh"),
};

/* isolab cleanup on the generator host, its output passed on. */
static int cleanup_gen_side(const struct cleanup_opts *o, const struct gen_host *g) {
        struct argvec a = { 0 };
        genhost_argv(g, &a, "cleanup", o->quiet ? "--quiet" : (char *)NULL, (char *)NULL);
        _cleanup_free_ char *out = NULL;
        int st = spawn_capture_flags(a.v, 65536, SPAWN_STDERR, &out);
        if (out && *out)
                fprintf(stderr, "%s: %s%s", o->gen.host, out, out[strlen(out) - 1] == '\n' ? "" : "\n");
        if (st != 0)
                fprintf(stderr, "isolab: cleanup on %s failed (%s %d)%s\n", o->gen.host, st < 0 ? "error" : "exit",
                        st < 0 ? -st : st, st == 255 ? ": ssh could not log in (BatchMode: keys or an agent)" : "");
        return st == 0 ? 0 : EXIT_RUNTIME;
}

static int cleanup_run(int argc, char **argv) {
        struct cleanup_opts o = { 0 };
        int r = cli_verb_start(argc, argv, cleanup_options, ELEMENTSOF(cleanup_options), &o, verb_cleanup.description);
        if (r >= 0)
                return r;
        if (geteuid() != 0) {
                fprintf(stderr, "isolab: cleanup needs root (cgroups, mounts, hugepages); run it with sudo\n");
                return EXIT_USAGE;
        }
        if (o.gen.host && o.run) {
                fprintf(stderr, "isolab: cleanup: --run and --gen-host: give one (a run's generator session is cleaned with "
                                "the run)\n");
                return EXIT_USAGE;
        }
        /* The generator host checked before anything is done here. */
        struct gen_host g;
        const char *env = getenv("ISOLAB_SSH_COMMAND");
        struct diag pd = { 0 };
        if (o.gen.host && genhost_parse(o.gen.host, env && *env ? env : o.gen.ssh, o.gen.isolab, &g, &pd) < 0) {
                fprintf(stderr, "isolab: %s\n", pd.msg);
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
        /* The generator host after this one: a run's record here may already have done it. */
        int gr = o.gen.host ? cleanup_gen_side(&o, &g) : 0;
        if (gr && r >= 0)
                r += 1;
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
                       "time, cgroups, hugetlbfs mounts and hugepage reservations, from each dead run's state file.\n"
                       "A --gen-host run's record also cleans its generator host; --gen-host HOST cleans that host\n"
                       "too, over ssh.",
        .run = cleanup_run,
        .options = cleanup_options,
        .n_options = ELEMENTSOF(cleanup_options),
};

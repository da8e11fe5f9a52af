/* isolab-noise — the built-in noisy neighbours (DESIGN.md, "Processes"; noise.h).
 *
 * As an agent (started by isolab, no arguments): the JSON-lines protocol with
 *   list                                  the workloads, each with supported and reason
 *   start {workload, options{k: v}, argv}  starts one (one at a time)
 *   stats {reset}                         achieved rate over the window since the last
 *                                         reset (or the start), with its 100 ms samples
 *   stop                                  stops it; the final stats
 * On its own, for people and tests:
 *   isolab-noise --list
 *   isolab-noise --run NAME [--duration SEC] [--set KEY=VALUE]... [-- CMD ARGS]
 * prints one JSON object with the achieved rate;
 *   isolab-noise --check NAME [--set KEY=VALUE]... [-- CMD ARGS]
 * only says whether it could run (exit 0) or why not (one sentence, exit 2): isolab
 * asks this for every neighbour before it changes anything on the machine. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents/common/opts.h"
#include "agents/common/agent.h"
#include "agents/noise/noise.h"
#include "base/util.h"

static struct noise_run run;
static char **run_argv; /* exec's command, owned */

static void free_argv(void) {
        for (char **a = run_argv; a && *a; a++)
                free(*a);
        free(run_argv);
        run_argv = NULL;
}

static json_t *stats_json(const struct noise_workload *w, const struct noise_stats *s) {
        json_t *j = json_pack("{s:s, s:s, s:f, s:f, s:I, s:I, s:f, s:f, s:f}", "workload", w->name, "unit", w->unit, "rate",
                              s->rate, "seconds", s->seconds, "work", (json_int_t)s->work, "samples", (json_int_t)s->n_samples,
                              "min", s->min, "max", s->max, "stdev", s->stdev);
        if (s->ended[0])
                json_object_set_new(j, "ended_early", json_string(s->ended));
        return j;
}

static int fail(char **ret_error, int r, const char *msg) {
        *ret_error = strdup(msg);
        return r;
}

static int cmd_list(const struct proto_cmd *c, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)c;
        (void)req;
        (void)ret_error;
        (void)userdata;
        json_t *a = json_array();
        for (size_t i = 0; noise_workloads[i]; i++) {
                const struct noise_workload *w = noise_workloads[i];
                struct noise_opts o = { 0 };
                char why[256] = "";
                char *probe[] = { "true", NULL };
                if (strcmp(w->name, "exec") == 0)
                        o.argv = probe; /* exec runs whatever it is given */
                int r = noise_supported(w, &o, why, sizeof(why));
                json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "name", w->name, "stresses", w->stresses,
                                                   "options", w->options, "unit", w->unit, "supported", r == 0, "reason", why));
        }
        json_object_set_new(reply, "workloads", a);
        return 0;
}

static int cmd_start(const struct proto_cmd *c, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)c;
        (void)userdata;
        if (run.w)
                return fail(ret_error, -EBUSY, "a workload is running; stop it first");
        const char *name = json_string_value(json_object_get(req, PROTO_WORKLOAD));
        const struct noise_workload *w = name ? noise_find(name) : NULL;
        if (!w)
                return fail(ret_error, -EINVAL, "start needs \"workload\": one of cpu, cache, membw, ctxsw, http, idle, exec");
        struct noise_opts o = { 0 };
        char err[512] = "";
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(req, PROTO_OPTIONS), k, v) {
                char kv[256];
                if (json_is_string(v))
                        snprintf(kv, sizeof(kv), "%s=%s", k, json_string_value(v));
                else if (json_is_integer(v))
                        snprintf(kv, sizeof(kv), "%s=%lld", k, (long long)json_integer_value(v));
                else if (json_is_number(v))
                        snprintf(kv, sizeof(kv), "%s=%g", k, json_number_value(v));
                else
                        snprintf(kv, sizeof(kv), "%s=?", k);
                if (noise_opt_set(&o, kv, err, sizeof(err)) < 0)
                        return fail(ret_error, -EINVAL, err);
        }
        json_t *av = json_object_get(req, PROTO_ARGV);
        free_argv();
        if (json_array_size(av)) {
                run_argv = calloc(json_array_size(av) + 1, sizeof(char *));
                size_t i;
                json_array_foreach(av, i, v) {
                        if (!json_is_string(v)) {
                                free_argv();
                                return fail(ret_error, -EINVAL, "\"argv\" must be an array of strings");
                        }
                        run_argv[i] = strdup(json_string_value(v));
                }
                o.argv = run_argv;
        }
        int r = noise_start(&run, w, &o, err, sizeof(err));
        if (r < 0)
                return fail(ret_error, r, err);
        json_object_set_new(reply, "workload", json_string(w->name));
        json_object_set_new(reply, "unit", json_string(w->unit));
        return 0;
}

static int cmd_stats(const struct proto_cmd *c, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)c;
        (void)userdata;
        if (!run.w)
                return fail(ret_error, -ESRCH, "no workload is running");
        struct noise_stats s;
        noise_stats(&run, json_is_true(json_object_get(req, PROTO_RESET)), &s);
        json_object_update_new(reply, stats_json(run.w, &s));
        return 0;
}

static int cmd_stop(const struct proto_cmd *c, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)c;
        (void)req;
        (void)userdata;
        if (!run.w)
                return fail(ret_error, -ESRCH, "no workload is running");
        const struct noise_workload *w = run.w;
        struct noise_stats s;
        noise_stop(&run, &s);
        free_argv();
        json_object_update_new(reply, stats_json(w, &s));
        return 0;
}

static void fini(void) {
        noise_stop(&run, NULL);
        free_argv();
}

static const struct proto_cmd cmds[] = {
        { PROTO_LIST, cmd_list },
        { PROTO_START, cmd_start },
        { PROTO_STATS, cmd_stats },
        { PROTO_STOP, cmd_stop },
};

static const struct agent_option noise_options[] = {
        { "list", NULL, 'l', "list the workloads, their options, and whether each can run here (and why not)" },
        { "run", "NAME", 'r', "run one workload for --duration and print its achieved rate as JSON" },
        { "check", "NAME", 'c', "exit 0 when the workload can run here with these options, else say why" },
        { "duration", "SEC", 'd', "how long --run runs, in seconds (default 1)" },
        { "set", "KEY=VALUE", 's', "a workload option (repeatable); --list shows each workload's" },
};

static const struct agent_usage noise_usage = {
        .prog = "isolab-noise",
        .synopsis = "[--list | --run NAME [--duration SEC] | --check NAME] [--set KEY=VALUE]... [-- CMD ARGS]",
        .summary = "Noisy-neighbour workloads (cpu, cache, membw, ctxsw, http, idle, exec) that report the\n"
                   "work rate they achieved.  Without arguments it is an agent speaking JSON lines on\n"
                   "stdin/stdout, started by isolab; the options run one workload by hand.",
        .options = noise_options,
        .n_options = sizeof(noise_options) / sizeof(noise_options[0]),
};

static int usage(int rc) {
        agent_opts_help(rc ? stderr : stdout, &noise_usage);
        return rc;
}

static int cli(int argc, char **argv) {
        struct option lo[sizeof(noise_options) / sizeof(noise_options[0]) + 2];
        agent_opts_getopt(&noise_usage, lo);
        lo[noise_usage.n_options] = (struct option){ "help", no_argument, NULL, 'h' };
        lo[noise_usage.n_options + 1] = (struct option){ 0 };
        const char *name = NULL;
        double duration = 1;
        struct noise_opts o = { 0 };
        char err[512];
        bool list = false, check = false;
        int c;
        while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
                const char *end;
                switch (c) {
                case 'l':
                        list = true;
                        break;
                case 'c':
                        check = true;
                        /* fall through */
                case 'r':
                        name = optarg;
                        break;
                case 'd':
                        if (parse_decimal(optarg, &duration, &end) < 0 || *end ||
                            !(duration > 0 && duration <= 86400)) {
                                fprintf(stderr, "isolab-noise: --duration %s: give seconds, e.g. 0.5\n", optarg);
                                return 2;
                        }
                        break;
                case 's':
                        if (noise_opt_set(&o, optarg, err, sizeof(err)) < 0) {
                                fprintf(stderr, "isolab-noise: --set: %s\n", err);
                                return 2;
                        }
                        break;
                case 'h':
                        return usage(0);
                default:
                        return usage(2);
                }
        }
        if (list) {
                json_t *reply = json_object();
                char *e = NULL;
                cmd_list(NULL, NULL, reply, &e, NULL);
                size_t i;
                json_t *w;
                json_array_foreach(json_object_get(reply, "workloads"), i, w) {
                        printf("%-6s %-58s %s\n", json_string_value(json_object_get(w, "name")),
                               json_string_value(json_object_get(w, "options")),
                               json_is_true(json_object_get(w, "supported")) ? json_string_value(json_object_get(w, "stresses"))
                                                                              : json_string_value(json_object_get(w, "reason")));
                }
                json_decref(reply);
                return 0;
        }
        const struct noise_workload *w = name ? noise_find(name) : NULL;
        if (!w) {
                fprintf(stderr, "isolab-noise: %s: unknown workload; use cpu, cache, membw, ctxsw, http, idle or exec\n",
                        name ? name : "");
                return 2;
        }
        if (optind < argc)
                o.argv = argv + optind;
        if (check) {
                if (noise_supported(w, &o, err, sizeof(err)) < 0) {
                        fprintf(stderr, "isolab-noise: %s\n", err);
                        return 2;
                }
                return 0;
        }
        if (noise_start(&run, w, &o, err, sizeof(err)) < 0) {
                fprintf(stderr, "isolab-noise: %s\n", err);
                return 1;
        }
        struct timespec ts = { (time_t)duration, (long)((duration - (double)(time_t)duration) * 1e9) };
        nanosleep(&ts, NULL);
        struct noise_stats s;
        noise_stop(&run, &s);
        json_t *j = stats_json(w, &s);
        char *text = json_dumps(j, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        json_decref(j);
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 2 && strcmp(argv[1], "--roff-options") == 0) {
                agent_opts_roff(stdout, &noise_usage);
                return 0;
        }
        if (argc > 1)
                return cli(argc, argv);
        struct agent a = { .role = "noise", .cmds = cmds, .n_cmds = sizeof(cmds) / sizeof(cmds[0]), .fini = fini };
        return agent_main(&a, argc, argv);
}

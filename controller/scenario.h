/* scenario — experiments as INI files (DESIGN.md, "Scenario files"; parsed with inih).
 *
 * The keys are the verb's own options: one table (cli.h) drives the command line, the
 * file, --help and the JSON echo in run.json, each option naming its section.  A file is
 * read into the same options struct the command line fills, before it (so the command
 * line overrides the file).  Neighbours are sections of their own, [noise.NAME], one
 * per neighbour with its workload, placements and options.  Every error is one sentence
 * naming the file, line, section and key, with the closest valid key or section; the
 * whole file is read before anything else happens. */
#pragma once

/* The largest scenario file read (a real one is a few hundred bytes). */
#define SCENARIO_MAX_BYTES (1024 * 1024)

#include <stddef.h>
#include <stdio.h>

#include "controller/cli.h"

struct noise_spec {
        char name[32];       /* NAME of [noise.NAME], or the workload for --noise */
        char workload[16];   /* cpu, cache, membw, ctxsw, http, idle, exec */
        const char *placement; /* comma list; NULL: same-core */
        char opts[256];      /* "threads=2,load=50": isolab-noise's options */
        const char *cmd;     /* exec's command line, split on spaces */
        const char *quota;   /* % of one CPU for its cgroup */
        char where[320];     /* "FILE:LINE [noise.NAME]", for messages */
};

#define SCENARIO_MAX_NOISE 16

struct scenario {
        char *path;
        char **strings;      /* the values the options struct points into */
        size_t n_strings;
        struct noise_spec noise[SCENARIO_MAX_NOISE];
        size_t n_noise;
        char untrusted[128]; /* "" when root or the user running isolab owns the file and no one else can write it;
                              * else who could have changed it ("user alice owns it") */
};

/* Reads path into opts (keys from table, by section) and sc->noise.  Returns 0, or
 * -errno with d saying "FILE:LINE: ..." (-ENOENT: the file cannot be read). */
int scenario_load(const char *path, const struct cli_option *table, size_t n, void *opts, struct scenario *sc,
                  struct diag *d);
/* The same from an open file (a string through fmemopen, for the fuzzer); path names it. */
int scenario_load_file(FILE *f, const char *path, const struct cli_option *table, size_t n, void *opts, struct scenario *sc,
                       struct diag *d);
void scenario_free(struct scenario *sc);

/* The keys a [noise.NAME] section takes. */
extern const char *const scenario_noise_keys[];

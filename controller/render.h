/* render — the topology and the plan, as text for people and JSON for programs.
 *
 * Renderers read the models (topo.h, plan.h) and write into a FILE *, so the tests
 * compare them with golden files through open_memstream().  The JSON document is a
 * stable interface: keys are only ever added.  CPU sets are kernel CPU list strings. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "topology/plan.h"
#include "topology/topo.h"

#define RENDER_JSON_VERSION 1

json_t *topo_to_json(const struct topo *t);
json_t *plan_to_json(const struct plan *p);

int render_topo_text(FILE *f, const struct topo *t);
int render_topo_json(FILE *f, const struct topo *t);
int render_plan_text(FILE *f, const struct topo *t, const struct plan *p);
int render_plan_json(FILE *f, const struct topo *t, const struct plan *p);
/* The same with the generator host's topology and plan (--gen-host) beside them. */
int render_plans_json(FILE *f, const struct topo *t, const struct plan *p, const char *gen_host, const struct topo *gt,
                      const struct plan *gp);

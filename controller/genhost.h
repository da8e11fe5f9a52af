/* genhost — the generator on a host of its own, reached through OpenSSH (--gen-host).
 *
 * The study's testbed: MoonGen on one machine, the NF under test on another, cabled port
 * to port.  isolab runs on the device under test and starts `isolab serve gen` on the
 * generator host through the user's own ssh (keys, agent, ~/.ssh/config; BatchMode, no
 * transport of isolab's own).  That helper reserves the generator's hugepages there,
 * mounts its hugetlbfs, starts isolab-gen, records each change in its own state file and
 * undoes them when the connection ends for any reason; then it relays the JSON-lines
 * protocol unchanged between the SSH channel and isolab-gen (docs/protocol.md).
 *
 *   planning   `isolab serve host` prints the host's facts: isolab's version and
 *              protocol, boot id, kernel, command line, hwloc topology (XML), hugepage
 *              pools, and the check of its ports.  The generator is planned on that
 *              topology, the NF on this one.
 *   the run    one master connection (ControlMaster, ControlPath in the run's private
 *              directory) carries every session of the run; it is an agent of the run,
 *              stopped like one, and killed by pid by `isolab cleanup`.
 *
 * Nothing from the other host reaches a shell here, and the remote command line holds
 * only words isolab checked (the ssh command's own words are the user's). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/diag.h"
#include "controller/nf.h"
#include "topology/plan.h"
#include "topology/topo.h"

struct gen_host {
        char spec[200];           /* as given: [USER@]HOST[:PORT] */
        char dest[200];           /* USER@HOST or HOST, as ssh takes it */
        unsigned port;            /* 0: ssh's default (or the config's) */
        char ssh_cmd[512];        /* the ssh command and its options (ISOLAB_SSH_COMMAND, [gen] ssh) */
        char isolab[256];         /* isolab on that host (--gen-isolab; default: isolab in its PATH) */
        char control[300];        /* the master connection's ControlPath; "" until the run has its directory */
        json_t *facts;            /* its `isolab serve host` reply */
        bool same_machine;        /* its boot id is ours: it is this machine (a virtual link reaches it) */
        struct topo *t;           /* its topology */
        struct plan *p;           /* the generator's plan there */
};

/* Checks the destination, the ssh command and the remote isolab's path, into g (pure).
 * 0 or -EINVAL with d naming the option and the form it takes. */
int genhost_parse(const char *spec, const char *ssh_cmd, const char *isolab, struct gen_host *g, struct diag *d);

/* The ssh command line for the remote `isolab WORDS...` (NULL-terminated): the ssh
 * command's words (its program found in /usr/bin or /bin, never in PATH), -T, BatchMode,
 * the port, the master connection when g->control is set, the destination, then isolab
 * and the words. */
void genhost_argv(const struct gen_host *g, struct argvec *a, ...) __attribute__((sentinel));

/* The master connection's command line (ssh -M -N ...), for g->control. */
void genhost_master_argv(const struct gen_host *g, struct argvec *a);

/* Runs `isolab serve host [--ports P0,P1]` there: refuses another protocol version and a
 * port the host cannot drive, loads its topology (with its free hugepages and its kernel
 * command line) into g->t and keeps its facts.  0 or -errno with d saying what failed
 * and how to fix it (ssh's own last line when ssh failed). */
int genhost_query(struct gen_host *g, const char *const ports[2], struct diag *d);

/* The part of genhost_query that reads the reply (pure, for the tests): checks the
 * protocol and loads the topology named after g->spec. */
int genhost_accept(struct gen_host *g, json_t *facts, struct diag *d);

/* The generator's plan on that host's topology (g->t, into g->p), with what the DUT's
 * plan was asked (dut: hugepage size and memory; dut->avoid when it is this machine),
 * its ports (NULL: a virtual link) and --gen-cores (0: auto, 2 when two cores there are
 * free of housekeeping, else 1); *gen_cores: what it got.  Pure. */
int genhost_plan(struct gen_host *g, const struct plan_request *dut, const char *const ports[2], unsigned asked,
                 unsigned *gen_cores, struct diag *d);

/* The name of run RUN's generator session on its host ("RUN-gen": its run lock's name
 * and /run/isolab/RUN-gen, its directory), and its hugetlbfs mount there. */
void genhost_session(const char *run, char *buf, size_t len);
void genhost_session_huge(const char *run, char *buf, size_t len);

/* This machine's boot id (/proc/sys/kernel/random/boot_id), "" when unknown: two hosts
 * are one machine when theirs are the same. */
void genhost_boot_id(char *buf, size_t len);

void genhost_free(struct gen_host *g);

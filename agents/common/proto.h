/* proto — the only contract between the controller and the agents (DESIGN.md).
 *
 * JSON, one object per line, on the agent's stdin (requests) and stdout (replies).
 *   request:  {"id": 7, "cmd": "hello", ...arguments}
 *   reply:    {"id": 7, "ok": true, ...result}
 *             {"id": 7, "ok": false, "error": "one sentence"}
 * "id" is optional and echoed.  A malformed line or an unknown command gets an error
 * reply and the agent keeps running.  The version changes whenever a request or a
 * reply changes incompatibly; `hello` reports it. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#define ISOLAB_PROTO_VERSION 1

/* The names both sides use: a request's command and the fields the controller sends. */
/* A trial whose generator offered less than this share of the packets its schedule asked
 * for fell short: its loss says nothing about the NF.  The one threshold: isolab-gen sets
 * result.tx.generator_shortfall by it, and the search, the report's * and the floor read
 * that flag. */
#define PROTO_SHORTFALL 0.995

#define PROTO_CMD "cmd"              /* every request: which command */
#define PROTO_ID "id"                /* optional, echoed */
#define PROTO_OK "ok"                /* every reply */
#define PROTO_ERROR "error"          /* a failed reply's sentence */
#define PROTO_HELLO "hello"          /* every agent: {"version": ISOLAB_PROTO_VERSION, ...} */
#define PROTO_QUIT "quit"            /* every agent */
#define PROTO_STATS "stats"          /* nf: counters per lcore; gen; noise: the work done */
#define PROTO_TRIAL "trial"          /* gen: one trial */
#define PROTO_START "start"          /* nf: forwarding; noise: a workload */
#define PROTO_STOP "stop"            /* nf, noise */
#define PROTO_PLACEMENT "placement"  /* nf: where its lcores really run */
#define PROTO_CONFIGURE "configure"  /* nf, gen */
#define PROTO_LIST "list"            /* noise: its workloads */
#define PROTO_VERSION "version"      /* in hello's reply */
#define PROTO_RESET_MAX "reset_max"  /* nf stats: start a new window for max_gap_ns */
#define PROTO_RESET "reset"          /* noise stats: start counting anew */
#define PROTO_WORKLOAD "workload"    /* noise start: the workload, its options, exec's argv */
#define PROTO_OPTIONS "options"
#define PROTO_ARGV "argv"
#define PROTO_FRAME_SIZE "frame_size" /* gen trial: frame size, rate, and the trial's phases in s */
#define PROTO_RATE "rate"
#define PROTO_DURATION "duration"
#define PROTO_WARMUP "warmup"
#define PROTO_DRAIN "drain"

struct proto_cmd;

/* A command handler: reads req, adds its result to reply (an object that already
 * holds "id" and "ok": true).  Returns 0, or a negative errno after setting *ret_error
 * (a malloc'ed sentence) — the reply then says ok=false with that error. */
typedef int (*proto_handler)(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata);

struct proto_cmd {
        const char *name;
        proto_handler handler;
};

/* Handles one request line: parses it, dispatches to the matching command and returns
 * the reply object (never NULL unless out of memory).  *ret_quit is set when the command
 * was "quit".  Pure: no I/O, so it is unit-tested. */
json_t *proto_handle_line(const char *line, const struct proto_cmd *cmds, size_t n, void *userdata, int *ret_quit);

/* Writes reply as one line to f and flushes; returns 0 or -EIO. */
int proto_write(FILE *f, json_t *reply);

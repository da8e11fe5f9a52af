/* cli — one declarative table per verb drives option parsing and --help.
 *
 * After fio's options.c: an option is a row (name, argument, help, parser, where the
 * value goes), so the command line and the help cannot drift apart, and the scenario
 * file parser can later read the same rows.  Errors are one sentence naming the option
 * and the fix; an unknown option names the closest valid one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "base/diag.h"

/* Exit codes of the isolab command. */
#define EXIT_RUNTIME 1 /* the machine or a library failed */
#define EXIT_USAGE 2   /* bad input: option, file, value; nothing was changed */

struct cli_option;
typedef int (*cli_parse_fn)(const struct cli_option *o, const char *value, void *dst, struct diag *d);

struct cli_option {
        const char *name;   /* long option, without "--" */
        const char *arg;    /* argument name for the help ("N", "FILE"); NULL: a flag */
        const char *help;   /* one line */
        cli_parse_fn parse; /* converts and stores the value; NULL for flags (bool) */
        size_t offset;      /* where in the verb's options struct the value goes */
        const char *section; /* the scenario file section the key belongs in; NULL: not a file key */
};

/* Parsers for common value kinds.  Each names the option in its error. */
int cli_parse_string(const struct cli_option *o, const char *value, void *dst, struct diag *d); /* const char * */
int cli_parse_uint(const struct cli_option *o, const char *value, void *dst, struct diag *d);   /* unsigned */
int cli_parse_count(const struct cli_option *o, const char *value, void *dst, struct diag *d);  /* unsigned, 1.. */
int cli_parse_node(const struct cli_option *o, const char *value, void *dst, struct diag *d);   /* int, -1 unset */
int cli_parse_size(const struct cli_option *o, const char *value, void *dst, struct diag *d);   /* uint64_t bytes */
int cli_parse_duration(const struct cli_option *o, const char *value, void *dst, struct diag *d); /* uint64_t us */

/* A plain decimal number at the start of s ("12.5", ".5"; no sign, exponent, hex, inf or
 * nan): its value and where it ends.  Returns 0 or -EINVAL. */
int cli_decimal(const char *s, double *ret, const char **ret_end);

/* Strict duration: "10s", "500ms", "250us", "1.5s"; a bare number is seconds. */
int parse_duration_us(const char *s, uint64_t *ret);

/* Comma lists: percentages ("100,75,12.5%"), durations ("100ms,10ms"), whole numbers.
 * Each returns the count (<= max) or -EINVAL with d naming the option and element. */
int cli_list_percent(const char *opt, const char *s, double *v, size_t max, struct diag *d);
int cli_list_duration(const char *opt, const char *s, uint64_t *v, size_t max, struct diag *d);
int cli_list_uint(const char *opt, const char *s, unsigned *v, size_t max, struct diag *d);

/* Parses argv[1..] (argv[0] is the verb) into opts.  Options may be "--name value" or
 * "--name=value", before or after positional arguments; "--help"/"-h" sets *ret_help.
 * Positional arguments are moved, in order, to argv[*ret_optind..argc).  Returns 0 or -EINVAL with d set. */
int cli_parse(int argc, char **argv, const struct cli_option *table, size_t n, void *opts, int *ret_optind,
              bool *ret_help, struct diag *d);

/* The start every verb shares: parses argv into opts, prints the help when asked, and
 * rejects positional arguments (no verb takes any yet).  Returns -1 when the verb should
 * go on, else the exit code to return now (0 after --help, EXIT_USAGE after an error,
 * which it has printed). */
int cli_verb_start(int argc, char **argv, const struct cli_option *table, size_t n, void *opts, const char *summary);

/* Prints "usage: isolab VERB USAGE", the summary and the option table. */
void cli_help(FILE *f, const char *verb, const char *usage, const char *summary, const struct cli_option *table,
              size_t n);

/* The option table as roff tagged paragraphs, for the manual page (base/optdoc.h). */
void cli_roff(FILE *f, const struct cli_option *table, size_t n);

/* The option name in table closest to name (edit distance), or NULL if none is close. */
const char *cli_closest(const char *name, const struct cli_option *table, size_t n);
/* The same over a list of words (NULL entries skipped). */
const char *cli_closest_word(const char *name, const char *const *words, size_t n);

/* Stores value for option o in opts, as the command line would; a flag takes
 * true/false/yes/no/on/off/1/0 (a file has to say which). */
int cli_set_value(const struct cli_option *o, const char *value, void *opts, struct diag *d);

/* The effective value of every option, {name: value}: the echo of a configuration in
 * run.json (durations as "10s", sizes in bytes, unset strings as null). */
json_t *cli_options_json(const struct cli_option *table, size_t n, const void *opts);

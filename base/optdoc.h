/* optdoc — an option's documentation, rendered for --help and for a manual page.
 *
 * The controller's option tables (controller/cli.h) and the agents' (agents/common/opts.h)
 * both describe an option as a name, an argument name and one line of help.  The same
 * rows print the --help text and, through --roff-options, the OPTIONS part of the
 * program's manual page (the templates in man/), so the two cannot disagree (tests/unit/test-manual.c).
 * Base library: it knows nothing of the rest of isolab. */
#pragma once

#include <stdio.h>

/* "  --name ARG                   help" — one line of a --help text. */
void optdoc_help_line(FILE *f, const char *name, const char *arg, const char *help);

/* The same option as a roff tagged paragraph (.TP). */
void optdoc_roff(FILE *f, const char *name, const char *arg, const char *help);

/* Text for roff: backslashes and hyphens escaped, a leading '.' or '\'' made literal,
 * so no text from a table can become a roff request. */
void optdoc_roff_text(FILE *f, const char *s);

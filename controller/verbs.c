/* verbs — the table of isolab's verbs (after tmux's cmd_table and systemd's verbs.c).
 * Adding a verb is one file (its `const struct verb`) and one row here. */
#include "controller/verbs.h"

#include <string.h>

#include "base/optdoc.h"
#include "base/util.h"

const struct verb *const verbs[] = {
        &verb_topo, &verb_plan, &verb_sweep, &verb_noisy, &verb_run, &verb_report, &verb_compare, &verb_plot,
        &verb_cleanup,
        &verb_serve,
};
const size_t n_verbs = ELEMENTSOF(verbs);

const struct verb *verb_find(const char *name) {
        for (size_t i = 0; i < n_verbs; i++)
                if (strcmp(verbs[i]->name, name) == 0)
                        return verbs[i];
        return NULL;
}

void verbs_usage(FILE *f) {
        fprintf(f, "usage: isolab VERB [options]     (isolab VERB --help for its options)\n\nverbs:\n");
        for (size_t i = 0; i < n_verbs; i++)
                fprintf(f, "  %-10s %s\n", verbs[i]->name, verbs[i]->summary);
}

void verbs_roff(FILE *f) {
        for (size_t i = 0; i < n_verbs; i++) {
                const struct verb *v = verbs[i];
                fputs(".SS \"isolab ", f);
                optdoc_roff_text(f, v->name);
                fputc(' ', f);
                optdoc_roff_text(f, v->usage);
                fputs("\"\n", f);
                /* The description's line breaks are for an 80-column --help; roff fills. */
                optdoc_roff_text(f, v->description);
                /* Verbs that share a table (sweep, noisy, run) list it once. */
                const struct verb *same = NULL;
                for (size_t j = 0; j < i && !same; j++)
                        if (verbs[j]->options == v->options)
                                same = verbs[j];
                if (same) {
                        fputs("\n.PP\nOptions: those of \\fBisolab ", f);
                        optdoc_roff_text(f, same->name);
                        fputs("\\fR.\n", f);
                        continue;
                }
                fputs("\n.PP\nOptions:\n.RS\n", f);
                cli_roff(f, v->options, v->n_options);
                fputs(".RE\n", f);
        }
}

/* optdoc — see optdoc.h. */
#include "base/optdoc.h"

#include <stdbool.h>

void optdoc_help_line(FILE *f, const char *name, const char *arg, const char *help) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
        fprintf(f, "  %-28s %s\n", left, help);
}

void optdoc_roff_text(FILE *f, const char *s) {
        bool line_start = true;
        for (; *s; s++) {
                if (line_start && (*s == '.' || *s == '\''))
                        fputs("\\&", f);
                line_start = *s == '\n';
                if (*s == '\\')
                        fputs("\\e", f);
                else if (*s == '-')
                        fputs("\\-", f);
                else
                        fputc(*s, f);
        }
}

void optdoc_roff(FILE *f, const char *name, const char *arg, const char *help) {
        fputs(".TP\n\\fB\\-\\-", f);
        optdoc_roff_text(f, name);
        fputs("\\fR", f);
        if (arg) {
                fputs(" \\fI", f);
                optdoc_roff_text(f, arg);
                fputs("\\fR", f);
        }
        fputc('\n', f);
        optdoc_roff_text(f, help);
        fputc('\n', f);
}

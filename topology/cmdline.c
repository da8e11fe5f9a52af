/* cmdline — see cmdline.h. */
#include "topology/cmdline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology/cpulist.h"
#include "base/util.h"

int isolation_init(struct isolation *iso) {
        *iso = (struct isolation){ 0 };
        iso->isolcpus = hwloc_bitmap_alloc();
        iso->nohz_full = hwloc_bitmap_alloc();
        iso->rcu_nocbs = hwloc_bitmap_alloc();
        iso->irqaffinity = hwloc_bitmap_alloc();
        if (!iso->isolcpus || !iso->nohz_full || !iso->rcu_nocbs || !iso->irqaffinity) {
                isolation_done(iso);
                return -ENOMEM;
        }
        return 0;
}

void isolation_done(struct isolation *iso) {
        hwloc_bitmap_free(iso->isolcpus);
        hwloc_bitmap_free(iso->nohz_full);
        hwloc_bitmap_free(iso->rcu_nocbs);
        hwloc_bitmap_free(iso->irqaffinity);
        free(iso->cmdline);
        *iso = (struct isolation){ 0 };
}

static int parse_list(const char *param, const char *value, hwloc_bitmap_t set, struct diag *d) {
        const char *why = NULL;
        size_t pos = 0;
        int r = cpulist_parse(value, set, &why, &pos);
        if (r < 0)
                return diag_set(d, -EINVAL, "kernel command line: %s=%s is not a CPU list (%s at \"%s\")", param,
                                value, why, value + pos);
        return 0;
}

/* isolcpus=[flag,...,]LIST: the flags are words, the list starts at the first digit. */
static int parse_isolcpus(struct isolation *iso, const char *value, struct diag *d) {
        static const char *const flags[] = { "domain", "nohz", "managed_irq" };
        const char *p = value;
        iso->isolcpus_flags[0] = '\0';
        while (*p && !(*p >= '0' && *p <= '9')) {
                size_t n = strcspn(p, ",");
                bool ok = false;
                for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                        if (strlen(flags[i]) == n && strncmp(p, flags[i], n) == 0)
                                ok = true;
                if (!ok || p[n] != ',')
                        return diag_set(d, -EINVAL,
                                        "kernel command line: isolcpus=%s has an unknown flag \"%.*s\" "
                                        "(known: domain, nohz, managed_irq)",
                                        value, (int)n, p);
                size_t used = strlen(iso->isolcpus_flags);
                snprintf(iso->isolcpus_flags + used, sizeof(iso->isolcpus_flags) - used, "%s%.*s",
                         used ? "," : "", (int)n, p);
                p += n + 1;
        }
        return parse_list("isolcpus", p, iso->isolcpus, d);
}

int isolation_parse(struct isolation *iso, const char *cmdline, struct diag *d) {
        _cleanup_free_ char *copy = strdup(cmdline);
        if (!copy)
                return -ENOMEM;

        /* Everything after a lone "--" is for init, not the kernel. */
        for (char *p = copy; (p = strstr(p, "--")) != NULL; p += 2)
                if ((p == copy || p[-1] == ' ') && (p[2] == ' ' || p[2] == '\0')) {
                        *p = '\0';
                        break;
                }
        size_t n = strlen(copy);
        while (n > 0 && (copy[n - 1] == ' ' || copy[n - 1] == '\n'))
                copy[--n] = '\0';

        hwloc_bitmap_zero(iso->isolcpus);
        hwloc_bitmap_zero(iso->nohz_full);
        hwloc_bitmap_zero(iso->rcu_nocbs);
        hwloc_bitmap_zero(iso->irqaffinity);
        iso->rcu_nocbs_all = false;
        iso->isolcpus_flags[0] = '\0';

        _cleanup_free_ char *work = strdup(copy);
        if (!work)
                return -ENOMEM;
        char *save = NULL;
        for (char *tok = strtok_r(work, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
                char *eq = strchr(tok, '=');
                const char *value = eq ? eq + 1 : NULL;
                if (eq)
                        *eq = '\0';
                /* The kernel allows quoting a value: param="a b". */
                _cleanup_free_ char *unq = NULL;
                if (value && value[0] == '"') {
                        unq = strndup(value + 1, strcspn(value + 1, "\""));
                        if (!unq)
                                return -ENOMEM;
                        value = unq;
                }
                int r = 0;
                if (strcmp(tok, "isolcpus") == 0 && value)
                        r = parse_isolcpus(iso, value, d);
                else if (strcmp(tok, "nohz_full") == 0 && value)
                        r = parse_list("nohz_full", value, iso->nohz_full, d);
                else if (strcmp(tok, "rcu_nocbs") == 0) {
                        if (value && *value)
                                r = parse_list("rcu_nocbs", value, iso->rcu_nocbs, d);
                        else
                                iso->rcu_nocbs_all = true;
                } else if (strcmp(tok, "irqaffinity") == 0 && value)
                        r = parse_list("irqaffinity", value, iso->irqaffinity, d);
                if (r < 0)
                        return r;
        }
        free(iso->cmdline);
        iso->cmdline = TAKE_PTR(copy);
        iso->known = true;
        return 0;
}

int isolation_read(struct isolation *iso, const char *path, struct diag *d) {
        _cleanup_free_ char *text = NULL;
        int r = read_small_file(path, &text);
        if (r < 0)
                return diag_set(d, r, "cannot read the kernel command line from %s: %s", path, strerror(-r));
        return isolation_parse(iso, text, d);
}

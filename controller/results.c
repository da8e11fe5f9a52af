/* results — see results.h. */
#include "controller/results.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "topology/plan.h"
#include "base/util.h"

int results_is_name(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 64)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
                        return 0;
        return 1;
}

static bool one_of(const char *s, const char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, v[i]) == 0)
                        return true;
        return false;
}

/* The value at key of o, when present, must be a string in v (or, with v NULL, a name). */
static int check(json_t *o, const char *key, const char *const *v, size_t n, const char *where, struct diag *d) {
        json_t *j = json_object_get(o, key);
        if (!j || json_is_null(j))
                return 0;
        const char *s = json_string_value(j);
        if (s && (v ? one_of(s, v, n) : results_is_name(s)))
                return 0;
        return diag_set(d, -EINVAL, "%s: %s is not a value isolab writes (%.40s%s); the file was not written by isolab or "
                                    "was changed since",
                        where, key, s ? s : "not a string", s && strlen(s) > 40 ? "..." : "");
}

int results_check_trial(json_t *t, const char *file, unsigned line, struct diag *d) {
        static const char *const nfs[] = { "isolab-nf", "testpmd", "ovs-dpdk", "none" };
        static const char *const pins[] = { "pinned", "unpinned" };
        static const char *const kinds[] = { "search" };
        static const char *const methods[] = { "mrr", "ndr", "pdr", "ndr-pdr" };
        const char *places[_NOISE_PLACEMENT_MAX];
        size_t np = 0;
        for (int p = 0; p < _NOISE_PLACEMENT_MAX; p++)
                if (noise_placement_to_string((enum noise_placement)p))
                        places[np++] = noise_placement_to_string((enum noise_placement)p);
        char where[600];
        snprintf(where, sizeof(where), "%.560s:%u", file, line);
        if (!json_is_object(t))
                return diag_set(d, -EINVAL, "%s: not a JSON object", where);
        int r;
        if ((r = check(t, "nf_under_test", nfs, ELEMENTSOF(nfs), where, d)) < 0 ||
            (r = check(t, "pinning", pins, ELEMENTSOF(pins), where, d)) < 0 ||
            (r = check(t, "kind", kinds, ELEMENTSOF(kinds), where, d)) < 0 ||
            (r = check(t, "method", methods, ELEMENTSOF(methods), where, d)) < 0 ||
            (r = check(json_object_get(t, "search"), "method", methods, ELEMENTSOF(methods), where, d)) < 0 ||
            (r = check(json_object_get(t, "latency_at"), "of", methods, ELEMENTSOF(methods), where, d)) < 0)
                return r;
        json_t *nb = json_object_get(t, "neighbour");
        if (json_is_object(nb) &&
            ((r = check(nb, "name", NULL, 0, where, d)) < 0 || (r = check(nb, "workload", NULL, 0, where, d)) < 0 ||
             (r = check(nb, "placement", places, np, where, d)) < 0))
                return r;
        if (nb && !json_is_object(nb) && !json_is_null(nb) && !json_is_string(nb))
                return diag_set(d, -EINVAL, "%s: neighbour is not an object", where);
        return 0;
}

/* A host name: letters, digits, '-' and '.', at most 253. */
static bool hostname_ok(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 253)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '.'))
                        return false;
        return true;
}

int results_check_run(json_t *run, const char *file, struct diag *d) {
        if (!json_is_object(run))
                return diag_set(d, -EINVAL, "%s: not a JSON object", file);
        const char *host = json_string_value(json_object_get(json_object_get(run, "host"), "name"));
        if (host && !hostname_ok(host))
                return diag_set(d, -EINVAL, "%s: host.name is not a host name; the file was not written by isolab or was "
                                            "changed since",
                                file);
        const char *started = json_string_value(json_object_get(run, "started"));
        for (const char *c = started; c && *c; c++)
                if (!((*c >= '0' && *c <= '9') || *c == 'T' || *c == 'Z'))
                        return diag_set(d, -EINVAL, "%s: started is not a UTC time isolab writes", file);
        json_t *cfg = json_object_get(run, "config");
        static const char *const links[] = { "vhost", "memif", "pci" };
        char where[600];
        snprintf(where, sizeof(where), "%.560s (config)", file);
        int r = check(cfg, "link_used", links, ELEMENTSOF(links), where, d);
        if (r < 0)
                return r;
        /* config.nf is a list of NF kinds: "isolab-nf,testpmd". */
        const char *nf = json_string_value(json_object_get(cfg, "nf"));
        for (const char *c = nf; c && *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || *c == '-' || *c == ','))
                        return diag_set(d, -EINVAL, "%s: nf is not a list of NF kinds isolab writes", where);
        return 0;
}

/* nfwork — the per-packet work spec (nfwork.h). */
#include "agents/common/nfwork.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

int nf_work_parse(const char *opt, const char *spec, struct nf_work *w, char *err, size_t len) {
        *w = (struct nf_work){ 0 };
        char buf[128];
        if (!spec || strlen(spec) >= sizeof(buf)) {
                snprintf(err, len, "--%s: give reads=N,writes=N,table=SIZE (e.g. reads=4,writes=1,table=8M)", opt);
                return -EINVAL;
        }
        snprintf(buf, sizeof(buf), "%s", spec);
        bool seen[3] = { false, false, false };
        char *save = NULL;
        for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                int k = !eq ? -1 : !strncmp(kv, "reads", (size_t)(eq - kv)) && eq - kv == 5 ? 0
                                 : !strncmp(kv, "writes", (size_t)(eq - kv)) && eq - kv == 6 ? 1
                                 : !strncmp(kv, "table", (size_t)(eq - kv)) && eq - kv == 5 ? 2
                                                                                                : -1;
                if (k < 0 || seen[k]) {
                        snprintf(err, len, "--%s %s: \"%s\" is not one of reads=N, writes=N, table=SIZE (each once)",
                                 opt, spec, kv);
                        return -EINVAL;
                }
                seen[k] = true;
                uint64_t v;
                if (k < 2) {
                        if (parse_u64(eq + 1, &v) < 0 || v > NF_WORK_MAX_OPS) {
                                snprintf(err, len, "--%s %s: %.*s must be a whole number from 0 to %d", opt, spec,
                                         (int)(eq - kv), kv, NF_WORK_MAX_OPS);
                                return -EINVAL;
                        }
                        *(k == 0 ? &w->reads : &w->writes) = (unsigned)v;
                } else {
                        if (parse_size(eq + 1, &v) < 0 || v < NF_WORK_MIN_TABLE || v > NF_WORK_MAX_TABLE) {
                                snprintf(err, len, "--%s %s: table must be a size from 4K to 4G (e.g. table=8M)", opt, spec);
                                return -EINVAL;
                        }
                        w->table = v;
                }
        }
        if (!seen[2] || w->reads + w->writes == 0) {
                snprintf(err, len, "--%s %s: give the table and at least one read or write (e.g. reads=4,writes=1,table=8M)",
                         opt, spec);
                return -EINVAL;
        }
        return 0;
}

void nf_work_format(const struct nf_work *w, char *buf, size_t len) {
        snprintf(buf, len, "reads=%u,writes=%u,table=%" PRIu64, w->reads, w->writes, w->table);
}

void nf_work_describe(const struct nf_work *w, char *buf, size_t len) {
        char sz[32];
        format_size(w->table, sz, sizeof(sz));
        snprintf(buf, len, "%u random read%s and %u write%s per packet in a table of %s per PMD", w->reads,
                 w->reads == 1 ? "" : "s", w->writes, w->writes == 1 ? "" : "s", sz);
}

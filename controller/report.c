/* report — a run's tables from its model: the renderers' table, the order of the tables,
 * and a report written into the results directory (runmodel.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agents/common/nfwork.h"
#include "controller/runmodel.h"

const model_renderer model_renderers[_TABLE_MAX][_FORMAT_MAX] = {
        [TABLE_SWEEP] = { report_sweep_text, report_sweep_csv, report_sweep_json },
        [TABLE_NOISY] = { report_noisy_text, report_noisy_csv, report_noisy_json },
        [TABLE_SEARCH] = { report_search_text, report_search_csv, report_search_json },
};

/* A run's lines of different kinds are all reported: the searches' table, then the table
 * of its plain trials (one search line does not hide the rest).  The run's warnings
 * (placement mismatches, no hugepages, compromises of the plan) go above the first. */
int model_render(FILE *f, const struct run_model *m, enum model_format fmt) {
        bool searches = m->searches;
        bool plain = m->table[TABLE_SWEEP].n > 0 || m->neighbours;
        json_t *doc = json_object(), *warnings = m->warnings;
        /* What the NF did per packet (--nf-work), from the numbers run.json recorded: a
         * rate with a working set is not a bare forwarder's. */
        json_t *wj = json_object_get(m->run, "nf_work");
        struct nf_work w = { .reads = (unsigned)json_integer_value(json_object_get(wj, "reads")),
                             .writes = (unsigned)json_integer_value(json_object_get(wj, "writes")),
                             .table = (uint64_t)json_integer_value(json_object_get(wj, "table_bytes")) };
        if (w.table && w.reads <= NF_WORK_MAX_OPS && w.writes <= NF_WORK_MAX_OPS) {
                char what[160];
                nf_work_describe(&w, what, sizeof(what));
                if (fmt == FORMAT_TEXT)
                        fprintf(f, "NF work: %s (--nf-work)\n", what);
                else if (fmt == FORMAT_JSON)
                        json_object_set_new(doc, "nf_work", json_pack("{s:i, s:i, s:I}", "reads", w.reads, "writes", w.writes,
                                                                      "table_bytes", (json_int_t)w.table));
        }
        if (searches) {
                model_renderers[TABLE_SEARCH][fmt](f, m, warnings, doc);
                if (plain && fmt != FORMAT_JSON)
                        fputc('\n', f);
                warnings = NULL; /* said above */
        }
        if (plain || !searches)
                model_renderers[m->neighbours ? TABLE_NOISY : TABLE_SWEEP][fmt](f, m, warnings, doc);
        if (fmt == FORMAT_JSON) {
                json_object_set_new(doc, "warnings", m->warnings ? json_incref(m->warnings) : json_array());
                json_dumpf(doc, f, JSON_INDENT(2));
                fputc('\n', f);
        }
        json_decref(doc);
        return ferror(f) ? -EIO : 0;
}

int model_write(const struct run_model *m, const struct resdir *rd, const char *name, enum model_format fmt,
                struct diag *d) {
        int fd = resdir_replace_begin(rd, name, d);
        if (fd < 0)
                return fd;
        FILE *f = fdopen(dup(fd), "w");
        int r = f ? model_render(f, m, fmt) : -errno;
        if (f && fclose(f) != 0 && r == 0)
                r = -EIO;
        if (r < 0) {
                resdir_replace_abort(rd, name, fd);
                return diag_set(d, r, "cannot write %s/%s: %s", rd->path, name, strerror(-r));
        }
        return resdir_replace_commit(rd, name, fd, d);
}

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

/* The generator's floor (run.json "floor", floor.c): what no NF can beat here, printed
 * above the results with its window and sample count; a run of an older isolab has none. */
static void render_floor(FILE *f, const struct run_model *m, enum model_format fmt, json_t *doc) {
        /* --gen-host: where the generator ran, and what its latency is. */
        json_t *gh = json_object_get(m->run, "gen_host");
        if (json_is_object(gh) && fmt == FORMAT_TEXT)
                fprintf(f, "Generator on %s (%s, kernel %s, %s%s); latency: %s\n",
                        json_string_value(json_object_get(gh, "host")) ?: "?",
                        json_string_value(json_object_get(gh, "name")) ?: "?", json_string_value(json_object_get(gh, "kernel")) ?: "?",
                        json_string_value(json_object_get(gh, "dpdk")) ?: "?",
                        json_is_true(json_object_get(gh, "same_machine")) ? "; this very machine" : "",
                        json_string_value(json_object_get(gh, "latency")) ?: "?");
        else if (json_is_object(gh) && fmt == FORMAT_JSON)
                json_object_set_new(doc, "gen_host", json_pack("{s:O?, s:O?}", "host", json_object_get(gh, "host"), "latency",
                                                               json_object_get(gh, "latency")));
        json_t *fl = json_object_get(m->run, "floor");
        if (!json_is_object(fl))
                return;
        if (fmt == FORMAT_JSON) {
                json_object_set(doc, "floor", fl);
                return;
        }
        if (fmt != FORMAT_TEXT)
                return;
        const char *why = json_string_value(json_object_get(fl, "skipped")) ?: json_string_value(json_object_get(fl, "failed"));
        if (why) {
                fprintf(f, "Generator floor: not measured (%s)\n", why);
                return;
        }
        json_t *lat = json_object_get(fl, "latency"), *rate = json_object_get(fl, "rate");
        char rs[32];
        if (json_is_string(rate))
                snprintf(rs, sizeof(rs), "%s", json_string_value(rate));
        else
                snprintf(rs, sizeof(rs), "%.0f pps", json_number_value(rate));
        fprintf(f,
                "Generator floor (no NF, its port looped back; %.1f s at %lld B, rate %s): %.3f Mpps%s, loss %.2f %%, latency "
                "min %.1f / p50 %.1f / p99 %.1f / max %.1f us over %lld packets%s\n",
                json_number_value(json_object_get(fl, "window_s")), (long long)json_integer_value(json_object_get(fl, "frame_size")),
                rs, json_number_value(json_object_get(fl, "mpps")),
                json_is_true(json_object_get(fl, "generator_shortfall")) ? " (its ceiling: it could not offer more)" : "",
                100 * json_number_value(json_object_get(fl, "loss_ratio")), json_number_value(json_object_get(lat, "min_ns")) / 1e3,
                json_number_value(json_object_get(lat, "p50_ns")) / 1e3, json_number_value(json_object_get(lat, "p99_ns")) / 1e3,
                json_number_value(json_object_get(lat, "max_ns")) / 1e3,
                (long long)json_integer_value(json_object_get(lat, "samples")),
                json_is_true(json_object_get(fl, "generator_stalled")) ? "; the generator stalled in it" : "");
}

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
        render_floor(f, m, fmt, doc);
        if (searches) {
                model_renderers[TABLE_SEARCH][fmt](f, m, warnings, doc);
                if (fmt == FORMAT_TEXT)
                        report_latency_at_text(f, m);
                else if (fmt == FORMAT_JSON)
                        report_latency_at_json(m, doc);
                if (plain && fmt != FORMAT_JSON)
                        fputc('\n', f);
                warnings = NULL; /* said above */
        }
        if (plain || !searches)
                model_renderers[m->neighbours ? TABLE_NOISY : TABLE_SWEEP][fmt](f, m, warnings, doc);
        if (fmt == FORMAT_TEXT)
                report_study_text(f, m);
        else if (fmt == FORMAT_JSON) {
                json_t *st = report_study_json(m);
                if (st)
                        json_object_set_new(doc, "study", st);
        }
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

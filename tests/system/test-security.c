/* isolab as root on a machine shared with other users: the attacks and races of the
 * hostile test (issue "Security and concurrency"), each reproduced.  The unprivileged
 * user is `nobody`; the file it tries to get root to write is root's own, in a
 * directory only root can write.  Every refusal must come before anything changes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controller/cgroup.h"
#include "tests/system/ownrun.h"
#include "tests/system/sysfix.h"

static char tmp[] = "/tmp/isolab-sec-XXXXXX";
static char victim_dir[300], victim[400];
static uid_t nobody = 65534;
static gid_t nogroup = 65534;

static void put(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        fputs(text, f);
        fclose(f);
}

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return strdup("");
        char *buf = NULL;
        size_t cap = 0;
        if (getdelim(&buf, &cap, '\0', f) < 0) {
                free(buf);
                buf = strdup("");
        }
        fclose(f);
        return buf;
}

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: the attacks are on what isolab does as root");
        cr_assert_not_null(mkdtemp(tmp));
        chmod(tmp, 0755);
        struct passwd *pw = getpwnam("nobody");
        if (pw) {
                nobody = pw->pw_uid;
                nogroup = pw->pw_gid;
        }
        /* root's precious file, in a directory only root can write */
        snprintf(victim_dir, sizeof(victim_dir), "%s/root-only", tmp);
        cr_assert_eq(mkdir(victim_dir, 0755), 0);
        snprintf(victim, sizeof(victim), "%s/precious", victim_dir);
        put(victim, "precious\n");
}

static void teardown(void) {
        sysfix_rm_rf(tmp);
}

TestSuite(security, .init = setup, .fini = teardown, .timeout = 120);

/* Runs build/isolab with args (NULL-terminated) and a shell-free argv; stderr to err. */
static int isolab(const char *err_path, const char *const args[]) {
        const char *av[32] = { ISOLAB_BUILD "/isolab" };
        size_t n = 1;
        for (size_t i = 0; args[i] && n < 31; i++)
                av[n++] = args[i];
        av[n] = NULL;
        pid_t pid = fork();
        if (pid == 0) {
                int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(fd, 2);
                execv(av[0], (char *const *)av);
                _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Starts isolab sweep --cpu-quota Q --duration D --warmup 0.2s --out OUT quietly, as
 * this test's run; returns its pid. */
static pid_t start_run(const char *quotas, const char *duration, const char *out) {
        pid_t pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execl(ISOLAB_BUILD "/isolab", "isolab", "sweep", "--cpu-quota", quotas, "--duration", duration, "--warmup",
                      "0.2s", "--out", out, (char *)NULL);
                _exit(127);
        }
        if (pid > 0)
                ownrun_add_pid(pid);
        return pid;
}

static void expect_victim_untouched(void) {
        char *v = slurp(victim);
        cr_expect_str_eq(v, "precious\n", "root's file was written through a planted link: %s", v);
        free(v);
}

static void expect_refused(int rc, const char *err_path, const char *needle) {
        char *err = slurp(err_path);
        cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
        cr_expect(strstr(err, needle) != NULL, "\"%s\" not in: %s", needle, err);
        free(err);
}

/* A results directory owned by another user, with symlinks planted as the run's files:
 * refused with one sentence, and root's file is not written. */
Test(security, out_owned_by_another_user_with_planted_links) {
        char dir[400], link[500], err[400];
        snprintf(dir, sizeof(dir), "%s/users-results", tmp);
        cr_assert_eq(mkdir(dir, 0755), 0);
        const char *names[] = { "gen.log", "nf.log", "trials.jsonl", "run.json", "report.txt" };
        for (size_t i = 0; i < 5; i++) {
                snprintf(link, sizeof(link), "%s/%s", dir, names[i]);
                cr_assert_eq(symlink(victim, link), 0);
                (void)!lchown(link, nobody, nogroup);
        }
        cr_assert_eq(chown(dir, nobody, nogroup), 0);
        snprintf(err, sizeof(err), "%s/err", tmp);
        const char *args[] = { "sweep", "--cpu-quota", "100", "--duration", "0.2s", "--out", dir, NULL };
        expect_refused(isolab(err, args), err, "owns it");
        expect_victim_untouched();
}

/* The same links in a directory root owns but anyone can write. */
Test(security, out_writable_by_anyone) {
        char dir[400], link[500], err[400];
        snprintf(dir, sizeof(dir), "%s/world", tmp);
        cr_assert_eq(mkdir(dir, 0777), 0);
        chmod(dir, 0777);
        snprintf(link, sizeof(link), "%s/trials.jsonl", dir);
        cr_assert_eq(symlink(victim, link), 0);
        snprintf(err, sizeof(err), "%s/err", tmp);
        const char *args[] = { "sweep", "--cpu-quota", "100", "--duration", "0.2s", "--out", dir, NULL };
        expect_refused(isolab(err, args), err, "anyone can write it");
        expect_victim_untouched();
}

/* --out through a symlink another user planted (to a directory root writes). */
Test(security, out_through_a_users_symlink) {
        char home[400], link[500], out[600], err[400];
        snprintf(home, sizeof(home), "%s/home", tmp);
        cr_assert_eq(mkdir(home, 0755), 0);
        cr_assert_eq(chown(home, nobody, nogroup), 0);
        snprintf(link, sizeof(link), "%s/results", home);
        cr_assert_eq(symlink(victim_dir, link), 0);
        cr_assert_eq(lchown(link, nobody, nogroup), 0);
        snprintf(out, sizeof(out), "%s/run", link);
        snprintf(err, sizeof(err), "%s/err", tmp);
        const char *args[] = { "sweep", "--cpu-quota", "100", "--duration", "0.2s", "--out", out, NULL };
        expect_refused(isolab(err, args), err, "is a symbolic link");
        struct stat st;
        char made[500];
        snprintf(made, sizeof(made), "%s/run", victim_dir);
        cr_expect_neq(stat(made, &st), 0, "root made a directory where the user's link pointed");
        expect_victim_untouched();
}

/* The default results/ when root runs in a user's checkout whose results is a link. */
Test(security, default_results_in_a_users_checkout) {
        char checkout[400], link[500], err[400];
        snprintf(checkout, sizeof(checkout), "%s/checkout", tmp);
        cr_assert_eq(mkdir(checkout, 0755), 0);
        cr_assert_eq(chown(checkout, nobody, nogroup), 0);
        snprintf(link, sizeof(link), "%s/results", checkout);
        cr_assert_eq(symlink(victim_dir, link), 0);
        cr_assert_eq(lchown(link, nobody, nogroup), 0);
        snprintf(err, sizeof(err), "%s/err", tmp);
        pid_t pid = fork();
        if (pid == 0) {
                if (chdir(checkout) < 0)
                        _exit(126);
                int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                dup2(fd, 2);
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                execl(ISOLAB_BUILD "/isolab", "isolab", "sweep", "--cpu-quota", "100", "--duration", "0.2s", (char *)NULL);
                _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        expect_refused(WEXITSTATUS(st), err, "is a symbolic link");
        expect_victim_untouched();
}

/* --resume of a run whose run.json another user can write: its exec neighbour's
 * command would run as root.  Refused; the command never runs. */
Test(security, resume_from_a_run_json_another_user_can_write) {
        char dir[400], path[500], err[400], flag[400];
        snprintf(dir, sizeof(dir), "%s/resume", tmp);
        cr_assert_eq(mkdir(dir, 0755), 0);
        snprintf(flag, sizeof(flag), "%s/ran-as-root", tmp);
        snprintf(path, sizeof(path), "%s/run.json", dir);
        char text[1200];
        snprintf(text, sizeof(text),
                 "{\"config\": {\"cpu_quota_pct\": [100], \"noise\": \"exec\", \"noise-cmd\": \"touch %s\"}}\n", flag);
        put(path, text);
        cr_assert_eq(chown(path, nobody, nogroup), 0);
        snprintf(path, sizeof(path), "%s/trials.jsonl", dir);
        put(path, "");
        snprintf(err, sizeof(err), "%s/err", tmp);
        const char *args[] = { "sweep", "--resume", dir, NULL };
        expect_refused(isolab(err, args), err, "user");
        struct stat st;
        cr_expect_neq(stat(flag, &st), 0, "the run.json's command ran as root");
}

/* A results directory that already holds a run: a second run into it is refused
 * (unless --resume names it), and its records are untouched. */
Test(security, same_out_twice_is_refused) {
        char dir[400], path[500], err[400];
        snprintf(dir, sizeof(dir), "%s/done", tmp);
        cr_assert_eq(mkdir(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/trials.jsonl", dir);
        put(path, "{\"index\":0}\n");
        snprintf(path, sizeof(path), "%s/run.json", dir);
        put(path, "{\"run\":\"earlier\"}\n");
        snprintf(err, sizeof(err), "%s/err", tmp);
        const char *args[] = { "sweep", "--cpu-quota", "100", "--duration", "0.2s", "--out", dir, NULL };
        expect_refused(isolab(err, args), err, "already holds a run");
        snprintf(path, sizeof(path), "%s/trials.jsonl", dir);
        char *t = slurp(path);
        cr_expect_str_eq(t, "{\"index\":0}\n");
        free(t);
}

/* A scenario that is not a regular file: /dev/zero, a FIFO and a directory are refused
 * at once instead of hanging or running the defaults. */
Test(security, scenario_must_be_a_regular_file) {
        char fifo[400], err[400];
        snprintf(fifo, sizeof(fifo), "%s/fifo.ini", tmp);
        cr_assert_eq(mkfifo(fifo, 0644), 0);
        snprintf(err, sizeof(err), "%s/err", tmp);
        const char *const files[] = { "/dev/zero", fifo, tmp };
        for (size_t i = 0; i < 3; i++) {
                const char *args[] = { "run", files[i], "--dry-run", NULL };
                expect_refused(isolab(err, args), err, "give an INI file");
        }
}

/* Two runs at once: the second is refused before it changes anything, naming the
 * live run and its pid; the first goes on and ends well. */
Test(security, a_second_run_is_refused_while_one_runs, .timeout = 180) {
        int lock = sysfix_lock(); /* the sweep tests change the same hugepages */
        ownrun_reset();
        char out_a[400], out_b[400], err[400];
        snprintf(out_a, sizeof(out_a), "%s/a", tmp);
        snprintf(out_b, sizeof(out_b), "%s/b", tmp);
        snprintf(err, sizeof(err), "%s/err", tmp);
        long nr = sysfix_read_long(SYSFIX_NR_2M);
        pid_t a = start_run("100,50", "1s", out_a);
        /* Wait until A holds the lock (its run directory exists), then start B. */
        char *lock_text = NULL;
        for (int i = 0; i < 200; i++) {
                free(lock_text);
                lock_text = slurp("/run/isolab/lock");
                char want[32];
                snprintf(want, sizeof(want), " %d\n", (int)a);
                if (strstr(lock_text, want))
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        free(lock_text);
        const char *args[] = { "sweep", "--cpu-quota", "100", "--duration", "0.2s", "--out", out_b, NULL };
        int rc = isolab(err, args);
        char needle[64];
        snprintf(needle, sizeof(needle), "(pid %d) is running on this machine", (int)a);
        expect_refused(rc, err, needle);
        struct stat st;
        cr_expect_neq(stat(out_b, &st), 0, "the refused run made its results directory");
        int status;
        cr_assert_eq(waitpid(a, &status, 0), a);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run A failed (status %#x)", status);
        cr_expect_eq(sysfix_read_long(SYSFIX_NR_2M), nr, "the hugepage reservation was not restored");
        sysfix_unlock(lock);
}

/* `isolab cleanup` racing with a run's start (and middle): it never takes a live run's
 * leftovers; the run ends well and leaves nothing. */
Test(security, cleanup_racing_a_starting_run_leaves_it_alone, .timeout = 180) {
        int lock = sysfix_lock();
        ownrun_reset();
        char out_a[400];
        snprintf(out_a, sizeof(out_a), "%s/a", tmp);
        long nr = sysfix_read_long(SYSFIX_NR_2M);
        pid_t a = start_run("100,50", "0.5s", out_a);
        /* cleanup every 20 ms through the start and the first trials */
        int status = 0, cleanups = 0;
        while (waitpid(a, &status, WNOHANG) == 0 && cleanups < 150) {
                pid_t c = fork();
                if (c == 0) {
                        int null = open("/dev/null", O_WRONLY);
                        dup2(null, 1);
                        dup2(null, 2);
                        execl(ISOLAB_BUILD "/isolab", "isolab", "cleanup", "--quiet", (char *)NULL);
                        _exit(127);
                }
                waitpid(c, NULL, 0);
                cleanups++;
                nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
        }
        if (waitpid(a, &status, 0) != a && !WIFEXITED(status))
                cr_assert_fail("run A did not end");
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run A failed with cleanups racing it (status %#x)", status);
        cr_expect_gt(cleanups, 5);
        cr_expect_eq(sysfix_read_long(SYSFIX_NR_2M), nr, "the hugepage reservation was not restored");
        sysfix_unlock(lock);
}

/* After a kill -9, the next run first replays what the dead one left, then reads the
 * reservation: it must not adopt the dead run's pages as its baseline. */
Test(security, the_run_after_a_kill_9_restores_the_reservation, .timeout = 180) {
        int lock = sysfix_lock();
        ownrun_reset();
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        char out_a[400], out_b[400];
        snprintf(out_a, sizeof(out_a), "%s/a", tmp);
        snprintf(out_b, sizeof(out_b), "%s/b", tmp);
        long nr = sysfix_read_long(SYSFIX_NR_2M);
        pid_t a = start_run("100,50,25", "1s", out_a);
        char trials[500];
        snprintf(trials, sizeof(trials), "%s/trials.jsonl", out_a);
        struct stat st = { 0 };
        for (int i = 0; i < 600 && (stat(trials, &st) < 0 || st.st_size == 0); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        cr_assert_gt(st.st_size, 0, "run A measured nothing in 30 s");
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        cr_expect_gt(sysfix_read_long(SYSFIX_NR_2M), nr, "the killed run should have left its pages");
        pid_t b = start_run("100", "0.3s", out_b);
        int status;
        cr_assert_eq(waitpid(b, &status, 0), b);
        while (waitpid(-1, NULL, WNOHANG) > 0) /* the dead run's agents, killed by B's replay */
                ;
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run B failed (status %#x)", status);
        cr_expect_eq(sysfix_read_long(SYSFIX_NR_2M), nr, "the reservation is %ld, not the %ld it was before both runs",
                     sysfix_read_long(SYSFIX_NR_2M), nr);
        char path[500];
        snprintf(path, sizeof(path), "%s/run.json", out_b);
        json_t *run = json_load_file(path, 0, NULL);
        json_t *hp = json_object_get(run, "hugepages");
        cr_expect_eq(json_integer_value(json_object_get(hp, "found_total")), nr, "run B counted the dead run's pages");
        cr_expect_eq(json_integer_value(json_object_get(hp, "added")), json_integer_value(json_object_get(hp, "returned")));
        json_decref(run);
        struct cg_mounts m;
        struct diag d = { 0 };
        cr_assert_eq(cg_detect(&m, &d), 0, "%s", d.msg);
        char *left = ownrun_leftovers(m.cpu_root, m.cpuset_root, m.cpuacct_root);
        cr_expect_null(left, "left behind: %s", left);
        free(left);
        sysfix_unlock(lock);
}

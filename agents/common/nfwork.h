/* nfwork — the NF's optional per-packet work, modelled on testpmd's noisy VNF mode: N
 * random reads and M random writes per packet into a table of T bytes per PMD lcore, so
 * that a bare forwarder becomes an NF with a working set (--nf-work reads=4,writes=1,
 * table=8M).  The spec's parser and printer are here, with no DPDK: isolab-nf does the
 * work, the controller checks the spec and maps it onto testpmd's --noisy-lkup-*. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define NF_WORK_MAX_OPS 64                  /* reads or writes per packet */
#define NF_WORK_MIN_TABLE 4096ULL
#define NF_WORK_MAX_TABLE (4ULL << 30)

struct nf_work {
        unsigned reads, writes;
        uint64_t table; /* bytes; 0: no work */
};

/* "reads=N,writes=N,table=SIZE" (any order, each at most once; SIZE as 8M, 64K, 1G).
 * Returns 0, or -EINVAL with one sentence in err naming --opt, what is wrong and the fix. */
int nf_work_parse(const char *opt, const char *spec, struct nf_work *w, char *err, size_t len);
/* The spec back, as isolab-nf's --work takes it: "reads=4,writes=1,table=8388608". */
void nf_work_format(const struct nf_work *w, char *buf, size_t len);
/* For people: "4 random reads and 1 write per packet in an 8 MiB table per PMD". */
void nf_work_describe(const struct nf_work *w, char *buf, size_t len);

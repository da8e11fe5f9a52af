/* nf — the NF kinds, and what their command lines share (nf.h). */
#include "controller/nf.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "controller/experiment.h"

/* The table: one entry per kind (each defined in its nf-KIND.c). */
extern const struct nf_ops nf_isolab, nf_testpmd, nf_ovs, nf_none;
const struct nf_ops *const nf_kinds[] = { &nf_isolab, &nf_testpmd, &nf_ovs, &nf_none };
const size_t n_nf_kinds = ELEMENTSOF(nf_kinds);

const struct nf_ops *nf_find(const char *name) {
        for (size_t i = 0; i < n_nf_kinds; i++)
                if (strcmp(nf_kinds[i]->name, name) == 0)
                        return nf_kinds[i];
        return NULL;
}

const char *nf_names(void) {
        static char list[256];
        if (!list[0])
                for (size_t i = 0; i < n_nf_kinds; i++)
                        join_or(list, sizeof(list), i, n_nf_kinds, nf_kinds[i]->name);
        return list;
}

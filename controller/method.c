/* method — the throughput methods' table (method.h). */
#include "controller/method.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

static const struct method *const methods[] = { &method_mrr, &method_ndr, &method_pdr, &method_ndr_pdr };

const struct method *method_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (strcmp(methods[i]->name, name) == 0)
                        return methods[i];
        return NULL;
}

const char *method_names(void) {
        static char list[128];
        if (!list[0])
                for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                        join_or(list, sizeof(list), i, ELEMENTSOF(methods), methods[i]->name);
        return list;
}

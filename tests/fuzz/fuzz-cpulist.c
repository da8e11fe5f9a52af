/* The kernel's CPU list syntax ("0-3,8,10-15:2") as cpulist_parse reads it. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "topology/cpulist.h"

int FUZZ_TARGET(cpulist) {
        char *s = malloc(size + 1);
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (s && set) {
                memcpy(s, data, size);
                s[size] = '\0';
                const char *why = NULL;
                size_t pos = 0;
                if (cpulist_parse(s, set, &why, &pos) == 0) {
                        char *back = cpulist_format(set);
                        free(back);
                }
        }
        hwloc_bitmap_free(set);
        free(s);
        return 0;
}

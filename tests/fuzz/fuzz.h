/* fuzz — libFuzzer targets (make fuzz) that are also replayed, seed corpus and every
 * crash ever found, by the unit tests (tests/unit/test-fuzz-corpus.c) under gcc.  A
 * target file defines FUZZ_TARGET(name): LLVMFuzzerTestOneInput in the fuzzer build
 * (-DISOLAB_FUZZ_MAIN), fuzz_<name> otherwise, so all of them link into one test. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef ISOLAB_FUZZ_MAIN
#define FUZZ_TARGET(name) LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) fuzz_##name(const uint8_t *data, size_t size)
#endif

int fuzz_scenario(const uint8_t *data, size_t size);
int fuzz_options(const uint8_t *data, size_t size);
int fuzz_proto(const uint8_t *data, size_t size);
int fuzz_cpulist(const uint8_t *data, size_t size);
int fuzz_plotquote(const uint8_t *data, size_t size);
int fuzz_results(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless s (n bytes) is one gnuplot single-quoted string on one line: every quote
 * inside doubled, no newline, carriage return, backquote, @ or NUL (fuzz-plotquote.c). */
static inline void fuzz_assert_one_quoted_string(const char *s, size_t n) {
        if (n < 2 || s[0] != '\'' || s[n - 1] != '\'')
                abort();
        for (size_t i = 1; i + 1 < n; i++) {
                if (s[i] == '\n' || s[i] == '\r' || s[i] == '`' || s[i] == '@' || s[i] == '\0')
                        abort();
                if (s[i] == '\'') {
                        if (i + 2 >= n || s[i + 1] != '\'')
                                abort(); /* a lone quote would end the string */
                        i++;
                }
        }
}

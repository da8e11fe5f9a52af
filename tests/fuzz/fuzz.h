/* fuzz — libFuzzer targets (make fuzz) that are also replayed, seed corpus and every
 * crash ever found, by the unit tests (tests/unit/test-fuzz-corpus.c) under gcc.  A
 * target file defines FUZZ_TARGET(name): LLVMFuzzerTestOneInput in the fuzzer build
 * (-DISOLAB_FUZZ_MAIN), fuzz_<name> otherwise, so all of them link into one test. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef ISOLAB_FUZZ_MAIN
#define FUZZ_TARGET(name) LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) fuzz_##name(const uint8_t *data, size_t size)
#endif

int fuzz_scenario(const uint8_t *data, size_t size);
int fuzz_options(const uint8_t *data, size_t size);
int fuzz_proto(const uint8_t *data, size_t size);
int fuzz_cpulist(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

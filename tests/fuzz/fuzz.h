/* The libFuzzer entry point every fuzz target defines.  `make fuzz` links a target with
 * libFuzzer (clang); `make check` links it with replay.c instead, so the seed corpus is
 * replayed under ASan+UBSan with gcc alone. */
#ifndef PCIPT_TESTS_FUZZ_H
#define PCIPT_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Called once per input; returns 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

// libFuzzer's driver entry point (in libclang_rt.fuzzer, linked by -sanitize=fuzzer).
//
// SwiftPM links a debug executable with `main` aliased to `<Module>_main`; each fuzz
// target defines that function and hands control to libFuzzer through this call.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

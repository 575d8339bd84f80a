#ifndef MEDIABATCH_FUZZ_MAIN_H
#define MEDIABATCH_FUZZ_MAIN_H

/// Runs libFuzzer's driver on this executable's LLVMFuzzerTestOneInput.
///
/// SwiftPM renames an executable's entry point to `<module>_main` and links `main` to it, so
/// libFuzzer's own `main` is not used: each target exports `<module>_main` (@_cdecl) and
/// calls this, which hands argc/argv to `LLVMFuzzerRunDriver` exactly as libFuzzer's main does.
int mediabatch_fuzz_main(int argc, char **argv);

#endif

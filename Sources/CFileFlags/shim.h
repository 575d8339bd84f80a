// Linux open(2) flags that Glibc's Swift overlay does not export (they sit behind
// _GNU_SOURCE and differ between architectures).
#ifndef MEDIABATCH_CFILEFLAGS_SHIM_H
#define MEDIABATCH_CFILEFLAGS_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>

static inline int mb_o_direct(void) {
#ifdef O_DIRECT
    return O_DIRECT;
#else
    return 0;
#endif
}

static inline int mb_o_tmpfile(void) {
#ifdef O_TMPFILE
    return O_TMPFILE;
#else
    return 0;
#endif
}
#endif

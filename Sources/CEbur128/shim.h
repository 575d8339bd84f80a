// libebur128, EBU R128 loudness of narrations. Its API imports as it is; this header only
// includes it. `scripts/bootstrap.sh` installs libebur128-dev.
#ifndef MEDIABATCH_CEBUR128_SHIM_H
#define MEDIABATCH_CEBUR128_SHIM_H
#include <ebur128.h>
#endif

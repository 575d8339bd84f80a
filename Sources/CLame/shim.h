// LAME, used by the fake server only: it encodes audible test tones as real mp3 frames so
// that the client's loudness measurement and gain changes meet real audio. (Debian ships no
// pkg-config file for it; `scripts/bootstrap.sh` installs libmp3lame-dev.)
#ifndef MEDIABATCH_CLAME_SHIM_H
#define MEDIABATCH_CLAME_SHIM_H
#include <lame/lame.h>
#endif

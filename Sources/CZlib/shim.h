// zlib, for the fake server's PNG encoder (deflate and crc32).
#ifndef MEDIABATCH_CZLIB_SHIM_H
#define MEDIABATCH_CZLIB_SHIM_H
#include <zlib.h>
#endif

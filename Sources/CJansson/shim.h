// jansson's type test is a macro: Swift needs a function.
#ifndef MEDIABATCH_CJANSSON_SHIM_H
#define MEDIABATCH_CJANSSON_SHIM_H
#include <jansson.h>

static inline json_type mb_json_typeof(const json_t *_Nonnull j) { return json_typeof(j); }
#endif

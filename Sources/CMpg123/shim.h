// libmpg123, to decode narration mp3s for loudness measurement: the one shim Swift needs
// (a handle set up for 32-bit float output, so peaks above full scale are not clipped in
// the measurement). `scripts/bootstrap.sh` installs libmpg123-dev.
#ifndef MEDIABATCH_CMPG123_SHIM_H
#define MEDIABATCH_CMPG123_SHIM_H
#include <mpg123.h>

/// A new decoder handle, quiet, that outputs 32-bit float samples at any rate, mono or
/// stereo; NULL when it cannot be made. The caller owns it (`mpg123_delete`).
static inline mpg123_handle *_Nullable mb_mpg123_new_float(void) {
    int error = 0;
    mpg123_handle *handle = mpg123_new(0, &error);
    if (handle == 0) return 0;
    mpg123_param(handle, MPG123_ADD_FLAGS, MPG123_QUIET, 0);
    mpg123_format_none(handle);
    const long *rates = 0;
    size_t count = 0;
    mpg123_rates(&rates, &count);
    for (size_t index = 0; index < count; index++) {
        mpg123_format(handle, rates[index], MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
    }
    return handle;
}
#endif

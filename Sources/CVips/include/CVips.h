// libvips, for the gallery's thumbnails and for shrinking oversized reference images (opt-in),
// behind the smallest functions Swift needs (vips_thumbnail, vips_resize, the savers and
// vips_image_new_from_file are variadic, which Swift cannot call).
//
// libvips is loaded with dlopen on first use, not linked: it brings ~100 shared libraries
// (GLib, librsvg, OpenEXR, HDF5, GnuTLS, ...) whose relocated pages cost every run ~15 MiB
// of memory although most runs never make a thumbnail. The few functions used are taken
// from its stable 8.x C API by name (`vips_loader.c`); `scripts/bootstrap.sh` installs it.
#ifndef MEDIABATCH_CVIPS_H
#define MEDIABATCH_CVIPS_H

#include <stddef.h>

typedef struct _VipsImage VipsImage;

/// Loads and starts libvips, once per process (any thread, any number of calls): 0 on
/// success. No operation cache (each image is read once), one worker thread per call (the
/// gallery runs calls on every core), and no run-time generated SIMD code (liborc): the
/// 2000-image benchmark crashed inside code liborc had generated.
int mb_vips_start(void);

/// Why `mb_vips_start` failed (the loader's message), or NULL after a success.
const char *_Nullable mb_vips_start_error(void);

// Each of the following requires a successful `mb_vips_start` first.

/// The image at `path`, its header read (pixels only when needed); NULL when it cannot be.
VipsImage *_Nullable mb_vips_open(const char *_Nonnull path);

/// A thumbnail of the file at `path` that fits `width` x `height`, never enlarged.
int mb_vips_thumbnail(const char *_Nonnull path, VipsImage *_Nullable *_Nonnull out, int width, int height);

/// `image` as a JPEG of quality `quality` at `path`, without metadata.
int mb_vips_save_jpeg(VipsImage *_Nonnull image, const char *_Nonnull path, int quality);

/// The image encoded in `length` bytes at `bytes`, which must outlive it; NULL when libvips
/// cannot read them.
VipsImage *_Nullable mb_vips_open_buffer(const void *_Nonnull bytes, size_t length);

/// `image` scaled by `scale` (both axes: the aspect is kept), with libvips' default kernel.
int mb_vips_resize(VipsImage *_Nonnull image, VipsImage *_Nullable *_Nonnull out, double scale);

/// `image` encoded as JPEG (quality `quality`, no metadata) or PNG (no metadata) into a
/// buffer libvips allocates: the caller frees it with `mb_vips_free`.
int mb_vips_jpeg_buffer(VipsImage *_Nonnull image, void *_Nullable *_Nonnull buffer, size_t *_Nonnull length, int quality);
int mb_vips_png_buffer(VipsImage *_Nonnull image, void *_Nullable *_Nonnull buffer, size_t *_Nonnull length);
void mb_vips_free(void *_Nullable buffer);

int mb_vips_has_alpha(VipsImage *_Nonnull image);
int mb_vips_width(VipsImage *_Nonnull image);
int mb_vips_height(VipsImage *_Nonnull image);
void mb_vips_release(VipsImage *_Nonnull image);
void mb_vips_error_clear(void);
#endif

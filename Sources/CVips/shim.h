// libvips, for the gallery's thumbnails and for shrinking oversized reference images (opt-in):
// the smallest shims Swift needs (vips_thumbnail, vips_resize, the savers and
// vips_image_new_from_file are variadic).
//
// The few declarations used are copied from <vips/vips.h> (libvips 8.x, a stable C API)
// instead of including it: its headers pull in GLib's, whose pkg-config flags (-pthread)
// SwiftPM refuses with a warning in every build. The library is found by the linker alone
// (libvips-dev installs the .so links); `scripts/bootstrap.sh` installs it.
#ifndef MEDIABATCH_CVIPS_SHIM_H
#define MEDIABATCH_CVIPS_SHIM_H

#include <stddef.h>

typedef struct _VipsImage VipsImage;

int vips_init(const char *argv0);
void vips_cache_set_max(int max);
void vips_concurrency_set(int concurrency);
void vips_vector_set_enabled(int enabled);
int vips_thumbnail(const char *filename, VipsImage **out, int width, ...);
int vips_jpegsave(VipsImage *in, const char *filename, ...);
VipsImage *vips_image_new_from_file(const char *name, ...);
VipsImage *vips_image_new_from_buffer(const void *buf, size_t len, const char *option_string, ...);
int vips_resize(VipsImage *in, VipsImage **out, double scale, ...);
int vips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_pngsave_buffer(VipsImage *in, void **buf, size_t *len, ...);
int vips_image_hasalpha(VipsImage *image);
void g_free(void *mem);
int vips_image_get_width(const VipsImage *image);
int vips_image_get_height(const VipsImage *image);
void vips_error_clear(void);
void g_object_unref(void *object);

/// Once per process, before any other call: 0 on success. No operation cache (each image
/// is read once), one worker thread per call (the gallery runs calls on every core), and no
/// run-time generated SIMD code (liborc): the 2000-image benchmark crashed inside code
/// liborc had generated, while thumbnails are a small part of a run's time.
static inline int mb_vips_start(void) {
    if (vips_init("mediabatch") != 0) return -1;
    vips_vector_set_enabled(0);
    vips_cache_set_max(0);
    vips_concurrency_set(1);
    return 0;
}

/// The image at `path`, its header read (pixels only when needed); NULL when it cannot be.
static inline VipsImage *_Nullable mb_vips_open(const char *_Nonnull path) {
    return vips_image_new_from_file(path, (void *)0);
}

/// A thumbnail of the file at `path` that fits `width` x `height`, never enlarged
/// ("size" takes VipsSize; VIPS_SIZE_DOWN is 2).
static inline int mb_vips_thumbnail(const char *_Nonnull path, VipsImage *_Nullable *_Nonnull out, int width, int height) {
    return vips_thumbnail(path, out, width, "height", height, "size", 2, (void *)0);
}

/// `image` as a JPEG of quality `quality` at `path`, without metadata ("strip" is a gboolean).
static inline int mb_vips_save_jpeg(VipsImage *_Nonnull image, const char *_Nonnull path, int quality) {
    return vips_jpegsave(image, path, "Q", quality, "strip", 1, (void *)0);
}

/// The image encoded in `length` bytes at `bytes`, which must outlive it; NULL when libvips
/// cannot read them.
static inline VipsImage *_Nullable mb_vips_open_buffer(const void *_Nonnull bytes, size_t length) {
    return vips_image_new_from_buffer(bytes, length, "", (void *)0);
}

/// `image` scaled by `scale` (both axes: the aspect is kept), with libvips' default kernel.
static inline int mb_vips_resize(VipsImage *_Nonnull image, VipsImage *_Nullable *_Nonnull out, double scale) {
    return vips_resize(image, out, scale, (void *)0);
}

/// `image` encoded as JPEG (quality `quality`, no metadata) or PNG (no metadata) into a buffer
/// libvips allocates: the caller frees it with `mb_vips_free`.
static inline int mb_vips_jpeg_buffer(VipsImage *_Nonnull image, void *_Nullable *_Nonnull buffer, size_t *_Nonnull length, int quality) {
    return vips_jpegsave_buffer(image, buffer, length, "Q", quality, "strip", 1, (void *)0);
}
static inline int mb_vips_png_buffer(VipsImage *_Nonnull image, void *_Nullable *_Nonnull buffer, size_t *_Nonnull length) {
    return vips_pngsave_buffer(image, buffer, length, "strip", 1, (void *)0);
}
static inline void mb_vips_free(void *_Nullable buffer) { g_free(buffer); }
static inline int mb_vips_has_alpha(VipsImage *_Nonnull image) { return vips_image_hasalpha(image); }

static inline int mb_vips_width(VipsImage *_Nonnull image) { return vips_image_get_width(image); }
static inline int mb_vips_height(VipsImage *_Nonnull image) { return vips_image_get_height(image); }
static inline void mb_vips_release(VipsImage *_Nonnull image) { g_object_unref(image); }
static inline void mb_vips_error_clear(void) { vips_error_clear(); }
#endif

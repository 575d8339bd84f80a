// libvips, for the gallery's thumbnails: the smallest shims Swift needs (vips_thumbnail,
// vips_jpegsave and vips_image_new_from_file are variadic).
//
// The few declarations used are copied from <vips/vips.h> (libvips 8.x, a stable C API)
// instead of including it: its headers pull in GLib's, whose pkg-config flags (-pthread)
// SwiftPM refuses with a warning in every build. The library is found by the linker alone
// (libvips-dev installs the .so links); `scripts/bootstrap.sh` installs it.
#ifndef MEDIABATCH_CVIPS_SHIM_H
#define MEDIABATCH_CVIPS_SHIM_H

typedef struct _VipsImage VipsImage;

int vips_init(const char *argv0);
void vips_cache_set_max(int max);
void vips_concurrency_set(int concurrency);
void vips_vector_set_enabled(int enabled);
int vips_thumbnail(const char *filename, VipsImage **out, int width, ...);
int vips_jpegsave(VipsImage *in, const char *filename, ...);
VipsImage *vips_image_new_from_file(const char *name, ...);
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

static inline int mb_vips_width(VipsImage *_Nonnull image) { return vips_image_get_width(image); }
static inline int mb_vips_height(VipsImage *_Nonnull image) { return vips_image_get_height(image); }
static inline void mb_vips_release(VipsImage *_Nonnull image) { g_object_unref(image); }
static inline void mb_vips_error_clear(void) { vips_error_clear(); }
#endif

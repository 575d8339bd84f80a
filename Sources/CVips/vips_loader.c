// libvips loaded on first use (see CVips.h for why). Every function is looked up once,
// under pthread_once; a missing library or symbol leaves mb_vips_start failing with the
// loader's message, and nothing else is called.
#include "CVips.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    int (*init)(const char *argv0);
    void (*cache_set_max)(int max);
    void (*concurrency_set)(int concurrency);
    void (*vector_set_enabled)(int enabled);
    int (*thumbnail)(const char *filename, VipsImage **out, int width, ...);
    int (*jpegsave)(VipsImage *in, const char *filename, ...);
    VipsImage *(*new_from_file)(const char *name, ...);
    VipsImage *(*new_from_buffer)(const void *buf, size_t len, const char *option_string, ...);
    int (*resize)(VipsImage *in, VipsImage **out, double scale, ...);
    int (*jpegsave_buffer)(VipsImage *in, void **buf, size_t *len, ...);
    int (*pngsave_buffer)(VipsImage *in, void **buf, size_t *len, ...);
    int (*hasalpha)(VipsImage *image);
    int (*get_width)(const VipsImage *image);
    int (*get_height)(const VipsImage *image);
    void (*error_clear)(void);
    void (*g_free)(void *mem);
    void (*g_object_unref)(void *object);
} vips;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int started = -1;
static char start_error[512];

static int look_up(void *library, const char *name, void *slot) {
    void *symbol = dlsym(library, name);
    if (!symbol) {
        snprintf(start_error, sizeof start_error, "libvips has no %s", name);
        return -1;
    }
    *(void **)slot = symbol;
    return 0;
}

static void load(void) {
    // The runtime library's soname first (libvips42), then the development link.
    void *library = dlopen("libvips.so.42", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libvips.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *reason = dlerror();
        snprintf(start_error, sizeof start_error, "libvips cannot be loaded (%s); scripts/bootstrap.sh installs it",
                 reason ? reason : "not found");
        return;
    }
    if (look_up(library, "vips_init", &vips.init) || look_up(library, "vips_cache_set_max", &vips.cache_set_max) ||
        look_up(library, "vips_concurrency_set", &vips.concurrency_set) ||
        look_up(library, "vips_vector_set_enabled", &vips.vector_set_enabled) ||
        look_up(library, "vips_thumbnail", &vips.thumbnail) || look_up(library, "vips_jpegsave", &vips.jpegsave) ||
        look_up(library, "vips_image_new_from_file", &vips.new_from_file) ||
        look_up(library, "vips_image_new_from_buffer", &vips.new_from_buffer) ||
        look_up(library, "vips_resize", &vips.resize) || look_up(library, "vips_jpegsave_buffer", &vips.jpegsave_buffer) ||
        look_up(library, "vips_pngsave_buffer", &vips.pngsave_buffer) ||
        look_up(library, "vips_image_hasalpha", &vips.hasalpha) ||
        look_up(library, "vips_image_get_width", &vips.get_width) ||
        look_up(library, "vips_image_get_height", &vips.get_height) ||
        look_up(library, "vips_error_clear", &vips.error_clear) || look_up(library, "g_free", &vips.g_free) ||
        look_up(library, "g_object_unref", &vips.g_object_unref)) {
        return;  // The library stays loaded: dlclose under a half-made table buys nothing.
    }
    if (vips.init("mediabatch") != 0) {
        snprintf(start_error, sizeof start_error, "libvips could not start");
        return;
    }
    vips.vector_set_enabled(0);
    vips.cache_set_max(0);
    vips.concurrency_set(1);
    started = 0;
}

int mb_vips_start(void) {
    pthread_once(&load_once, load);
    return started;
}

const char *mb_vips_start_error(void) {
    pthread_once(&load_once, load);
    return started == 0 ? NULL : start_error;
}

VipsImage *mb_vips_open(const char *path) { return vips.new_from_file(path, (void *)0); }

// "size" takes VipsSize; VIPS_SIZE_DOWN is 2.
int mb_vips_thumbnail(const char *path, VipsImage **out, int width, int height) {
    return vips.thumbnail(path, out, width, "height", height, "size", 2, (void *)0);
}

// "strip" is a gboolean.
int mb_vips_save_jpeg(VipsImage *image, const char *path, int quality) {
    return vips.jpegsave(image, path, "Q", quality, "strip", 1, (void *)0);
}

VipsImage *mb_vips_open_buffer(const void *bytes, size_t length) {
    return vips.new_from_buffer(bytes, length, "", (void *)0);
}

int mb_vips_resize(VipsImage *image, VipsImage **out, double scale) { return vips.resize(image, out, scale, (void *)0); }

int mb_vips_jpeg_buffer(VipsImage *image, void **buffer, size_t *length, int quality) {
    return vips.jpegsave_buffer(image, buffer, length, "Q", quality, "strip", 1, (void *)0);
}

int mb_vips_png_buffer(VipsImage *image, void **buffer, size_t *length) {
    return vips.pngsave_buffer(image, buffer, length, "strip", 1, (void *)0);
}

void mb_vips_free(void *buffer) {
    if (buffer) vips.g_free(buffer);
}

int mb_vips_has_alpha(VipsImage *image) { return vips.hasalpha(image); }
int mb_vips_width(VipsImage *image) { return vips.get_width(image); }
int mb_vips_height(VipsImage *image) { return vips.get_height(image); }
void mb_vips_release(VipsImage *image) { vips.g_object_unref(image); }
void mb_vips_error_clear(void) { vips.error_clear(); }

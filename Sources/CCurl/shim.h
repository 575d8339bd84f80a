// Swift cannot call C variadic functions: these typed wrappers are the only way in.
#ifndef MEDIABATCH_CCURL_SHIM_H
#define MEDIABATCH_CCURL_SHIM_H
#include <curl/curl.h>

static inline CURLcode mb_curl_setopt_long(CURL *_Nonnull h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mb_curl_setopt_off(CURL *_Nonnull h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mb_curl_setopt_ptr(CURL *_Nonnull h, CURLoption o, const void *_Nullable v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mb_curl_setopt_str(CURL *_Nonnull h, CURLoption o, const char *_Nullable v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mb_curl_setopt_slist(CURL *_Nonnull h, CURLoption o, struct curl_slist *_Nullable v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*mb_curl_data_cb)(char *_Nonnull, size_t, size_t, void *_Nullable);
typedef int (*mb_curl_xferinfo_cb)(void *_Nullable, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode mb_curl_setopt_data_cb(CURL *_Nonnull h, CURLoption o, mb_curl_data_cb _Nullable cb) { return curl_easy_setopt(h, o, cb); }
static inline CURLcode mb_curl_setopt_xferinfo_cb(CURL *_Nonnull h, mb_curl_xferinfo_cb _Nullable cb) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }

static inline CURLcode mb_curl_getinfo_long(CURL *_Nonnull h, CURLINFO i, long *_Nonnull v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode mb_curl_getinfo_off(CURL *_Nonnull h, CURLINFO i, curl_off_t *_Nonnull v) { return curl_easy_getinfo(h, i, v); }
#endif

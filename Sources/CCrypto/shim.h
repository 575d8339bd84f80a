// OpenSSL's libcrypto, for SHA-256 of written files (EVP uses SHA-NI where the CPU has it).
#ifndef MEDIABATCH_CCRYPTO_SHIM_H
#define MEDIABATCH_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif

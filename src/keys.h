/*
 * keys.h
 *		The keys of invite_api.jwt_secret_file.
 *
 * Includes jwt_loader.h (jansson): never beside utils/builtins.h.
 */
#ifndef INVITE_API_KEYS_H
#define INVITE_API_KEYS_H

#include "jwt_loader.h"
#include "jwt_verify.h"

/* The most keys a key file may hold (each may be tried for a token). */
#define KEY_FILE_MAX_KEYS 64

/* The largest key file read, in bytes. */
#define KEY_FILE_MAX_SIZE 65536

/*
 * The keys of the file at path, read again whenever the file changed since
 * the last call; *nkeys is set.  A file that cannot be used is a 55000
 * error that names the file and never quotes it.  The keys stay valid until
 * the next call.
 */
extern const JwtKey *key_file_keys(const JwtLibrary *lib, const char *path,
								   int *nkeys);

/*
 * Call fn for each key read from the key file and still in memory (for the
 * server log's redaction).
 */
extern void key_file_each_key(void (*fn) (const char *key, size_t len,
										  void *arg),
							  void *arg);

#endif							/* INVITE_API_KEYS_H */

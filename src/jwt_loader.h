/*
 * jwt_loader.h
 *		libjwt, opened privately at run time.
 *
 * No PostgreSQL types here: the token verifier and its fuzzer use this too.
 */
#ifndef INVITE_API_JWT_LOADER_H
#define INVITE_API_JWT_LOADER_H

#include <jwt.h>

/* The libjwt functions the verifier calls, resolved with dlsym(). */
typedef struct JwtLibrary
{
	__typeof__(jwt_decode) *decode;
	__typeof__(jwt_free) *free;
	__typeof__(jwt_get_alg) *get_alg;
	__typeof__(jwt_get_header) *get_header;
	__typeof__(jwt_get_headers_json) *get_headers_json;
} JwtLibrary;

/*
 * Open libjwt on first use and return its functions; NULL with *error set to
 * a static message when it cannot be used.
 */
extern const JwtLibrary *jwt_library_load(const char **error);

#endif							/* INVITE_API_JWT_LOADER_H */

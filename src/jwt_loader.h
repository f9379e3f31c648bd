/*
 * jwt_loader.h
 *		libjwt and its JSON library jansson, opened privately at run time.
 *
 * No PostgreSQL types here: the token verifier and its fuzzer use this too.
 *
 * jansson.h declares json_object(), the name of one of the server's SQL
 * functions: never include this header beside utils/builtins.h or
 * utils/fmgrprotos.h.
 */
#ifndef INVITE_API_JWT_LOADER_H
#define INVITE_API_JWT_LOADER_H

#include <jansson.h>
#include <jwt.h>

/*
 * The functions the verifier calls, resolved with dlsym() in libjwt's own
 * scope: libjwt's, and jansson's as libjwt links it (claims and key files are
 * parsed with the same JSON parser that libjwt used).
 */
typedef struct JwtLibrary
{
	__typeof__(jwt_decode) *decode;
	__typeof__(jwt_free) *free;
	__typeof__(jwt_get_alg) *get_alg;
	__typeof__(jwt_get_header) *get_header;
	__typeof__(jwt_get_headers_json) *get_headers_json;

	__typeof__(json_loadb) *json_loadb;
	__typeof__(json_delete) *json_delete;
	__typeof__(json_object_get) *json_object_get;
	__typeof__(json_string_value) *json_string_value;
	__typeof__(json_integer_value) *json_integer_value;
	__typeof__(json_number_value) *json_number_value;
	__typeof__(json_array_size) *json_array_size;
	__typeof__(json_array_get) *json_array_get;
} JwtLibrary;

/*
 * Open libjwt on first use and return its functions; NULL with *error set to
 * a static message when it cannot be used.
 */
extern const JwtLibrary *jwt_library_load(const char **error);

/*
 * Free a JSON value that json_loadb() returned (its only reference).
 * jansson's json_decref() is an inline function that would call json_delete()
 * by its linked name; the module does not link jansson.
 */
static inline void
jwt_json_release(const JwtLibrary *lib, json_t *json)
{
	if (json != NULL)
		lib->json_delete(json);
}

#endif							/* INVITE_API_JWT_LOADER_H */

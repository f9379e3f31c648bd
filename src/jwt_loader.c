/*
 * jwt_loader.c
 *		Open libjwt with its own symbol scope.
 *
 * libjwt parses JSON with jansson, whose json_object() has the same name as
 * a function the postgres executable exports (the SQL json_object).  Linked
 * the ordinary way, libjwt's calls bind to the executable's symbol and the
 * backend crashes on the first valid token.  Opened with RTLD_DEEPBIND,
 * libjwt and jansson resolve their symbols among themselves first.
 *
 * Sanitizer runtimes refuse RTLD_DEEPBIND; a build outside the server (the
 * fuzzer), where no symbol clashes, defines JWT_LOADER_DLOPEN_FLAGS.
 */
#include <dlfcn.h>
#include <stddef.h>

#include "jwt_loader.h"

#ifndef JWT_LOADER_DLOPEN_FLAGS
#define JWT_LOADER_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

#define LIBJWT_SONAME "libjwt.so.0"
#define LIBJANSSON_SONAME "libjansson.so.4"

static JwtLibrary library;
static int	library_loaded = 0;

/* Is the shared object already mapped into this process? */
static int
already_loaded(const char *soname)
{
	void	   *handle = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);

	if (handle == NULL)
		return 0;
	dlclose(handle);
	return 1;
}

/* Resolve one symbol; NULL when it is missing. */
static void *
lookup(void *handle, const char *name, int *missing)
{
	void	   *fn = dlsym(handle, name);

	if (fn == NULL)
		*missing = 1;
	return fn;
}

const JwtLibrary *
jwt_library_load(const char **error)
{
	void	   *handle;
	int			missing = 0;

	if (library_loaded)
		return &library;

	/*
	 * A copy loaded by someone else had its symbols bound in the global
	 * scope, where json_object() is the server's: never call into it.
	 */
	if (already_loaded(LIBJWT_SONAME) || already_loaded(LIBJANSSON_SONAME))
	{
		*error = "libjwt or jansson was already loaded into this process by another module";
		return NULL;
	}

	handle = dlopen(LIBJWT_SONAME, JWT_LOADER_DLOPEN_FLAGS);
	if (handle == NULL)
	{
		*error = dlerror();
		return NULL;
	}

	library.decode = lookup(handle, "jwt_decode", &missing);
	library.free = lookup(handle, "jwt_free", &missing);
	library.get_alg = lookup(handle, "jwt_get_alg", &missing);
	library.get_header = lookup(handle, "jwt_get_header", &missing);
	library.get_headers_json = lookup(handle, "jwt_get_headers_json", &missing);
	if (missing)
	{
		dlclose(handle);
		*error = "libjwt lacks a function invite_api needs (libjwt 1.9 or later is required)";
		return NULL;
	}

	/* jansson, found through libjwt's handle among its dependencies */
	library.json_loadb = lookup(handle, "json_loadb", &missing);
	library.json_delete = lookup(handle, "json_delete", &missing);
	library.json_object_get = lookup(handle, "json_object_get", &missing);
	library.json_string_value = lookup(handle, "json_string_value", &missing);
	library.json_integer_value = lookup(handle, "json_integer_value", &missing);
	library.json_number_value = lookup(handle, "json_number_value", &missing);
	library.json_array_size = lookup(handle, "json_array_size", &missing);
	library.json_array_get = lookup(handle, "json_array_get", &missing);
	if (missing)
	{
		dlclose(handle);
		*error = "the jansson that libjwt links lacks a function invite_api needs (jansson 2.1 or later is required)";
		return NULL;
	}

	library_loaded = 1;
	return &library;
}

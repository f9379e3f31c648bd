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
 * Under RTLD_DEEPBIND, libjwt's and jansson's calls to malloc() and free()
 * bind to glibc's, while what libc allocates on their behalf (strdup(), for
 * one) comes from whatever malloc() the process's global scope has.  With a
 * replacement allocator interposed (LD_PRELOAD=libjemalloc.so.2) one heap
 * allocates and the other frees: glibc aborts the backend in jwt_decode()
 * ("free(): invalid pointer").  libjwt 1.10 has no allocator hooks, so such a
 * process refuses to load it.
 *
 * Sanitizer runtimes refuse RTLD_DEEPBIND; a build outside the server (the
 * fuzzer), where no symbol clashes, defines JWT_LOADER_DLOPEN_FLAGS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* RTLD_DEEPBIND, dladdr() */
#endif

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

/* Valgrind replaces every allocator of the process alike. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define JWT_LOADER_HAVE_VALGRIND 1
#endif
#endif

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

#ifdef RTLD_DEEPBIND
/*
 * The allocator function that the process's global scope takes from
 * somewhere else than libc, or NULL when there is none; *from is set to the
 * object that defines it.
 */
static const char *
interposed_allocator(const char **from)
{
	static const char *const names[] = {"malloc", "free", "calloc", "realloc"};
	size_t		n = sizeof(names) / sizeof(names[0]);
	void	   *libc;
	const char *found = NULL;

	*from = "an unknown object";
#ifdef JWT_LOADER_HAVE_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return NULL;
#endif
	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (libc == NULL)
		return "malloc";		/* not glibc: cannot tell, so do not trust */

	for (size_t i = 0; i < n && found == NULL; i++)
	{
		void	   *global = dlsym(RTLD_DEFAULT, names[i]);
		void	   *own = dlsym(libc, names[i]);
		Dl_info		info;

		if (global != own)
		{
			found = names[i];
			if (global != NULL && dladdr(global, &info) &&
				info.dli_fname != NULL)
				*from = info.dli_fname;
		}
	}
	dlclose(libc);
	return found;
}
#endif

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

#ifdef RTLD_DEEPBIND
	if ((JWT_LOADER_DLOPEN_FLAGS) & RTLD_DEEPBIND)
	{
		static char message[512];
		const char *from;
		const char *function = interposed_allocator(&from);

		if (function != NULL)
		{
			snprintf(message, sizeof(message),
					 "%s() comes from %s, not from libc (a replacement allocator in LD_PRELOAD?): "
					 "libjwt, opened with its own symbol scope, would free memory that the other "
					 "allocator allocated, and abort the backend.  Start the server without it.",
					 function, from);
			*error = message;
			return NULL;
		}
	}
#endif

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

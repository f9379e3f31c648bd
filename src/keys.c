/*
 * keys.c
 *		The keys of invite_api.jwt_secret_file.
 *
 * The file holds one raw secret (a final newline is dropped), or a JWK Set
 * (RFC 7517) of "oct" keys, the form PostgREST's jwt-secret also reads, or
 * a single such JWK, as PostgREST accepts too.  Whatever starts with "{"
 * or "[" is read as JSON.
 *
 * It must be a regular file owned by the server's OS user, with no access
 * for group or others, as PostgreSQL demands of a private key it owns
 * (ssl_key_file).  It is stat()ed at each call and read again when its
 * device, inode, size, mode, owner, mtime or ctime changed: replacing it, or
 * rewriting it in place, takes effect at the next call, without a reload.
 * A file that cannot be used refuses every token (55000) until it is fixed;
 * the keys read before are dropped, not kept.
 *
 * In a JWK Set, keys of another "kty" are ignored (RFC 7517 section 5), as
 * are "oct" keys whose "use" is not "sig", whose "key_ops" lack "verify", or
 * whose "alg" is not HS256, HS384 or HS512: they are not for verifying our
 * tokens.  A key's "alg", when given, limits it to tokens of that algorithm;
 * its "kid", when given, to tokens naming it or naming none.  Errors name
 * the file and the member at fault, never a value from it.  All are 55000:
 * without the keys, no token can be verified.
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base64.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "keys.h"
#include "settings.h"

/* The keys read last, and the file they came from. */
typedef struct KeyFile
{
	MemoryContext cxt;			/* holds all of this but the struct */
	char	   *path;
	struct stat st;
	int			nkeys;
	JwtKey	   *keys;
} KeyFile;

static KeyFile current = {0};

/* Has the file changed since st was taken? */
static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
		a->st_size == b->st_size && a->st_mode == b->st_mode &&
		a->st_uid == b->st_uid &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
		a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Forget the keys read last, wiping them first. */
static void
forget_keys(void)
{
	if (current.cxt == NULL)
		return;
	for (int i = 0; i < current.nkeys; i++)
		explicit_bzero(unconstify(unsigned char *, current.keys[i].bytes),
					   current.keys[i].len);
	MemoryContextDelete(current.cxt);
	memset(&current, 0, sizeof(current));
}

static void
invalid_key_file(const char *path, const char *detail, int key_number)
		pg_attribute_noreturn();

/* The file is not a JWK Set we can read: say what, not what it holds. */
static void
invalid_key_file(const char *path, const char *detail, int key_number)
{
	if (key_number > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invalid key file \"%s\"", path),
				 errdetail("In key %d of its JWK Set, %s.", key_number, detail),
				 errhint("Each key is an object with \"kty\": \"oct\" and the key in \"k\", base64url-encoded.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("invalid key file \"%s\"", path),
			 errdetail("%s", detail),
			 errhint("The file holds one secret, or a JWK Set: {\"keys\": [{\"kty\": \"oct\", \"k\": \"...\"}]}.")));
	pg_unreachable();
}

/*
 * Read the whole file, after checking what it is and who may read it.
 * Returns its bytes (NUL-terminated, palloc'd) and sets *len and *st.
 */
static char *
read_key_file(const char *path, size_t *len, struct stat *st)
{
	int			fd;
	int			save_errno;
	char	   *content;
	size_t		done = 0;

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not open key file \"%s\": %m", path),
				 errdetail("invite_api.jwt_secret_file names it, and tokens are verified with its keys.")));
	if (fstat(fd, st) < 0)
	{
		save_errno = errno;
		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not stat key file \"%s\": %m", path)));
	}

	if (!S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
		(st->st_mode & (S_IRWXG | S_IRWXO)) != 0 ||
		st->st_size > KEY_FILE_MAX_SIZE)
	{
		struct stat bad = *st;

		CloseTransientFile(fd);
		if (!S_ISREG(bad.st_mode))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("key file \"%s\" is not a regular file", path)));
		if (bad.st_uid != geteuid())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("key file \"%s\" must be owned by the database server's user", path),
					 errdetail("It is owned by user ID %u; the server runs as user ID %u.",
					           (unsigned) bad.st_uid, (unsigned) geteuid())));
		if ((bad.st_mode & (S_IRWXG | S_IRWXO)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("key file \"%s\" has group or world access", path),
					 errdetail("Its permissions are %04o.", (unsigned) (bad.st_mode & 07777)),
					 errhint("Give access to its owner only: chmod 0600 (or 0400).")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key file \"%s\" is too large", path),
				 errdetail("It has %lld bytes; a key file has at most %d.",
				           (long long) bad.st_size, KEY_FILE_MAX_SIZE)));
	}

	/* read what is there now, which may differ from what fstat() saw */
	content = palloc(KEY_FILE_MAX_SIZE + 2);
	for (;;)
	{
		ssize_t		n = read(fd, content + done,
							 KEY_FILE_MAX_SIZE + 1 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			save_errno = errno;
			CloseTransientFile(fd);
			explicit_bzero(content, done);
			errno = save_errno;
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not read key file \"%s\": %m", path)));
		}
		if (n == 0 || done + n > KEY_FILE_MAX_SIZE)
		{
			done += n;
			break;
		}
		done += n;
	}
	CloseTransientFile(fd);
	if (done > KEY_FILE_MAX_SIZE)
	{
		explicit_bzero(content, done);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key file \"%s\" is too large", path),
				 errdetail("A key file has at most %d bytes.", KEY_FILE_MAX_SIZE)));
	}
	content[done] = '\0';
	*len = done;
	return content;
}

/* A key too short for HMAC (RFC 7518 3.2). */
static void
short_key(const char *path, size_t len, int key_number)
{
	if (key_number > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key file \"%s\" holds a key shorter than %d bytes",
				        path, INVITE_API_MIN_SECRET_LENGTH),
				 errdetail("Key %d of its JWK Set has %zu bytes.", key_number, len)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("key file \"%s\" holds a key shorter than %d bytes",
			        path, INVITE_API_MIN_SECRET_LENGTH),
			 errdetail("Its secret has %zu bytes (a final newline is not counted).", len)));
}

/*
 * Decode a JWK's "k" (base64url without padding, RFC 7515 2) into out,
 * which has room for the decoded length; returns that length, or -1 when
 * it is not base64url.
 */
static int
decode_base64url(const char *text, char *out)
{
	size_t		len = strlen(text);
	size_t		padded = (len + 3) & ~(size_t) 3;
	char	   *b64;
	int			n;

	if (len % 4 == 1 || len > KEY_FILE_MAX_SIZE)
		return -1;
	b64 = palloc(padded + 1);
	for (size_t i = 0; i < len; i++)
	{
		char		c = text[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				   (c >= '0' && c <= '9')))
		{
			pfree(b64);
			return -1;
		}
		b64[i] = c;
	}
	for (size_t i = len; i < padded; i++)
		b64[i] = '=';
	n = pg_b64_decode(b64, (int) padded, out, pg_b64_dec_len((int) padded));
	explicit_bzero(b64, padded);
	pfree(b64);
	return n;
}

/* Is this JWK one for verifying our tokens?  Checks the members' types. */
static bool
key_is_for_us(const JwtLibrary *lib, const char *path, json_t *jwk,
			  int key_number)
{
	json_t	   *kty = lib->json_object_get(jwk, "kty");
	json_t	   *use = lib->json_object_get(jwk, "use");
	json_t	   *ops = lib->json_object_get(jwk, "key_ops");
	json_t	   *alg = lib->json_object_get(jwk, "alg");
	bool		verify = false;

	if (kty == NULL || !json_is_string(kty))
		invalid_key_file(path, "\"kty\" is missing or not a string", key_number);
	if (use != NULL && !json_is_string(use))
		invalid_key_file(path, "\"use\" is not a string", key_number);
	if (alg != NULL && !json_is_string(alg))
		invalid_key_file(path, "\"alg\" is not a string", key_number);
	if (ops != NULL)
	{
		if (!json_is_array(ops))
			invalid_key_file(path, "\"key_ops\" is not an array", key_number);
		for (size_t i = 0; i < lib->json_array_size(ops); i++)
		{
			json_t	   *op = lib->json_array_get(ops, i);

			if (!json_is_string(op))
				invalid_key_file(path, "\"key_ops\" holds something other than strings", key_number);
			if (strcmp(lib->json_string_value(op), "verify") == 0)
				verify = true;
		}
	}

	if (strcmp(lib->json_string_value(kty), "oct") != 0)
		return false;
	if (use != NULL && strcmp(lib->json_string_value(use), "sig") != 0)
		return false;
	if (ops != NULL && !verify)
		return false;
	if (alg != NULL &&
		strcmp(lib->json_string_value(alg), "HS256") != 0 &&
		strcmp(lib->json_string_value(alg), "HS384") != 0 &&
		strcmp(lib->json_string_value(alg), "HS512") != 0)
		return false;
	return true;
}

/*
 * Read one "oct" JWK into key, in the current memory context.
 */
static void
read_jwk(const JwtLibrary *lib, const char *path, json_t *jwk, int key_number,
		 JwtKey *key)
{
	json_t	   *k = lib->json_object_get(jwk, "k");
	json_t	   *kid = lib->json_object_get(jwk, "kid");
	json_t	   *alg = lib->json_object_get(jwk, "alg");
	const char *k_text;
	char	   *bytes;
	int			len;

	if (k == NULL || !json_is_string(k))
		invalid_key_file(path, "\"k\" is missing or not a string", key_number);
	if (kid != NULL && !json_is_string(kid))
		invalid_key_file(path, "\"kid\" is not a string", key_number);

	k_text = lib->json_string_value(k);
	bytes = palloc(pg_b64_dec_len((int) Min(strlen(k_text) + 3,
											KEY_FILE_MAX_SIZE + 3)) + 1);
	len = decode_base64url(k_text, bytes);
	if (len < 0)
		invalid_key_file(path, "\"k\" is not base64url without padding", key_number);
	if (len < INVITE_API_MIN_SECRET_LENGTH)
		short_key(path, (size_t) len, key_number);

	key->bytes = (const unsigned char *) bytes;
	key->len = (size_t) len;
	key->kid = kid != NULL ? pstrdup(lib->json_string_value(kid)) : NULL;
	key->alg = alg != NULL ? pstrdup(lib->json_string_value(alg)) : NULL;
}

/*
 * The keys of a JWK Set (or of a single JWK) into file->keys, in the
 * current memory context.  The JSON is freed by the caller.
 */
static void
read_jwks(const JwtLibrary *lib, const char *path, json_t *root, KeyFile *file)
{
	json_t	   *keys = lib->json_object_get(root, "keys");
	size_t		n;

	if (!json_is_object(root))
		invalid_key_file(path, "It is JSON, but neither a JWK Set nor a JWK.", 0);
	if (keys == NULL)
	{
		if (lib->json_object_get(root, "kty") == NULL)
			invalid_key_file(path, "It is a JSON object with neither \"keys\" (a JWK Set) nor \"kty\" (a JWK).", 0);
		n = 1;
	}
	else if (!json_is_array(keys))
		invalid_key_file(path, "Its \"keys\" is not an array.", 0);
	else
		n = lib->json_array_size(keys);

	/* one more, zeroed, for the key being read when an error comes */
	file->keys = palloc0(sizeof(JwtKey) * (n + 1));
	file->nkeys = 0;
	for (size_t i = 0; i < n; i++)
	{
		json_t	   *jwk = keys != NULL ? lib->json_array_get(keys, i) : root;
		int			number = (int) i + 1;

		if (!json_is_object(jwk))
			invalid_key_file(path, "the key is not a JSON object", number);
		if (!key_is_for_us(lib, path, jwk, number))
			continue;
		if (file->nkeys == KEY_FILE_MAX_KEYS)
			invalid_key_file(path, psprintf("There are more than %d keys for verifying tokens.",
											KEY_FILE_MAX_KEYS), 0);
		read_jwk(lib, path, jwk, number, &file->keys[file->nkeys]);
		for (int j = 0; j < file->nkeys; j++)
		{
			const char *kid = file->keys[file->nkeys].kid;

			if (file->keys[j].kid != NULL && kid != NULL &&
				strcmp(file->keys[j].kid, kid) == 0)
				invalid_key_file(path, "its \"kid\" is that of an earlier key", number);
		}
		file->nkeys++;
	}
	if (file->nkeys == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key file \"%s\" holds no usable key", path),
				 errdetail("Its JWK Set has no \"oct\" key for verifying signatures."),
				 errhint("Keys of another \"kty\", and \"oct\" keys whose \"use\", \"key_ops\" or \"alg\" is not for HMAC signatures, are ignored.")));
}

/*
 * Parse content (len bytes) into file's keys, in the current memory
 * context.  Frees whatever jansson allocated, error or not.
 */
static void
parse_key_file(const JwtLibrary *lib, const char *path, const char *content,
			   size_t len, KeyFile *file)
{
	size_t		start = 0;

	while (start < len && strchr(" \t\r\n", content[start]) != NULL &&
		   content[start] != '\0')
		start++;

	if (start < len && (content[start] == '{' || content[start] == '['))
	{
		json_error_t error;
		json_t	   *volatile root;

		/* a member named twice is an ambiguity, not a choice */
		root = lib->json_loadb(content, len, JSON_REJECT_DUPLICATES, &error);
		if (root == NULL)
		{
			if (json_error_code(&error) == json_error_out_of_memory)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory"),
						 errdetail("Reading key file \"%s\".", path)));
			if (json_error_code(&error) == json_error_duplicate_key)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("invalid key file \"%s\"", path),
						 errdetail("One of its JSON objects names a member twice (line %d, column %d).",
						           error.line, error.column)));
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("invalid key file \"%s\"", path),
					 errdetail("It starts like JSON but is not valid JSON (line %d, column %d).",
					           error.line, error.column),
					 errhint("A JWK Set is one JSON object, each member named once; a raw secret must not start with \"{\" or \"[\".")));
		}
		PG_TRY();
		{
			read_jwks(lib, path, root, file);
		}
		PG_FINALLY();
		{
			jwt_json_release(lib, root);
		}
		PG_END_TRY();
		return;
	}

	/* one raw secret: the file's bytes, but for one final newline */
	if (len > 0 && content[len - 1] == '\n')
		len--;
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("key file \"%s\" holds no key", path),
				 errdetail("It is empty, or holds only a newline.")));
	if (len < INVITE_API_MIN_SECRET_LENGTH)
		short_key(path, len, 0);
	file->keys = palloc0(sizeof(JwtKey) * 2);
	file->keys[0].bytes = (const unsigned char *) pnstrdup(content, len);
	file->keys[0].len = len;
	file->nkeys = 1;
}

const JwtKey *
key_file_keys(const JwtLibrary *lib, const char *path, int *nkeys)
{
	struct stat st;

	/*
	 * What is being read: static, so that what the PG_TRY block sets is
	 * still there in PG_CATCH.
	 */
	static KeyFile fresh;
	static char *content;
	size_t		len = 0;
	MemoryContext old_cxt;

	if (stat(path, &st) < 0)
	{
		int			save_errno = errno;

		forget_keys();
		errno = save_errno;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not open key file \"%s\": %m", path),
				 errdetail("invite_api.jwt_secret_file names it, and tokens are verified with its keys.")));
	}
	if (current.cxt != NULL && strcmp(current.path, path) == 0 &&
		same_file(&current.st, &st))
	{
		*nkeys = current.nkeys;
		return current.keys;
	}

	/* read it again; until that succeeds, no key */
	forget_keys();
	memset(&fresh, 0, sizeof(fresh));
	content = NULL;
	fresh.cxt = AllocSetContextCreate(TopMemoryContext, "invite_api key file",
									  ALLOCSET_SMALL_SIZES);
	old_cxt = MemoryContextSwitchTo(fresh.cxt);
	PG_TRY();
	{
		content = read_key_file(path, &len, &fresh.st);
		parse_key_file(lib, path, content, len, &fresh);
		explicit_bzero(content, len);
		pfree(content);
		content = NULL;
		fresh.path = pstrdup(path);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old_cxt);
		/* read_key_file() allocates that much whatever the file's size */
		if (content != NULL)
			explicit_bzero(content, KEY_FILE_MAX_SIZE + 2);
		if (fresh.keys != NULL)
			for (int i = 0; i <= fresh.nkeys; i++)
				if (fresh.keys[i].bytes != NULL)
					explicit_bzero(unconstify(unsigned char *,
											  fresh.keys[i].bytes),
								   fresh.keys[i].len);
		MemoryContextDelete(fresh.cxt);
		memset(&fresh, 0, sizeof(fresh));
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old_cxt);

	current = fresh;
	memset(&fresh, 0, sizeof(fresh));
	*nkeys = current.nkeys;
	return current.keys;
}

void
key_file_each_key(void (*fn) (const char *key, size_t len, void *arg),
				  void *arg)
{
	for (int i = 0; i < current.nkeys; i++)
		fn((const char *) current.keys[i].bytes, current.keys[i].len, arg);
}

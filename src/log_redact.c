/*
 * log_redact.c
 *		Keep the signing key out of the server log.
 *
 * An emit_log_hook, installed when the library is preloaded (so that the
 * postmaster runs it too), rewrites a report before it is written, and
 * before the hook installed ahead of it (a log shipper's, say) sees it:
 *
 *	- the postmaster's 'parameter "invite_api.jwt_secret" changed to "..."'
 *	  (recognised by its untranslated message id) gets the mask for a value;
 *	- while the statement being run names invite_api.jwt_secret (SET, ALTER
 *	  SYSTEM, set_config(), a refused ALTER ROLE ... SET, ...), its text is
 *	  hidden wherever the report quotes it (statement logging, the STATEMENT
 *	  line, a quoted fragment of a syntax error);
 *	- a detail, hint, context line or internal query that names the setting
 *	  is hidden (bind parameters, the statements a function ran);
 *	- the keys in use (the inline secret, the key file's keys) are masked
 *	  wherever they appear.
 *
 * The name is recognised case-insensitively, as "jwt_secret" not followed by
 * a character of an identifier (so not invite_api.jwt_secret_file) nor
 * preceded by one.  A statement that spells the name otherwise (Unicode
 * escapes, or built from pieces) and sets a new key is not recognised:
 * statement logging would write it.
 *
 * Rewriting is done in place, shrinking each span hidden: nothing is
 * allocated, so nothing can fail while a report is being written.  What the
 * hook changes reaches the client too (a hint or a syntax error's fragment).
 */
#include "postgres.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"

#include "keys.h"
#include "log_redact.h"
#include "settings.h"

#define SECRET_WORD "jwt_secret"
#define SETTING_NAME "invite_api.jwt_secret"
#define HIDDEN_STATEMENT "(hidden: it names invite_api.jwt_secret)"
#define HIDDEN_LINE "(hidden: it names invite_api.jwt_secret)"

/* Keys shorter than this are not searched for (they are refused anyway). */
#define MIN_KEY_SEARCHED 8

static emit_log_hook_type prev_emit_log_hook = NULL;

static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' ||
		(unsigned char) c >= 0x80;
}

/* Where text names the setting (see the file's comment), or NULL. */
static char *
find_name(const char *text)
{
	size_t		len = strlen(SECRET_WORD);

	if (text == NULL)
		return NULL;
	for (const char *p = text; *p; p++)
	{
		if (pg_strncasecmp(p, SECRET_WORD, len) == 0 &&
			!is_ident_char(p[len]) &&
			(p == text || !is_ident_char(p[-1])))
			return unconstify(char *, p);
	}
	return NULL;
}

/*
 * Replace text[start, end) with replacement if it fits, else with as many
 * '*' as it had; the rest of the text moves up.  Returns the index just
 * after what was written.
 */
static size_t
hide_span(char *text, size_t start, size_t end, const char *replacement)
{
	size_t		span = end - start;
	size_t		rlen = strlen(replacement);

	if (rlen > span)
	{
		replacement = INVITE_API_SECRET_MASK;
		rlen = strlen(replacement);
	}
	if (rlen > span)
	{
		memset(text + start, '*', span);
		return end;
	}
	memcpy(text + start, replacement, rlen);
	memmove(text + start + rlen, text + end, strlen(text + end) + 1);
	return start + rlen;
}

/* Hide every occurrence of needle[0, len) in text. */
static void
hide_all(char *text, const char *needle, size_t len, const char *replacement)
{
	size_t		pos = 0;

	if (text == NULL || len == 0)
		return;
	for (;;)
	{
		char	   *found = memmem(text + pos, strlen(text + pos), needle, len);

		if (found == NULL)
			return;
		pos = hide_span(text, found - text, found - text + len, replacement);
	}
}

/* A field's text, and the mask of the keys: see mask_keys(). */
typedef struct KeySearch
{
	char	   *text;
} KeySearch;

static void
mask_one_key(const char *key, size_t len, void *arg)
{
	KeySearch  *search = arg;

	if (len >= MIN_KEY_SEARCHED)
		hide_all(search->text, key, len, INVITE_API_SECRET_MASK);
}

/* Mask the keys in use wherever they appear in text. */
static void
mask_keys(char *text)
{
	KeySearch	search = {text};
	size_t		len = 0;
	GucSource	source;
	const char *secret;

	if (text == NULL)
		return;
	secret = settings_jwt_secret(&len, &source);
	if (secret != NULL)
		mask_one_key(secret, len, &search);
	key_file_each_key(mask_one_key, &search);
}

/* Does text hold one of the keys in use? */
static void
note_key(const char *key, size_t len, void *arg)
{
	KeySearch  *search = arg;

	if (len >= MIN_KEY_SEARCHED && search->text != NULL &&
		memmem(search->text, strlen(search->text), key, len) != NULL)
		search->text = NULL;
}

static bool
holds_key(const char *text)
{
	KeySearch	search = {unconstify(char *, text)};
	size_t		len = 0;
	GucSource	source;
	const char *secret;

	if (text == NULL)
		return false;
	secret = settings_jwt_secret(&len, &source);
	if (secret != NULL)
		note_key(secret, len, &search);
	key_file_each_key(note_key, &search);
	return search.text == NULL;
}

/*
 * The value of 'parameter "%s" changed to "%s"' (and of an invalid value's
 * report): what stands between the translated format's text after the name
 * and its text after the value.
 */
static void
hide_reported_value(ErrorData *edata)
{
	const char *format = dgettext(edata->domain, edata->message_id);
	const char *first = strstr(format, "%s");
	const char *second = first ? strstr(first + 2, "%s") : NULL;
	char	   *name;
	size_t		between;
	size_t		after;
	size_t		start;
	size_t		end;
	size_t		len = strlen(edata->message);

	if (second == NULL || strstr(second + 2, "%") != NULL)
		return;
	name = strstr(edata->message, SETTING_NAME);
	if (name == NULL)
		return;
	between = second - (first + 2);
	after = strlen(second + 2);
	start = (name - edata->message) + strlen(SETTING_NAME) + between;
	if (start > len || len - start < after ||
		strncmp(edata->message + start - between, first + 2, between) != 0)
	{
		/* not as expected: hide everything after the name */
		start = (name - edata->message) + strlen(SETTING_NAME);
		after = 0;
	}
	end = len - after;
	if (end > start)
		hide_span(edata->message, start, end, INVITE_API_SECRET_MASK);
}

/*
 * In a report about a statement that names the setting, hide the quoted
 * fragments of the message that come from the statement (a syntax error's
 * "at or near" text), but for the setting's own name.
 */
static void
hide_quoted_fragments(char *message, const char *statement)
{
	size_t		pos = 0;

	for (;;)
	{
		char	   *open = strchr(message + pos, '"');
		char	   *close;
		size_t		len;

		if (open == NULL)
			return;
		close = strchr(open + 1, '"');
		if (close == NULL)
			close = open + 1 + strlen(open + 1);
		len = close - (open + 1);
		if (len > 0 && pg_strncasecmp(open + 1, SETTING_NAME, len) != 0 &&
			memmem(statement, strlen(statement), open + 1, len) != NULL)
		{
			size_t		next = hide_span(message, open + 1 - message,
										 close - message,
										 INVITE_API_SECRET_MASK);

			pos = message[next] == '"' ? next + 1 : next;
		}
		else
			pos = (*close == '"') ? close - message + 1 : close - message;
		if (message[pos] == '\0')
			return;
	}
}

/* Hide each line of a context that names the setting. */
static void
hide_context_lines(char *context)
{
	char	   *line = context;

	while (line != NULL && *line)
	{
		char	   *eol = strchr(line, '\n');
		size_t		len = eol ? (size_t) (eol - line) : strlen(line);
		char		saved = line[len];
		bool		names;
		size_t		next;

		line[len] = '\0';
		names = find_name(line) != NULL;
		line[len] = saved;
		if (names)
			next = hide_span(context, line - context, line - context + len,
							 HIDDEN_LINE);
		else
			next = line - context + len;
		line = context[next] == '\n' ? context + next + 1 : NULL;
	}
}

static void
redact(ErrorData *edata)
{
	const char *statement = debug_query_string;
	bool		statement_names = find_name(statement) != NULL;

	if (edata->message != NULL && edata->message_id != NULL &&
		(strcmp(edata->message_id, "parameter \"%s\" changed to \"%s\"") == 0 ||
		 strcmp(edata->message_id, "invalid value for parameter \"%s\": \"%s\"") == 0) &&
		strstr(edata->message, "\"" SETTING_NAME "\"") != NULL)
		hide_reported_value(edata);

	if (statement_names || holds_key(statement))
		edata->hide_stmt = true;

	if (statement_names && statement[0] != '\0')
	{
		size_t		len = strlen(statement);

		/* statement logging: the text as sent; then any fragment of it */
		if (edata->message != NULL &&
			memmem(edata->message, strlen(edata->message),
				   statement, len) != NULL)
		{
			hide_all(edata->message, statement, len, HIDDEN_STATEMENT);
			/* its detail is the statement's parameters */
			if (edata->detail != NULL)
				hide_span(edata->detail, 0, strlen(edata->detail), HIDDEN_LINE);
		}
		else if (edata->message != NULL)
			hide_quoted_fragments(edata->message, statement);
		hide_all(edata->detail, statement, len, HIDDEN_STATEMENT);
		hide_all(edata->context, statement, len, HIDDEN_STATEMENT);
	}

	if (find_name(edata->detail) != NULL)
		hide_span(edata->detail, 0, strlen(edata->detail), HIDDEN_LINE);
	if (find_name(edata->detail_log) != NULL)
		hide_span(edata->detail_log, 0, strlen(edata->detail_log), HIDDEN_LINE);
	if (find_name(edata->hint) != NULL)
		hide_span(edata->hint, 0, strlen(edata->hint), HIDDEN_LINE);
	if (edata->context != NULL)
		hide_context_lines(edata->context);
	if (find_name(edata->internalquery) != NULL)
	{
		hide_span(edata->internalquery, 0, strlen(edata->internalquery),
				  HIDDEN_STATEMENT);
		edata->internalpos = 0;
	}

	mask_keys(edata->message);
	mask_keys(edata->detail);
	mask_keys(edata->detail_log);
	mask_keys(edata->hint);
	mask_keys(edata->context);
	mask_keys(edata->internalquery);
}

/* Redact, then pass the report on to the hook installed before ours. */
static void
redact_emit_log_hook(ErrorData *edata)
{
	if (edata->output_to_server)
		redact(edata);
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
log_redact_install(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = redact_emit_log_hook;
}

/*
 * page_json.c
 *		Build {count, next, previous, results} with pushJsonbValue.
 *
 * The links follow Django REST Framework's LimitOffsetPagination: next is
 * null once offset + limit reaches count; previous is null at offset 0 and
 * has no offset parameter when offset - limit would be 0 or less.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "invite_query.h"
#include "page_json.h"
#include "settings.h"

/* int64_to_numeric() is new in PostgreSQL 14. */
#if PG_VERSION_NUM < 140000
#define int64_to_numeric(v) \
	DatumGetNumeric(DirectFunctionCall1(int8_numeric, Int64GetDatum(v)))
#endif

/* Pass as offset to make a link without an offset parameter. */
#define NO_OFFSET (-1)

static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &v);
}

static void
push_null(JsonbParseState **state, JsonbIteratorToken token)
{
	JsonbValue	v;

	v.type = jbvNull;
	pushJsonbValue(state, token, &v);
}

static void
push_int64(JsonbParseState **state, JsonbIteratorToken token, int64 value)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	pushJsonbValue(state, token, &v);
}

static void
push_string(JsonbParseState **state, JsonbIteratorToken token,
			char *str, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = str;
	v.val.string.len = len;
	pushJsonbValue(state, token, &v);
}

/* A text column as a JSON string. */
static void
push_text(JsonbParseState **state, Datum datum)
{
	text	   *t = DatumGetTextPP(datum);

	push_string(state, WJB_VALUE, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* {base_url}/api/v2/event/{id}/invite/?limit={limit}[&offset={offset}] */
static void
push_link(JsonbParseState **state, const PageRequest *request, int64 offset)
{
	StringInfoData url;
	const char *base = invite_api_base_url ? invite_api_base_url : "";
	int			base_len = strlen(base);

	while (base_len > 0 && base[base_len - 1] == '/')
		base_len--;

	initStringInfo(&url);
	appendBinaryStringInfo(&url, base, base_len);
	appendStringInfo(&url, "/api/v2/event/" INT64_FORMAT "/invite/?limit=%d",
					 request->event_id, request->limit);
	if (offset != NO_OFFSET)
		appendStringInfo(&url, "&offset=" INT64_FORMAT, offset);
	push_string(state, WJB_VALUE, url.data, url.len);
}

/* The keys of a result, their columns and the types the query casts them to. */
static const struct
{
	const char *key;
	int			attno;
	Oid			type;
}			user_columns[] = {
	{"id", PAGE_COL_ID, INT8OID},
	{"username", PAGE_COL_USERNAME, TEXTOID},
	{"real_name", PAGE_COL_REAL_NAME, TEXTOID},
	{"ext_id", PAGE_COL_EXT_ID, INT8OID},
	{"avatar", PAGE_COL_AVATAR, TEXTOID},
};

/* The page's rows have the columns push_user() reads, of those types. */
static void
check_user_columns(TupleDesc desc)
{
	if (desc->natts != lengthof(user_columns))
		elog(ERROR, "a page row has %d columns, expected %d",
			 desc->natts, (int) lengthof(user_columns));
	for (size_t i = 0; i < lengthof(user_columns); i++)
		if (TupleDescAttr(desc, user_columns[i].attno - 1)->atttypid !=
			user_columns[i].type)
			elog(ERROR, "column \"%s\" of a page row has type %u, expected %u",
				 user_columns[i].key,
				 TupleDescAttr(desc, user_columns[i].attno - 1)->atttypid,
				 user_columns[i].type);
}

/* One page row as {id, username, real_name, ext_id, avatar}. */
static void
push_user(JsonbParseState **state, HeapTuple row, TupleDesc desc)
{

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	for (size_t i = 0; i < lengthof(user_columns); i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(row, desc, user_columns[i].attno,
										  &isnull);

		push_key(state, user_columns[i].key);
		if (isnull)
			push_null(state, WJB_VALUE);
		else if (user_columns[i].type == INT8OID)
			push_int64(state, WJB_VALUE, DatumGetInt64(value));
		else
			push_text(state, value);
	}
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

Jsonb *
page_json_build(const PageRequest *request, int64 count,
				SPITupleTable *rows, uint64 nrows, MemoryContext result_cxt)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;
	MemoryContext old_cxt;
	Jsonb	   *jsonb;
	int64		offset = request->offset;
	int64		limit = request->limit;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);

	push_key(&state, "count");
	push_int64(&state, WJB_VALUE, count);

	push_key(&state, "next");
	if (offset + limit >= count)
		push_null(&state, WJB_VALUE);
	else
		push_link(&state, request, offset + limit);

	push_key(&state, "previous");
	if (offset <= 0)
		push_null(&state, WJB_VALUE);
	else if (offset - limit <= 0)
		push_link(&state, request, NO_OFFSET);
	else
		push_link(&state, request, offset - limit);

	push_key(&state, "results");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	if (nrows > 0)
		check_user_columns(rows->tupdesc);
	for (uint64 i = 0; i < nrows; i++)
		push_user(&state, rows->vals[i], rows->tupdesc);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);

	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	old_cxt = MemoryContextSwitchTo(result_cxt);
	jsonb = JsonbValueToJsonb(result);
	MemoryContextSwitchTo(old_cxt);
	return jsonb;
}

/*
 * page_json.h
 *		The endpoint's answer, built as jsonb.
 */
#ifndef INVITE_API_PAGE_JSON_H
#define INVITE_API_PAGE_JSON_H

#include "executor/spi.h"
#include "utils/jsonb.h"

/* One page request, with the limit actually used. */
typedef struct PageRequest
{
	int64		event_id;
	int32		limit;
	int32		offset;
} PageRequest;

/*
 * {count, next, previous, results} for the request, with results taken from
 * the first nrows rows of "rows" (columns as in invite_query.h).  Scratch
 * memory comes from the current memory context, the jsonb from result_cxt.
 */
extern Jsonb *page_json_build(const PageRequest *request, int64 count,
							  SPITupleTable *rows, uint64 nrows,
							  MemoryContext result_cxt);

#endif							/* INVITE_API_PAGE_JSON_H */

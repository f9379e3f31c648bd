/*
 * invite_key.h
 *		The key that orders an event's invites on its pages.
 */
#ifndef INVITE_API_INVITE_KEY_H
#define INVITE_API_INVITE_KEY_H

#include "datatype/timestamp.h"

/* A key in page order: the invite's time, then its user id. */
typedef struct InviteKey
{
	TimestampTz at;
	int64		user;
} InviteKey;

/* <0, 0 or >0 as key a comes before, with or after key b. */
static inline int
invite_key_cmp(const InviteKey *a, const InviteKey *b)
{
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	return 0;
}

#endif							/* INVITE_API_INVITE_KEY_H */

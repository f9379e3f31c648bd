/*
 * invite_write.h
 *		Invite and uninvite a list of users, through SPI.
 *
 * invite_write_user_list() needs no SPI; the others are called between
 * SPI_connect() and SPI_finish(), each running one statement that is not
 * read-only (a new snapshot, PostgreSQL's own checks for a read-only
 * transaction).
 */
#ifndef INVITE_API_INVITE_WRITE_H
#define INVITE_API_INVITE_WRITE_H

#include "utils/array.h"

/*
 * The users of a call's list, sorted and without repeats, or a 22023 error
 * when the list is empty, has a null, is not one-dimensional or names more
 * distinct users than invite_api.max_batch.
 */
extern ArrayType *invite_write_user_list(ArrayType *users);

/*
 * A 22023 error naming the first few of "users" that do not exist; with
 * "lock", the others cannot be deleted until the end of the transaction.
 */
extern void invite_write_check_users(ArrayType *users, bool lock);

/*
 * Refuse (55000) while event_invites has a rule that would change the
 * invite's (or the uninvite's) statement.
 */
extern void invite_write_refuse_rules(bool invite);

/*
 * Make writers of the event take turns, until the end of the transaction;
 * false when the event is gone.
 */
extern bool invite_write_lock_event(int64 event_id);

/* Invite the users not yet invited; the number of invites created. */
extern uint64 invite_write_insert(int64 event_id, ArrayType *users,
								  int64 invited_by);

/* Install the planner hooks that invite_write_delete() relies on. */
extern void invite_write_init(void);

/* Remove the users' invites; the number removed. */
extern uint64 invite_write_delete(int64 event_id, ArrayType *users);

/*
 * Whether invite_write_delete()'s statement is under way (its triggers
 * firing), and for which event: the call holds that event's turn.
 */
extern bool invite_write_removing(int64 *event_id);

#endif							/* INVITE_API_INVITE_WRITE_H */

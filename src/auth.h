/*
 * auth.h
 *		The user a request's token speaks for.
 */
#ifndef INVITE_API_AUTH_H
#define INVITE_API_AUTH_H

/*
 * The user id the token (NULL when none was given) speaks for, or an error:
 * 28000 when the token is missing or refused, 55000 when the library is not
 * preloaded or no usable key is configured.
 */
extern int64 auth_user_from_token(text *token);

/* Record how the library is being loaded (from _PG_init). */
extern void auth_record_load(void);

/* Was the library preloaded (shared or session_preload_libraries)? */
extern bool auth_preloaded(void);

#endif							/* INVITE_API_AUTH_H */

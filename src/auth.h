/*
 * auth.h
 *		The user a request's token speaks for.
 */
#ifndef INVITE_API_AUTH_H
#define INVITE_API_AUTH_H

/*
 * The user id the token (NULL when none was given) speaks for, or an error:
 * 28000 when the token is missing or refused, 55000 when no usable key is
 * configured.
 */
extern int64 auth_user_from_token(text *token);

#endif							/* INVITE_API_AUTH_H */

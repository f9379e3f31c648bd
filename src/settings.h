/*
 * settings.h
 *		The invite_api.* configuration parameters.
 */
#ifndef INVITE_API_SETTINGS_H
#define INVITE_API_SETTINGS_H

#include "utils/guc.h"

/* The shortest HMAC secret accepted, in bytes (RFC 7518 3.2 for HS256). */
#define INVITE_API_MIN_SECRET_LENGTH 32

/* What SHOW and pg_settings print in place of the key. */
#define INVITE_API_SECRET_MASK "********"

extern char *invite_api_jwt_secret_file;
extern char *invite_api_jwt_audience;
extern int	invite_api_jwt_leeway;
extern char *invite_api_jwt_user_claim;
extern char *invite_api_jwt_token_types;
extern bool invite_api_jwt_require_exp;
extern char *invite_api_base_url;
extern int	invite_api_default_limit;
extern int	invite_api_max_limit;
extern int	invite_api_run_size;

/* The most distinct users one call may invite or uninvite. */
extern int	invite_api_max_batch;

extern void settings_init(void);
extern const char *settings_jwt_secret(size_t *len, GucSource *source);

#endif							/* INVITE_API_SETTINGS_H */

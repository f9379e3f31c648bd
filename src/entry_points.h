/*
 * entry_points.h
 *		What leaves the module: its SQL entry points and _PG_init.
 *
 * The Makefile builds with -fvisibility=hidden, so that no other symbol of
 * ours enters the server's global namespace, where another module's symbol
 * of the same name could bind to it.  PostgreSQL 16 defines PGDLLEXPORT as
 * default visibility and declares PG_FUNCTION_INFO_V1's function with it; on
 * 15 PGDLLEXPORT is empty on Linux, so it is defined here, before the
 * expansions of PG_MODULE_MAGIC and PG_FUNCTION_INFO_V1 in the files that
 * include this one, and every entry point is declared with it.  Include it
 * after the PostgreSQL headers.
 */
#ifndef INVITE_API_ENTRY_POINTS_H
#define INVITE_API_ENTRY_POINTS_H

#include "fmgr.h"

#if PG_VERSION_NUM < 160000 && defined(__GNUC__)
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern PGDLLEXPORT void _PG_init(void);

/* invite_api.c */
extern PGDLLEXPORT Datum event_invites_page(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum event_invites_page_1_1(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum event_invites_page_1_2(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum event_invite_users(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum event_uninvite_users(PG_FUNCTION_ARGS);

/* invite_changes.c */
extern PGDLLEXPORT Datum log_invite_changes(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum log_invite_change_row(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum event_invites_truncated(PG_FUNCTION_ARGS);

#endif							/* INVITE_API_ENTRY_POINTS_H */

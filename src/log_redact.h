/*
 * log_redact.h
 *		Keep the signing key out of the server log.
 */
#ifndef INVITE_API_LOG_REDACT_H
#define INVITE_API_LOG_REDACT_H

/* Install the emit_log_hook (from _PG_init, when preloaded). */
extern void log_redact_install(void);

#endif							/* INVITE_API_LOG_REDACT_H */

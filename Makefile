# invite_api: PGXS build of the extension and its test suites.
#
#   make && make install          build and install into $(PG_CONFIG)'s server
#   make installcheck             pg_regress suite + isolation specs against a
#                                 running server (see tools/test.sh for a
#                                 throwaway one)

EXTENSION = invite_api invite_api_http
MODULE_big = invite_api
OBJS = \
	src/invite_api.o \
	src/settings.o \
	src/jwt_loader.o \
	src/jwt_verify.o \
	src/invite_query.o \
	src/page_json.o

DATA = $(wildcard sql/invite_api--*.sql) $(wildcard sql/invite_api_http--*.sql)

PG_CONFIG ?= pg_config

# libjwt is opened at run time with dlopen() (see src/jwt_loader.c): linking
# -ljwt would bind jansson's json_object() to the server's own SQL function of
# that name and crash the backend.  So only its header is used at build time.
PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags libjwt)
SHLIB_LINK = -ldl

# Warnings we hold the code to; the test command adds -Werror (COPT=-Werror).
# The server's headers are read as system headers (-isystem overrides PGXS's
# -I for the same directory): -Wextra finds unused parameters in their
# inline functions, which are not ours to fix.
PG_CFLAGS = -Wall -Wextra
PG_CPPFLAGS += -isystem $(includedir_server)

# pg_regress (PostgreSQL 15) reads DIR/sql/*.sql and DIR/expected/*.out, and
# the isolation tester DIR/specs/*.spec.  Our tests live in sql_tests/,
# expected/ and specs/, so REGRESS_PREP lays out DIR as links to them.
REGRESS_DIR = build/regress
REGRESS := $(sort $(notdir $(basename $(wildcard sql_tests/*.sql))))
REGRESS_OPTS = --inputdir=$(REGRESS_DIR)
ISOLATION := $(sort $(notdir $(basename $(wildcard specs/*.spec))))
ISOLATION_OPTS = --inputdir=$(REGRESS_DIR)
REGRESS_PREP = regress-layout

EXTRA_CLEAN = build

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: regress-layout
regress-layout:
	@mkdir -p $(REGRESS_DIR)
	@ln -sfn ../../sql_tests $(REGRESS_DIR)/sql
	@ln -sfn ../../expected $(REGRESS_DIR)/expected
	@ln -sfn ../../specs $(REGRESS_DIR)/specs

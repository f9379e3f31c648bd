# invite_api: PGXS build of the extension and its test suites.
#
#   make && make install          build and install into $(PG_CONFIG)'s server
#   make installcheck             pg_regress suite, isolation specs and TAP
#                                 tests, each on servers of their own (not
#                                 as root; no running server is touched)

EXTENSION = invite_api invite_api_http
MODULE_big = invite_api
OBJS = \
	src/invite_api.o \
	src/auth.o \
	src/settings.o \
	src/keys.o \
	src/log_redact.o \
	src/jwt_loader.o \
	src/jwt_verify.o \
	src/invite_query.o \
	src/run_scan.o \
	src/invite_changes.o \
	src/saved_query.o \
	src/invite_write.o \
	src/page_json.o

DATA = $(wildcard sql/invite_api--*.sql) $(wildcard sql/invite_api_http--*.sql)

PG_CONFIG ?= pg_config

# libjwt is opened at run time with dlopen() (see src/jwt_loader.c): linking
# -ljwt would bind jansson's json_object() to the server's own SQL function of
# that name and crash the backend.  So only its header is used at build time,
# and jansson's, whose functions are called through libjwt's handle.
PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags libjwt jansson)
SHLIB_LINK = -ldl

# Warnings we hold the code to; the test command adds -Werror (COPT=-Werror).
# The server's headers are read as system headers (-isystem overrides PGXS's
# -I for the same directory): -Wextra finds unused parameters in their
# inline functions, which are not ours to fix.
PG_CFLAGS = -Wall -Wextra

# Only the SQL entry points, _PG_init and the magic block are exported
# (PGDLLEXPORT, see src/invite_api.c): the server loads every module into one
# global symbol namespace, where our internal functions could bind to another
# module's symbols of the same name.  PostgreSQL 16's PGXS adds this itself.
PG_CFLAGS += -fvisibility=hidden
PG_CPPFLAGS += -isystem $(includedir_server)

# pg_regress (PostgreSQL 15) reads DIR/sql/*.sql and DIR/expected/*.out, and
# the isolation tester DIR/specs/*.spec.  Our tests live in sql_tests/,
# expected/ and specs/, so REGRESS_PREP lays out DIR: links to the first two,
# and each spec with the suites' token signer and checks (test/helpers/)
# prepended as its first setup block.
REGRESS_DIR = build/regress
REGRESS := $(sort $(notdir $(basename $(wildcard sql_tests/*.sql))))
ISOLATION := $(sort $(notdir $(basename $(wildcard specs/*.spec))))
REGRESS_PREP = regress-layout

# Both run on throwaway servers of their own (--temp-instance), started from
# $(bindir) with the library preloaded and the test secret
# (test/regress.conf): "make installcheck" never touches a running server's
# settings or databases.  UTF8 without locale, so that outputs compare the
# same on every machine.
REGRESS_OPTS = --inputdir=$(REGRESS_DIR) \
	--temp-instance=$(REGRESS_DIR)/tmp_regress \
	--temp-config=$(srcdir)/test/regress.conf
ISOLATION_OPTS = --inputdir=$(REGRESS_DIR) \
	--temp-instance=$(REGRESS_DIR)/tmp_isolation \
	--temp-config=$(srcdir)/test/regress.conf
ENCODING = UTF8
NO_LOCALE = 1

# TAP tests (PostgreSQL::Test::Cluster) for what needs several servers,
# restarts or crashes: test/t/*.pl.
ifneq ($(wildcard test/t/*.pl),)
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
endif

EXTRA_CLEAN = build

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

SPEC_SOURCES = $(wildcard specs/*.spec)
SPEC_BUILT = $(patsubst specs/%,$(REGRESS_DIR)/specs/%,$(SPEC_SOURCES))

.PHONY: regress-layout
regress-layout: $(SPEC_BUILT)
	@mkdir -p $(REGRESS_DIR)
	@ln -sfn ../../sql_tests $(REGRESS_DIR)/sql
	@ln -sfn ../../expected $(REGRESS_DIR)/expected

# The spec parser ends a block at the first closing brace, so the helpers
# must contain none (checked here).  The checks are created before the
# spec's own setup creates the extension they read, so without checking
# their bodies.
SPEC_HELPERS = test/helpers/tokens.sql test/helpers/checks.sql
$(REGRESS_DIR)/specs/%.spec: specs/%.spec $(SPEC_HELPERS)
	@mkdir -p $(dir $@)
	@if grep -q '[{}]' $(SPEC_HELPERS); then \
		echo '$(SPEC_HELPERS) must not contain braces' >&2; exit 1; fi
	@{ echo '# Generated from $< with $(SPEC_HELPERS) prepended.'; \
	   echo 'setup'; echo '{'; echo 'SET check_function_bodies = off;'; \
	   cat $(SPEC_HELPERS); echo 'RESET check_function_bodies;'; echo '}'; \
	   cat $<; } > $@

# make dist: the PGXN release archive dist/invite_api-<version>.zip, a git
# archive of the committed HEAD (as pgvector's Makefile makes its own), so
# build output and uncommitted changes stay out of it.  The version is
# META.json's; the archive is refused while invite_api.control's
# default_version (make's $(basename) of 1.2.0 is 1.2) or debian/changelog
# names another one.
DIST_VERSION := $(shell sed -n 's/^   "version": "\([^"]*\)",$$/\1/p' META.json)
DIST_ZIP = dist/invite_api-$(DIST_VERSION).zip

.PHONY: dist
dist:
	@test -n "$(DIST_VERSION)" || { echo 'META.json has no "version"' >&2; exit 1; }
	@grep -qx "default_version = '$(basename $(DIST_VERSION))'" invite_api.control || \
		{ echo "invite_api.control: default_version is not '$(basename $(DIST_VERSION))'" >&2; exit 1; }
	@head -n 1 debian/changelog | grep -qF '($(DIST_VERSION)-' || \
		{ echo 'debian/changelog: the last entry is not $(DIST_VERSION)' >&2; exit 1; }
	@mkdir -p dist
	git archive --format=zip --prefix=invite_api-$(DIST_VERSION)/ --output=$(DIST_ZIP) HEAD

# SPDX-License-Identifier: ISC
# sockwatch - non-recursive build. `make`, `make check`, `make install`.
# The one place that holds the version: --version, the man pages and the
# Debian package take it from here (check-packaging checks they agree), and
# NEWS.md gives its release date as "## VERSION (YYYY-MM-DD)".
VERSION    := 0.2.0
RELEASE_DATE = $(shell sed -n 's/^\#\# $(VERSION) (\([0-9-]*\))$$/\1/p' NEWS.md)

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
DESTDIR    ?=
PKG_CONFIG ?= pkg-config
SYSTEMDUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
SYSUSERSDIR    ?= $(shell $(PKG_CONFIG) --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
BASHCOMPDIR    ?= $(or $(shell $(PKG_CONFIG) --variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)

CC       ?= cc
CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Werror
PKGS     := libmnl jansson libnl-route-3.0
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS))
# Only the daemon drops privileges and sandboxes itself.
DAEMON_PKGS := libcap-ng libseccomp
DAEMON_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(DAEMON_PKGS))
DAEMON_LIBS   = $(shell $(PKG_CONFIG) --libs $(DAEMON_PKGS))
# Expanded only when the tests are built: a build without them needs no check.
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check)

B := build
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DSOCKWATCH_VERSION='"$(VERSION)"' \
              $(WARNINGS) -MMD -MP -Ilib $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)

LIB_SRC    := $(wildcard lib/*.c)
DAEMON_SRC := $(wildcard daemon/*.c)
CLI_SRC    := $(wildcard cli/*.c)
# The fuzz targets' bodies go into the tests too, which replay the
# inputs kept under tests/data/fuzz/; fuzz/main.c is libFuzzer's alone.
FUZZ_SRC   := $(filter-out fuzz/main.c,$(wildcard fuzz/*.c))
FUZZERS    := $(patsubst fuzz/%.c,%,$(FUZZ_SRC))
TEST_SRC   := $(wildcard tests/*.c) $(FUZZ_SRC)
BENCH_SRC  := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIB     := $(B)/libsockwatch.a
DAEMON  := $(B)/sockwatchd
CLI     := $(B)/sockwatchctl
TESTS   := $(B)/sockwatch-tests
BENCHES := $(patsubst bench/%.c,$(B)/bench-%,$(BENCH_SRC))
FAULT   := $(B)/sockwatch-fault.so $(B)/sockwatch-fault-alloc.so
MANS    := $(patsubst man/%,$(B)/man/%,$(wildcard man/*.[0-9]))

.PHONY: all check check-asan check-valgrind check-packaging demo bench \
        fuzz soak install uninstall clean format lint check-fresh deb check-systemd

all: $(LIB) $(DAEMON) $(CLI) $(MANS)

# Objects depend on this file too: it holds their flags and the version.
$(B)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRC))
	$(AR) rcs $@ $^

# The daemon looks user names up in a thread of their own (daemon/users.c).
$(call obj,$(DAEMON_SRC)): ALL_CFLAGS += -pthread $(DAEMON_CFLAGS)
$(DAEMON): $(call obj,$(DAEMON_SRC)) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) $(DAEMON_LIBS)

$(CLI): $(call obj,$(CLI_SRC)) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(call obj,$(TEST_SRC)): ALL_CFLAGS += $(CHECK_CFLAGS) -DBUILD_DIR='"$(B)"' -Ifuzz
$(TESTS): $(call obj,$(TEST_SRC)) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# The man pages carry the version and its release date from here and NEWS.md.
$(B)/man/%: man/% NEWS.md Makefile
	@mkdir -p $(dir $@)
	@test -n "$(RELEASE_DATE)" || \
	  { echo "NEWS.md has no '## $(VERSION) (YYYY-MM-DD)' heading" >&2; exit 1; }
	sed -e "s/^\.Dd .*/.Dd $$(LC_ALL=C date -u -d $(RELEASE_DATE) '+%B %-d, %Y')/" \
	  -e 's/^\.Os$$/.Os sockwatch $(VERSION)/' $< > $@

$(B)/bench-%: $(B)/obj/bench/%.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The fault shim is preloaded into the daemon, never linked with it; it
# gets no sanitizer, whose runtime must come first in a sanitized daemon.
$(B)/sockwatch-fault.so: tests/fault/shim.c
	$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) -O1 -g -fPIC -shared -o $@ $< -ldl

$(B)/sockwatch-fault-alloc.so: tests/fault/alloc.c
	$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) -O1 -g -fPIC -shared -o $@ $<

# The suite runs in private network, mount and PID namespaces: tests/run
# picks `unshare -mnp` as root and `unshare -rmnp` otherwise.
check: all $(TESTS) $(FAULT)
	tests/run $(TESTS)

# The same suite built with AddressSanitizer and UBSan, in its own tree.
check-asan:
	$(MAKE) B=build/asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" check

# The daemon under valgrind while the integration tests drive it.
check-valgrind: all $(TESTS) $(FAULT)
	SOCKWATCH_DAEMON_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --quiet" \
	  CK_TIMEOUT_MULTIPLIER=4 tests/run $(TESTS)

# What a packager meets: man pages lint clean, units that verify, and a
# service hardened to an exposure of 2.0 or less (systemd counts in tenths).
check-packaging: all
	mandoc -T lint -W warning $(MANS)
	tests/versions $(B) $(VERSION)
	rm -rf $(B)/units && mkdir -p $(B)/units
	sed 's|^ExecStart=/usr/sbin/|ExecStart=$(CURDIR)/$(B)/|' \
	  systemd/sockwatchd.service > $(B)/units/sockwatchd.service
	cp systemd/sockwatchd.socket $(B)/units/
	cd $(B)/units && systemd-analyze verify --man=no ./sockwatchd.service ./sockwatchd.socket
	systemd-analyze security --offline=yes --threshold=20 \
	  $(B)/units/sockwatchd.service > $(B)/units/security.txt \
	  || { cat $(B)/units/security.txt; exit 1; }
	tail -n 1 $(B)/units/security.txt
	systemd-sysusers --dry-run - < systemd/sockwatch.sysusers

# As root, in new minimal Debian 12 roots (debootstrap, cached under
# $(B)/): README's Quick start as written; the package built, linted,
# installed, upgraded, removed and purged; the package under a booted
# systemd. Each prints how long its steps took.
check-fresh:
	DEBROOT_BUILD=$(B) tests/check-fresh

deb:
	DEBROOT_BUILD=$(B) tests/deb

check-systemd:
	DEBROOT_BUILD=$(B) tests/check-systemd

# libFuzzer targets (clang; ASan and UBSan, which abort on the first
# error): the filter parser, the request codec and a dump through to JSON,
# each for FUZZ_SECONDS, from the inputs kept in tests/data/fuzz/NAME/.
# What they find is left in $(B)/fuzz/NAME-crash-*: keep it in
# tests/data/fuzz/NAME/, where make check replays it, and fix the cause.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ilib -Ifuzz
fuzz:
	@mkdir -p $(B)/fuzz
	for t in $(FUZZERS); do \
	  clang $(FUZZ_FLAGS) -DFUZZ_TARGET=fuzz_$$t $(PKG_CFLAGS) \
	    -o $(B)/fuzz-$$t fuzz/main.c $(FUZZ_SRC) $(LIB_SRC) $(PKG_LIBS) \
	    || exit 1; \
	  mkdir -p $(B)/fuzz/$$t; \
	  $(B)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(B)/fuzz/$$t- $(B)/fuzz/$$t tests/data/fuzz/$$t \
	    || exit 1; \
	done

# The daemon for SOAK_MINUTES under churn and hostile clients, in private
# namespaces (tests/soak/soak.py says what it does and checks).
SOAK_MINUTES ?= 10
soak: all $(BENCHES)
	SOAK_MINUTES=$(SOAK_MINUTES) tests/run python3 tests/soak/soak.py $(B)

# Start the daemon on a private socket, print this host's grouped list, stop.
demo: all
	tests/demo $(B)

bench: all $(BENCHES)
	bench/run
	bench/events

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DATADIR)/sockwatch
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/sockwatchd
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/sockwatchctl
	install -m 0644 $(B)/man/sockwatchd.8 $(B)/man/sockwatchctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(B)/man/sockwatch-json.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 $(B)/man/sockwatch-picture.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 schema/*.schema.json $(DESTDIR)$(DATADIR)/sockwatch/
	sed 's|^ExecStart=/usr/sbin/|ExecStart=$(SBINDIR)/|' systemd/sockwatchd.service \
	  > $(DESTDIR)$(SYSTEMDUNITDIR)/sockwatchd.service
	install -m 0644 systemd/sockwatchd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/sockwatch.sysusers $(DESTDIR)$(SYSUSERSDIR)/sockwatch.conf
	install -m 0644 completion/sockwatchctl.bash $(DESTDIR)$(BASHCOMPDIR)/sockwatchctl

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sockwatchd $(DESTDIR)$(BINDIR)/sockwatchctl \
	  $(DESTDIR)$(MANDIR)/man8/sockwatchd.8 \
	  $(DESTDIR)$(MANDIR)/man8/sockwatchctl.8 \
	  $(DESTDIR)$(MANDIR)/man7/sockwatch-json.7 \
	  $(DESTDIR)$(MANDIR)/man5/sockwatch-picture.5 \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/sockwatchd.service \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/sockwatchd.socket \
	  $(DESTDIR)$(SYSUSERSDIR)/sockwatch.conf \
	  $(DESTDIR)$(BASHCOMPDIR)/sockwatchctl
	rm -rf $(DESTDIR)$(DATADIR)/sockwatch

format:
	clang-format -i lib/*.[ch] daemon/*.[ch] cli/*.[ch] tests/*.[ch] tests/fault/*.c bench/*.c fuzz/*.c

# Static checks of the shipped code: cppcheck and clang-tidy, both quiet.
lint:
	cppcheck --quiet --error-exitcode=1 \
	  --enable=warning,performance,portability,style --inline-suppr \
	  -D_GNU_SOURCE -Ilib --include=/usr/include/jansson.h \
	  --suppress=missingIncludeSystem lib daemon cli
	@# One file a run: clang-tidy 14 reports a va_list set by va_start as
	@# uninitialized when it analyses several files in one invocation.
	for f in $(LIB_SRC) $(DAEMON_SRC) $(CLI_SRC); do \
	  clang-tidy --quiet $$f -- -std=c11 -D_GNU_SOURCE \
	    -DSOCKWATCH_VERSION='"$(VERSION)"' -Ilib $(PKG_CFLAGS) || exit 1; \
	done

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

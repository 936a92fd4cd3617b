# resume-chat — a FastCGI worker behind nginx. `make help` lists the targets.
#
# Every src/*.cc except main.cc goes into build/libresume_chat.a; build/resume-chat
# links main.cc against it; every tests/*_test.cc becomes its own Boost.Test binary.

SHELL    := /bin/bash
CXX      ?= g++
CXXFLAGS ?= -O2 -g
# Always applied, even when CXXFLAGS is given on the command line (sanitizer builds).
RC_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -Iinclude -I/usr/include/postgresql \
               -I/usr/include/poppler/cpp -MMD -MP
LDLIBS   := -lfcgi -lpq -lcurl -lmstch -lcrypto -ldl -lpthread
# The PDF and DOCX readers (poppler-cpp, libzip, expat) are a library of their own, loaded
# only by `resume-chat documents put` (include/resume_chat/document_readers.h).
READER_SRCS := src/pdf_text.cc src/docx_text.cc src/readers_library.cc
READER_LIBS := -lpoppler-cpp -lzip -lexpat
BUILD    ?= build
# Content-hashed static files and the page template that links them (scripts/hash-static);
# always under build/, whatever BUILD is: scripts/lib/stack.sh serves them from there.
ASSETS   := build
STATIC_INPUTS := templates/page.mustache templates/starters.txt $(wildcard static/*.css static/*.js static/*.html \
                 static/vendor/*.js static/vendor/*.LICENSE)

SRCS      := $(filter-out src/main.cc $(READER_SRCS),$(wildcard src/*.cc))
OBJS      := $(SRCS:src/%.cc=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/*_test.cc)
TESTS     := $(TEST_SRCS:tests/%.cc=$(BUILD)/tests/%)
# tests/integration*_test.cc run against a whole stack (scripts/run-tests integration).
INTEGRATION_TESTS := $(filter $(BUILD)/tests/integration%,$(TESTS))
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.cc)
REPLAYS   := $(FUZZ_SRCS:tests/fuzz/%_fuzz.cc=$(BUILD)/fuzz-replay/%)
FUZZERS   := $(FUZZ_SRCS:tests/fuzz/%_fuzz.cc=build-fuzz/%)
FUZZ_SECONDS ?= 30

.PHONY: all deps demo run test unit-test integration-test fuzz check-sanitize screenshots bench clean help

READERS   := $(BUILD)/libresume-chat-readers.so

all: $(BUILD)/resume-chat $(READERS) $(ASSETS)/static/manifest

help:
	@echo "make            build $(BUILD)/resume-chat and the hashed static files ($(ASSETS)/static)"
	@echo "make deps       install Debian packages (scripts/install-deps)"
	@echo "make demo       whole app on embedded defaults at http://127.0.0.1:7860/?q=demo"
	@echo "make run        the app with the real .env"
	@echo "make test       every test: unit, integration (PostgreSQL+nginx+simulator), browser"
	@echo "make check-sanitize  unit+integration under ASan+UBSan, then the stack under TSan"
	@echo "make fuzz       each libFuzzer target for FUZZ_SECONDS (default 30)"
	@echo "make bench      release build on the real stack, measured against a floor (bench/)"
	@echo "make screenshots  browser tests against a test stack, PNGs into docs/screenshots/"
	@echo "make install    PREFIX=/usr/local [SYSCONFDIR=/etc] [DESTDIR=]: worker, files, nginx site, systemd unit"

deps:
	scripts/install-deps

$(ASSETS)/static/manifest: scripts/hash-static $(STATIC_INPUTS)
	scripts/hash-static $(ASSETS)

$(BUILD)/obj/%.o: src/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) -Itests -c $< -o $@

$(BUILD)/libresume_chat.a: $(OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/resume-chat: $(BUILD)/obj/main.o $(BUILD)/libresume_chat.a
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/pic/%.o: src/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) -fPIC -c $< -o $@

$(READERS): $(READER_SRCS:src/%.cc=$(BUILD)/pic/%.o)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) -shared $^ -o $@ $(READER_LIBS)

# Tests and fuzz replays link the readers library too (some call pdf_text/docx_text directly);
# it is found one directory up from build/tests/ and build/fuzz-replay/.
LINK_READERS = $(READERS) -Wl,-rpath,'$$ORIGIN/..'

$(BUILD)/tests/%_test: $(BUILD)/tests/%_test.o $(BUILD)/libresume_chat.a $(READERS)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) $(filter-out $(READERS),$^) -o $@ $(LINK_READERS) $(LDLIBS) \
	  -lboost_unit_test_framework

unit-test: $(TESTS) $(REPLAYS)
	BUILD=$(BUILD) scripts/run-tests unit

# Every fuzz target's committed corpus, replayed without libFuzzer (runs in `make test`).
$(BUILD)/fuzz-replay/%: tests/fuzz/%_fuzz.cc tests/fuzz/replay_main.cc $(BUILD)/libresume_chat.a $(READERS)
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) $(filter-out $(READERS),$^) -o $@ $(LINK_READERS) $(LDLIBS)


# libFuzzer (clang) with ASan+UBSan: each target for FUZZ_SECONDS, starting from the committed
# corpus; new inputs go to build-fuzz/corpus/NAME, crashes to build-fuzz/crash-*. Copy a
# crash into tests/fuzz/corpus/NAME/ once fixed: `make test` then replays it forever.
build-fuzz/%: tests/fuzz/%_fuzz.cc $(filter-out src/main.cc,$(wildcard src/*.cc))
	@mkdir -p $(dir $@)
	clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude \
	  -I/usr/include/postgresql -I/usr/include/poppler/cpp $^ -o $@ $(LDLIBS) $(READER_LIBS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); echo "== fuzz $$n ($(FUZZ_SECONDS) s)"; \
	  mkdir -p build-fuzz/corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/crash-$$n- \
	    build-fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | tail -1; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; done

integration-test: $(BUILD)/resume-chat $(TESTS) $(ASSETS)/static/manifest
	BUILD=$(BUILD) scripts/run-tests integration

# Everything, from a fresh machine: packages (with Chromium and the npm test tools), build,
# unit tests, fuzz-corpus replays, then the stack tests. Ends with "N passed, M failed".
test:
	scripts/install-deps --browser
	$(MAKE) -j2 all $(TESTS) $(REPLAYS) build/bench/loadgen
	BUILD=$(BUILD) scripts/run-tests all

# The same tests on sanitizer builds: ASan+UBSan for everything, TSan for the threaded
# worker under the concurrent integration and browser tests, and for the unit tests of the
# upstream engine and the other parts threads share. Any report fails the run.
SAN_ASAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_TSAN := -O1 -g -fsanitize=thread
# Unit tests of the parts that threads share: run again under TSan.
THREADED_TESTS := claude_engine_test stream_registry_test fcgi_connection_test fcgi_server_test \
                  reply_writer_test
check-sanitize:
	$(MAKE) $(ASSETS)/static/manifest build/bench/loadgen
	$(MAKE) -j2 BUILD=build-asan CXXFLAGS="$(SAN_ASAN)" build-asan/resume-chat \
	  $(TEST_SRCS:tests/%.cc=build-asan/tests/%) $(FUZZ_SRCS:tests/fuzz/%_fuzz.cc=build-asan/fuzz-replay/%)
	BUILD=build-asan WORKER_BIN=build-asan/resume-chat scripts/run-tests all
	$(MAKE) -j2 BUILD=build-tsan CXXFLAGS="$(SAN_TSAN)" build-tsan/resume-chat $(INTEGRATION_TESTS:$(BUILD)/%=build-tsan/%) \
	  $(THREADED_TESTS:%=build-tsan/tests/%)
	BUILD=build-tsan WORKER_BIN=build-tsan/resume-chat THREADED_TESTS="$(THREADED_TESTS)" \
	  TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp" scripts/run-tests threads integration

# The browser tests on their own stack, each writing its shots (ready, streaming, error,
# not-found, dark, narrow, empty, narrow-chat) to docs/screenshots/; docs/page.md shows them.
SHOTS_STACK := $(CURDIR)/.run/screenshots-stack
screenshots: all
	mkdir -p docs/screenshots
	STACK_DIR=$(SHOTS_STACK) scripts/test-stack start
	source $(SHOTS_STACK)/env && SCREENSHOT_DIR=$(CURDIR)/docs/screenshots \
	  node --test --test-reporter=spec tests/browser/; rc=$$?; \
	  STACK_DIR=$(SHOTS_STACK) scripts/test-stack stop; exit $$rc

# Release build, then bench/run: one table of figures, each beside the floor of the same run.
BENCH_BUILD := build-release
bench:
	scripts/install-deps --bench
	$(MAKE) -j2 BUILD=$(BENCH_BUILD) CXXFLAGS="-O2 -DNDEBUG" $(BENCH_BUILD)/resume-chat \
	  $(BENCH_BUILD)/bench/floor $(BENCH_BUILD)/bench/instructions $(BENCH_BUILD)/bench/loadgen
	BUILD=$(BENCH_BUILD) bench/run

$(BUILD)/bench/floor: bench/floor.cc
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) $< -o $@ -lfcgi -lpthread

$(BUILD)/bench/loadgen: bench/loadgen.cc
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) $< -o $@ -lcurl

$(BUILD)/bench/instructions: bench/instructions.cc $(BUILD)/libresume_chat.a
	@mkdir -p $(dir $@)
	$(CXX) $(RC_CXXFLAGS) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

demo: deps all
	scripts/demo

run: all
	scripts/demo --env

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz build-release

# --- Install on a VPS (docs/deploying.md, "On a VPS"; tested by tests/vps/vps-test) -----------
#   make install [PREFIX=/usr/local] [SYSCONFDIR=/etc] [DESTDIR=]
# PREFIX/bin/resume-chat; PREFIX/share/resume-chat/ (the unit's WorkingDirectory): templates/
# (the hashed page, starters.txt), prompts/, static/ (hashed names, earlier ones kept: running workers link
# them), migrations/, nginx/resume-chat.conf (the site) including nginx/locations.conf (and
# it nginx/security-headers.conf), nginx/capacity.conf;
# PREFIX/lib/systemd/system/resume-chat@.service; SYSCONFDIR/resume-chat/env.example, and env
# (0600) from it only if there is none: an existing env is never touched. DESTDIR is only where
# files are written (staging); the paths written into them are PREFIX's and SYSCONFDIR's.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
PKGDATA    := $(PREFIX)/share/resume-chat
# nginx's /chat body limit follows the worker's MAX_MESSAGE_CHARS: the installed env's, else
# 8000 (or MAX_MESSAGE_CHARS=N on the command line); 12 bytes a character plus 4 KB, as
# src/chat_route.cc reads a body. Changed in env later: run `make install` again.
MAX_MESSAGE_CHARS ?= $(or $(shell sed -n 's/^[[:space:]]*MAX_MESSAGE_CHARS="\{0,1\}\([0-9][0-9]*\)"\{0,1\}[[:space:]]*$$/\1/p' \
  $(DESTDIR)$(SYSCONFDIR)/resume-chat/env 2>/dev/null | tail -1),8000)
CHAT_BODY_MAX = $(shell echo $$(( $(MAX_MESSAGE_CHARS) * 12 + 4096 )))
# Fills in the @NAMES@ of every line but comments (which may name them).
RENDER     := sed -e '/^[[:space:]]*\#/!{s|@BINDIR@|$(PREFIX)/bin|g; s|@PKGDATADIR@|$(PKGDATA)|g;' \
  -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g; s|@STATIC_ROOT@|$(PKGDATA)/static|g; s|@FCGI_PASS@|resume_chat|g;' \
  -e 's|@LOCATIONS@|$(PKGDATA)/nginx/locations.conf|g; s|@CHAT_RATE@|30r/m|g;' \
  -e 's|@CHAT_BURST@|10|g; s|@CHAT_STREAMS@|4|g; s|@PAGE_RATE@|10r/s|g; s|@PAGE_BURST@|40|g;' \
  -e 's|@SECURITY_HEADERS@|$(PKGDATA)/nginx/security-headers.conf|g; s|@FRAME_ANCESTORS@|'\''self'\''|g;' \
  -e 's|@MAX_MESSAGE_CHARS@|$(MAX_MESSAGE_CHARS)|g; s|@CHAT_BODY_MAX@|$(CHAT_BODY_MAX)|g}'
.PHONY: install
install: all
	install -d $(addprefix $(DESTDIR),$(PREFIX)/bin $(PREFIX)/lib/systemd/system $(SYSCONFDIR)/resume-chat \
	  $(addprefix $(PKGDATA)/,templates prompts static migrations nginx))
	install -m 755 $(BUILD)/resume-chat $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/lib/resume-chat
	install -m 644 $(READERS) $(DESTDIR)$(PREFIX)/lib/resume-chat/
	install -m 644 $(ASSETS)/templates/page.mustache $(ASSETS)/templates/starters.txt \
	  $(DESTDIR)$(PKGDATA)/templates/
	install -m 644 prompts/*.mustache $(DESTDIR)$(PKGDATA)/prompts/
	install -m 644 migrations/*.sql $(DESTDIR)$(PKGDATA)/migrations/
	cp -R $(ASSETS)/static/. $(DESTDIR)$(PKGDATA)/static/
	$(RENDER) nginx/site.conf.in >$(DESTDIR)$(PKGDATA)/nginx/resume-chat.conf
	$(RENDER) nginx/locations.conf.in >$(DESTDIR)$(PKGDATA)/nginx/locations.conf
	install -m 644 nginx/capacity.conf $(DESTDIR)$(PKGDATA)/nginx/capacity.conf
	$(RENDER) nginx/security-headers.conf.in >$(DESTDIR)$(PKGDATA)/nginx/security-headers.conf
	$(RENDER) deploy/resume-chat@.service >$(DESTDIR)$(PREFIX)/lib/systemd/system/resume-chat@.service
	install -m 644 .env.example $(DESTDIR)$(SYSCONFDIR)/resume-chat/env.example
	test -e $(DESTDIR)$(SYSCONFDIR)/resume-chat/env || \
	  install -m 600 .env.example $(DESTDIR)$(SYSCONFDIR)/resume-chat/env

# --- Container image (Dockerfile; Hugging Face Spaces) ---------------------------------------
# Built and run with buildah (vfs storage, chroot isolation): no Docker engine or registry
# needed; the Debian base image is made locally with debootstrap. Run as root.
#   make image        build localhost/resume-chat:latest (scripts/build-image)
#   make test-image   build it, run it against a throwaway PostgreSQL and the simulator and
#                     check it through port 7860 (IMAGE_TEST_PORT) as uid 1000 (scripts/test-image)
.PHONY: image test-image
image:
	scripts/build-image

test-image:
	scripts/test-image

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/pic/*.d $(BUILD)/tests/*.d $(BUILD)/fuzz-replay/*.d)

# cprof — build, test and install.
#   make                 libcprof.so, examples, benchmarks
#   make test            every test (unit, unit under ASan+UBSan, integration)
#   make demo            the main job: see README.md
#   make install PREFIX=DIR
# Dependencies are Debian packages; scripts/install-deps.sh installs the missing ones.

PREFIX   ?= /usr/local
CC       ?= cc
VERSION  := 0.1.0
SOMAJOR  := 0
BUILD    := build

PKGS     := libmicrohttpd libdw libunwind zlib libcurl
WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
# -MMD: every object's header dependencies in a .d file beside it.
# The library sees its own tree (#include "heap/heap.h"); the tool sees only
# the common kit (lib/common/: buf, wire codec, profile.proto field numbers,
# hash and hash table, gzip, cp_err, clock) and itself.
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -MMD -MP -Iinclude \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIB_INC  := -Ilib
TOOL_INC := -Itool -Ilib/common
LIB_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -ldl -lpthread

LIB_SRCS    := $(sort $(wildcard lib/*/*.c))
COMMON_SRCS := $(sort $(wildcard lib/common/*.c))
# The malloc and fork interposers stay out of the unit-test archive: under
# ASan the sanitizer owns malloc, a test's own fork() must stay glibc's, and
# unit tests exercise everything behind the hooks.
HOOK_SRCS   := lib/heap/heap_hooks.c lib/process/fork_hook.c
CORE_SRCS   := $(filter-out $(HOOK_SRCS),$(LIB_SRCS))
LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CORE_OBJS   := $(CORE_SRCS:%.c=$(BUILD)/%.o)
ASAN_OBJS   := $(CORE_SRCS:%.c=$(BUILD)/asan/%.o)
SANITIZE    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
ASAN_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/asan/tests/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
# C++ helpers (tests/helpers/*.cc) and the plugin the CPU stress test loads.
HELPER_CXX_SRCS := $(sort $(wildcard tests/helpers/*.cc))
HELPER_BINS += $(HELPER_CXX_SRCS:tests/helpers/%.cc=$(BUILD)/tests/helpers/%) \
               $(BUILD)/tests/helpers/libcpu_plugin.so
# Examples: examples/NAME.c, or examples/NAME/*.c (one program per file,
# extra link flags in examples/NAME/LIBS).
EXAMPLE_SRCS:= $(sort $(wildcard examples/*.c examples/*/*.c))
EXAMPLE_BINS:= $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)
# The cprof command-line tool (tool/) shares only the common kit with the
# library (lib/common/). Everything but main.c goes into tool.a, which the
# tool's unit tests link.
TOOL_PKGS   := zlib libcurl libmicrohttpd libdw libedit
TOOL_SRCS   := $(sort $(wildcard tool/*.c tool/*/*.c))
TOOL_LIB_SRCS := $(filter-out tool/main.c,$(TOOL_SRCS))
TOOL_OBJS   := $(TOOL_LIB_SRCS:%.c=$(BUILD)/%.o) $(COMMON_SRCS:%.c=$(BUILD)/tool/kit/%.o) \
               $(BUILD)/tool/web_assets_data.o
TOOL_ASAN_OBJS := $(TOOL_OBJS:$(BUILD)/%=$(BUILD)/asan/%)
# The web UI's JS and CSS (tool/web/assets/) are compiled in: xxd -i makes
# each file a C array named after it (ui.js -> ui_js, ui_js_len).
WEB_ASSETS  := $(sort $(wildcard tool/web/assets/*.js tool/web/assets/*.css))
TOOL_LIBS   := $(shell pkg-config --libs $(TOOL_PKGS) 2>/dev/null) -lm -lpthread
TOOL_BIN    := $(BUILD)/cprof
BENCH_SRCS  := $(sort $(wildcard bench/*.c))
BENCH_BINS  := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

SONAME   := libcprof.so.$(SOMAJOR)
LIBREAL  := $(BUILD)/libcprof.so.$(VERSION)

.PHONY: all lib test unit asan demo bench install clean deps format fuzz bench-analyzer bench-cpu bench-symbolize bench-push bench-threads
all: lib $(TOOL_BIN) $(UNIT_BINS) $(HELPER_BINS) $(EXAMPLE_BINS) $(BENCH_BINS)
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
lib: $(BUILD)/libcprof.so

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_INC) -fPIC -fvisibility=hidden -c $< -o $@

$(BUILD)/asan/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_INC) -O1 $(SANITIZE) -fPIC -c $< -o $@

$(LIBREAL): $(LIB_OBJS) lib/libcprof.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,-z,nodelete \
	    -Wl,--version-script=lib/libcprof.map \
	    -o $@ $(LIB_OBJS) $(LIB_LIBS)

$(BUILD)/libcprof.so: $(LIBREAL)
	ln -sf libcprof.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(BUILD)/core.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/asan/core.a: $(ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tool.a: $(TOOL_OBJS)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/asan/tool.a: $(TOOL_ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

# Unit tests: test_cprof_* test the tool (tool.a), the others the library.
$(BUILD)/tests/test_cprof_%: tests/unit/test_cprof_%.c $(BUILD)/tool.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TOOL_INC) -o $@ $< $(BUILD)/tool.a $(TOOL_LIBS) -lcmocka

$(BUILD)/asan/tests/test_cprof_%: tests/unit/test_cprof_%.c $(BUILD)/asan/tool.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TOOL_INC) -O1 $(SANITIZE) -o $@ $< $(BUILD)/asan/tool.a $(TOOL_LIBS) -lcmocka

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_INC) -o $@ $< $(BUILD)/core.a $(LIB_LIBS) -lcmocka

$(BUILD)/asan/tests/%: tests/unit/%.c $(BUILD)/asan/core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LIB_INC) -O1 $(SANITIZE) -o $@ $< $(BUILD)/asan/core.a $(LIB_LIBS) -lcmocka

# Test helpers and examples keep exact call sites: -O0 -g, frame pointers.
$(BUILD)/tests/helpers/%: tests/helpers/%.c tests/helpers/helper.h $(BUILD)/libcprof.so
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O0 -g -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -o $@ $< \
	    -L$(BUILD) -Wl,-rpath,'$$ORIGIN/../..' -lcprof -lpthread

$(BUILD)/tests/helpers/%: tests/helpers/%.cc $(BUILD)/libcprof.so
	@mkdir -p $(dir $@)
	$(CXX) -std=gnu++17 $(WARN) -O1 -g -Iinclude -o $@ $< \
	    -L$(BUILD) -Wl,-rpath,'$$ORIGIN/../..' -lcprof -ldl -lpthread

$(BUILD)/tests/helpers/libcpu_plugin.so: tests/helpers/plugin/cpu_plugin.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O1 -g -fPIC -shared -o $@ $<

$(BUILD)/examples/%: examples/%.c $(BUILD)/libcprof.so
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O0 -g -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -o $@ $< \
	    -L$(BUILD) -Wl,-rpath,'$(abspath $(BUILD))' $(shell cat $(dir $<)LIBS 2>/dev/null) -lpthread

TOOL_CFLAGS := $(ALL_CFLAGS) $(TOOL_INC) $(shell pkg-config --cflags $(TOOL_PKGS) 2>/dev/null)
# The common kit is compiled again for the tool (no -fPIC, no hidden visibility).
$(BUILD)/tool/kit/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@
$(BUILD)/asan/tool/kit/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -O1 $(SANITIZE) -c $< -o $@

$(BUILD)/tool/%.o: tool/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@
$(BUILD)/asan/tool/%.o: tool/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -O1 $(SANITIZE) -c $< -o $@

$(BUILD)/tool/web_assets_data.c: $(WEB_ASSETS)
	@mkdir -p $(dir $@)
	(cd tool/web/assets && for f in $(notdir $(WEB_ASSETS)); do xxd -i $$f || exit 1; done) >$@.tmp
	mv $@.tmp $@

$(BUILD)/tool/web_assets_data.o: $(BUILD)/tool/web_assets_data.c
	$(CC) $(TOOL_CFLAGS) -c $< -o $@
$(BUILD)/asan/tool/web_assets_data.o: $(BUILD)/tool/web_assets_data.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -O1 $(SANITIZE) -c $< -o $@

$(BUILD)/cprof: $(BUILD)/tool/main.o $(BUILD)/tool.a
	$(CC) -o $@ $^ $(TOOL_LIBS)
# cprof under ASan+UBSan: the malformed-input and web UI tests run it.
$(BUILD)/asan/cprof: $(BUILD)/asan/tool/main.o $(BUILD)/asan/tool.a
	$(CC) $(SANITIZE) -o $@ $^ $(TOOL_LIBS)

$(BUILD)/bench/%: bench/%.c bench/churn.h tests/helpers/helper.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -g -D_GNU_SOURCE -o $@ $< -lpthread -lm

unit: $(UNIT_BINS)
asan: $(ASAN_BINS) $(BUILD)/asan/cprof

deps:
	@scripts/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all asan
	@tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh

# CPU profiler overhead at 100 and 1000 Hz vs gperftools and perf record
bench-cpu: deps
	@$(MAKE) --no-print-directory all
	@bench/cpu.sh

# /heap of a 40,000-function unit: host CPU, RSS, vs addr2line and llvm-symbolizer
bench-symbolize: deps
	@$(MAKE) --no-print-directory all
	@bench/symbolize.sh

# The idle push agent's cost on bench/churn, with its A/A and injected-work controls
# (~8 min: not in make test)
bench-push: deps
	@$(MAKE) --no-print-directory all
	@bench/push_idle.py

# The preload's cost on python3 http.server (a thread per request), vs none
bench-threads: deps
	@$(MAKE) --no-print-directory all
	@bench/thread_per_request.sh

# cprof top vs go tool pprof -top on a ~83 MB profile (minutes: not in make test)
bench-analyzer:
	@bench/analyzer.sh 1200000 20000 service
	@bench/analyzer.sh 1000000 20000 unmerged 1

# libFuzzer targets for the cprof decoders (clang): build/fuzz/fuzz_decode fuzz/corpus,
# build/fuzz/fuzz_legacy fuzz/corpus_legacy
fuzz:
	@fuzz/build.sh $(BUILD)/fuzz/fuzz_decode
	@fuzz/build.sh $(BUILD)/fuzz/fuzz_legacy fuzz_legacy

install: lib $(TOOL_BIN)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(if $(TOOL_BIN),install -d $(DESTDIR)$(PREFIX)/bin && install -m 755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/)
	install -m 755 $(LIBREAL) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libcprof.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libcprof.so
	install -m 644 include/cprof.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' cprof.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cprof.pc

format:
	clang-format -i lib/*/*.c lib/*/*.h tool/*.c tool/*.h tool/*/*.c tool/*/*.h include/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD)

# Makefile — build, test and run the complaint pipeline.
#
#   make            build every binary into build/bin (or build-asan/bin with SANITIZE=1)
#   make test       run every test (unit selftests, fuzz smoke, integration, faults),
#                   TEST_JOBS at once (default 2; TEST_JOBS=1 one at a time)
#   make asan       the same tests under AddressSanitizer + UBSan
#   make run        install what is missing, build, start everything, feed sample data
#   make up / down  start / stop the embedded pipeline (private PostgreSQL under var/)
#   make bench      benchmarks (not part of make test)
#   make deps       install the Debian packages the project needs
#
# Every service is a folder under services/; every .c file in it belongs to its
# binary. Shared code lives in common/ and proto/ and is linked into all of them.

CC       ?= cc
SANITIZE ?= 0
PKGS     := libczmq libzmq msgpack libpq libsodium jansson libcurl libmicrohttpd

ifeq ($(SANITIZE),1)
BUILD    ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      := -O1
else
BUILD    ?= build
SANFLAGS :=
OPT      := -O2
endif

# CFLAGS and CPPFLAGS are the packager's (`make CFLAGS='-O2 -g -DNDEBUG'`);
# what the project needs to build at all is in ALL_CFLAGS, after them.
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS := $(CPPFLAGS) $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wstrict-prototypes -Icommon -Iproto $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
           $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)
# libunistring (NFKC before the privacy scrub) ships no .pc file in Debian 12
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lunistring -lm -lpthread

# GMime (MIME parsing) is the e-mail adapter's alone: compiled into
# services/mail/ and the targets that test it, never into the other daemons.
# Its headers (and GLib's) as system headers, so our -W flags judge our code.
GMIME_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags gmime-3.0 2>/dev/null))
GMIME_LIBS   := $(shell pkg-config --libs gmime-3.0 2>/dev/null)

LIB_SRC  := $(sort $(wildcard common/*.c proto/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libcomplaints.a

SERVICES := $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard services/*/*.c)))))
BINS     := $(SERVICES:%=$(BUILD)/bin/%)
TEST_BINS:= $(BUILD)/bin/selftest
# Pure classes of services (no store, no clock, no I/O) that tests/unit/
# selftest.c runs beside common/ and proto/: compiled from their service's
# folder, linked into the selftest binary only.
SELFTEST_SVC := $(wildcard services/analytics/hotspot.c services/analytics/hotspot_rules.c \
                            services/analytics/svg_chart.c \
                            services/hotline/hotline_call.c)
SELFTEST_SVC_OBJ := $(SELFTEST_SVC:%.c=$(BUILD)/obj/%.o)
# The local SMTP server of make up, the tests and the benchmarks (deploy/sinks/).
SINK_BINS:= $(BUILD)/bin/smtp-sink
BENCH_SRC:= $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bin/bench-%)
# What the benchmark programs share (tests/bench/lib/): linked into each.
BENCH_LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/bench/lib/*.c))
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
# Fuzz targets are the same whatever BUILD is (always clang + libFuzzer +
# ASan/UBSan), so they have one tree of their own: `make asan` and `make
# test` share it, and CI compiles them once.
FUZZ_BUILD ?= build-fuzz
FUZZ_BINS:= $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/fuzz/%)

.PHONY: all deps test asan run up down status bench fuzz fuzz-long clean
all: $(BINS) $(TEST_BINS) $(SINK_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Rebuilt whole: `ar r` into an existing archive keeps the members of
# sources since deleted from common/ or proto/.
$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

.SECONDARY:
.SECONDEXPANSION:
$(BINS): $(BUILD)/bin/%: $$(addprefix $(BUILD)/obj/,$$(subst .c,.o,$$(wildcard services/$$*/*.c))) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)

$(BUILD)/obj/services/mail/%.o: ALL_CFLAGS += $(GMIME_CFLAGS)
$(BUILD)/bin/mail: LDLIBS += $(GMIME_LIBS)

# liblunar-date (the lunar calendar's tables) is complaintctl's alone: only
# `calendar statutory` computes holidays; the daemons read calendar files.
LUNAR_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags lunar-date-3.0 2>/dev/null))
LUNAR_LIBS   := $(shell pkg-config --libs lunar-date-3.0 gobject-2.0 glib-2.0 2>/dev/null)
$(BUILD)/obj/services/complaintctl/statutory_cmd.o: ALL_CFLAGS += $(LUNAR_CFLAGS)
$(BUILD)/bin/complaintctl: LDLIBS += $(LUNAR_LIBS)

$(BUILD)/obj/tests/unit/selftest.o: ALL_CFLAGS += $(sort $(addprefix -I,$(dir $(SELFTEST_SVC))))

$(BUILD)/bin/selftest: $(BUILD)/obj/tests/unit/selftest.o $(SELFTEST_SVC_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)

$(BUILD)/bin/smtp-sink: $(BUILD)/obj/deploy/sinks/smtp_sink.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $<

$(BUILD)/obj/tests/bench/%.o: ALL_CFLAGS += -Itests/bench/lib

$(BUILD)/bin/bench-%: $(BUILD)/obj/tests/bench/%.o $(BENCH_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BENCH_LIB_OBJ) $(LIB) $(LDLIBS)

# Fuzz targets are always built with clang's libFuzzer (plus ASan/UBSan) in
# FUZZ_BUILD: the library's sources compiled once into an archive there
# (instrumented for coverage, -fsanitize=fuzzer-no-link), each target's own
# file and the service sources it names (FUZZ_EXTRA_SRC) compiled with it
# and linked against that archive.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Icommon -Iproto \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB := $(FUZZ_BUILD)/libcomplaints-fuzz.a
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^
$(FUZZ_BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(wildcard common/*.h proto/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_EXTRA_SRC) $(FUZZ_LIB) $(LDLIBS)

# fuzz_mail: the mail parser, compiled in from services/mail/, with GMime.
$(FUZZ_BUILD)/fuzz/fuzz_mail: services/mail/mail_message.c services/mail/mail_message.h
$(FUZZ_BUILD)/fuzz/fuzz_mail: FUZZ_EXTRA_SRC := services/mail/mail_message.c
$(FUZZ_BUILD)/fuzz/fuzz_mail: FUZZ_CFLAGS += -Iservices/mail $(GMIME_CFLAGS)
$(FUZZ_BUILD)/fuzz/fuzz_mail: LDLIBS += $(GMIME_LIBS)

# fuzz_lmtp: the e-mail adapter's LMTP session, compiled in from services/mail/.
$(FUZZ_BUILD)/fuzz/fuzz_lmtp: services/mail/lmtp_session.c services/mail/lmtp_session.h
$(FUZZ_BUILD)/fuzz/fuzz_lmtp: FUZZ_EXTRA_SRC := services/mail/lmtp_session.c
$(FUZZ_BUILD)/fuzz/fuzz_lmtp: FUZZ_CFLAGS += -Iservices/mail

# fuzz_web_request: the web adapter's decoder and form page, from services/web/.
$(FUZZ_BUILD)/fuzz/fuzz_web_request: services/web/web_api.c services/web/web_page.c \
                                services/web/web_api.h services/web/web_page.h
$(FUZZ_BUILD)/fuzz/fuzz_web_request: FUZZ_EXTRA_SRC := services/web/web_api.c services/web/web_page.c
$(FUZZ_BUILD)/fuzz/fuzz_web_request: FUZZ_CFLAGS += -Iservices/web

# fuzz_web_survey: the survey API's JSON body and the form shown again
# (issue 16 follow-up, adapters2), from services/web/.
$(FUZZ_BUILD)/fuzz/fuzz_web_survey: services/web/web_survey.c services/web/web_page.c \
                                services/web/web_api.c services/web/web_survey.h
$(FUZZ_BUILD)/fuzz/fuzz_web_survey: FUZZ_EXTRA_SRC := services/web/web_survey.c \
                                services/web/web_page.c services/web/web_api.c
$(FUZZ_BUILD)/fuzz/fuzz_web_survey: FUZZ_CFLAGS += -Iservices/web

# fuzz_hotline_csv: the export's rows, with the hotline's call checks.
$(FUZZ_BUILD)/fuzz/fuzz_hotline_csv: services/hotline/hotline_call.c services/hotline/hotline_call.h
$(FUZZ_BUILD)/fuzz/fuzz_hotline_csv: FUZZ_EXTRA_SRC := services/hotline/hotline_call.c
$(FUZZ_BUILD)/fuzz/fuzz_hotline_csv: FUZZ_CFLAGS += -Iservices/hotline

fuzz: $(FUZZ_BINS)

# The long campaign (issue 13; figures in docs/testing.md): every fuzz target
# for FUZZ_SECONDS (default 600) over a copy of its seed corpus, under
# AddressSanitizer and UBSan, one after another. `make test` keeps the short
# runs.
fuzz-long: $(FUZZ_BINS)
	BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-600} bash tests/run.sh 'fuzz_*'

deps:
	bash deploy/scripts/install-deps.sh

test: all
	BUILD=$(BUILD) bash tests/run.sh

asan:
	$(MAKE) SANITIZE=1 test

run: 
	bash deploy/scripts/run.sh

up: all
	BUILD=$(BUILD) bash deploy/scripts/up.sh

down:
	bash deploy/scripts/down.sh

status:
	bash deploy/scripts/status.sh

bench: all $(BENCH_BINS)
	BUILD=$(BUILD) bash tests/bench/run.sh

clean:
	rm -rf build build-asan $(FUZZ_BUILD)

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

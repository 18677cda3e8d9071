/*  fuzz_hotline_csv.c — libFuzzer target for what the hotline runs on every
 *  file the call centre's export drops in its folder: common/csv_rows.c
 *  (libcsv, header by name, line numbers, bounds) and hotline_call_submit
 *  (services/hotline/hotline_call.c) on each row.
 *
 *  The input is one file's bytes (seeds: tests/fuzz/corpus/fuzz_hotline_csv/,
 *  from make_corpus.py), fed line by line as the daemon feeds it, with a
 *  small field bound (4 KiB) so the fuzzer crosses it. Whatever the bytes:
 *      - no crash, no leak, no read outside the input (ASan, UBSan);
 *      - a row's line is within the lines fed, never 0;
 *      - a refused row names one of the hotline's fields and a reason;
 *      - an accepted row is a submit intake accepts: request_decode takes
 *        it as a submit on channel "hotline" whose ref is the row's call id
 *        — so no row the hotline spools is one intake refuses.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "csv_rows.h"
#include "hotline_call.h"
#include "request.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    setenv ("TZ", "Asia/Shanghai", 1);
    return 0;
}

static void
s_row (csv_rows_t *csv, long line, void *arg)
{
    (void) arg;
    assert (line >= 1 && line <= csv_rows_line (csv));
    hotline_call_t call;
    for (int i = 0; i < HOTLINE_FIELD_COUNT; i++)
        call.f [i] = csv_rows_field (csv, (size_t) i);
    hotline_call_ctx_t ctx = {
        .now_ms = 1796437867000LL,
        .token = { "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64 },
        .started_required = (line & 1) != 0,
    };
    hotline_call_error_t err;
    msgpack_sbuffer out;
    msgpack_sbuffer_init (&out);
    if (hotline_call_submit (&call, &ctx, &out, &err)) {
        assert (out.size == 0 && *err.reason);
        bool known = false;
        for (int i = 0; i < HOTLINE_FIELD_COUNT; i++)
            known |= strcmp (err.field, hotline_call_field_names [i]) == 0;
        assert (known);
    }
    else {
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        request_t req;
        proto_error_t perr;
        assert (request_decode (out.data, out.size, &msg, &req, &perr) == 0);
        assert (req.op == REQUEST_SUBMIT && proto_str_eq (req.u.submit.channel, "hotline"));
        assert (req.u.submit.ref.len >= 1 && req.u.submit.ref.len <= PROTO_MAX_REF);
        msgpack_unpacked_destroy (&msg);
    }
    msgpack_sbuffer_destroy (&out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    csv_rows_t *csv = csv_rows_new (hotline_call_field_names, HOTLINE_FIELD_COUNT, 32, 4096,
                                    s_row, NULL);
    const char *p = (const char *) data, *end = p + size;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        size_t len = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
        rc = csv_rows_feed (csv, p, len);
        p += len;
    }
    if (rc == 0)
        rc = csv_rows_finish (csv);
    if (rc)
        assert (*csv_rows_error (csv));
    /* the time parser on the raw bytes too */
    int64_t ms;
    hotline_call_time ((proto_str_t) { (const char *) data, size < 64 ? size : 64 }, &ms);
    csv_rows_destroy (&csv);
    return 0;
}

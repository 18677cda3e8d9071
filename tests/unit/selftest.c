/*  selftest.c — runs every class's self-test (czmq style: foo_test lives
 *  beside foo). Prints one line per class and the summary line the test
 *  runner reads. A failing assertion aborts the program, so a crash here
 *  is a failure.
 */
#include <stdio.h>
#include <string.h>
#include "proto.h"
#include "complaint_no.h"
#include "request.h"
#include "event.h"
#include "privacy.h"
#include "identity_seal.h"
#include "query_code.h"
#include "small_cells.h"
#include "msgpack_json.h"
#include "replay_request.h"
#include "staff_token.h"
#include "lifecycle.h"
#include "pg_array.h"
#include "pg_session.h"
#include "outbox.h"
#include "calendar.h"
#include "template.h"
#include "conf.h"
#include "events.h"
#include "metrics.h"
#include "daemon.h"
#include "event_stream.h"
#include "curve.h"
#include "spool.h"
#include "csv_rows.h"
#include "secret_file.h"
#include "local_time.h"
#include "intake_client.h"
#include "spool_sender.h"
#include "analytics_request.h"
#include "http_server.h"
#include "http_form.h"
#include "html.h"
#include "csrf.h"
#include "spool_writer.h"
//  Pure classes of a service (no store, no clock, no I/O), compiled into
//  this binary (Makefile: SELFTEST_SVC) so they are tested without one.
#include "hotspot_rules.h"
#include "hotspot.h"
#include "svg_chart.h"
#include "hotline_call.h"

typedef struct {
    const char *name;
    void (*test) (bool verbose);
} s_test_t;

static const s_test_t s_tests [] = {
    { "proto", proto_test },
    { "complaint_no", complaint_no_test },
    { "request", request_test },
    { "evidence_request", evidence_request_test },
    { "records_request", records_request_test },     /* issue 16 (i16-records) */
    { "rectification_request", rectification_request_test },     /* issue 16 (i16-tasks) */
    { "accountability_request", accountability_request_test },
    { "survey_request", survey_request_test },      /* issue 16 (i16-followup) */
    { "event", event_test },
    { "replay_request", replay_request_test },
    { "privacy", privacy_test },
    { "identity_seal", identity_seal_test },
    { "query_code", query_code_test },
    { "small_cells", small_cells_test },
    { "msgpack_json", msgpack_json_test },
    { "staff_token", staff_token_test },
    { "lifecycle", lifecycle_test },
    { "act_outcomes", act_outcomes_test },      /* issue 16 (i16-vetting) */
    { "pg_array", pg_array_test },
    { "spool", spool_test },
    { "csv_rows", csv_rows_test },
    { "secret_file", secret_file_test },
    { "local_time", local_time_test },
    { "intake_client", intake_client_test },
    { "spool_sender", spool_sender_test },
    { "pg_session", pg_session_test },
    { "outbox", outbox_test },
    { "conf", conf_test },
    { "calendar", calendar_test },
    { "template", template_test },
    { "events", events_test },
    { "metrics", metrics_test },
    { "daemon", daemon_test },
    { "event_stream", event_stream_test },
    { "curve", curve_test },
    { "analytics_request", analytics_request_test },
    { "http_server", http_server_test },
    { "http_form", http_form_test },
    { "html", html_test },
    { "csrf", csrf_test },
    { "spool_writer", spool_writer_test },
    { "hotspot_rules", hotspot_rules_test },
    { "hotspot", hotspot_test },
    { "svg_chart", svg_chart_test },
    { "hotline_call", hotline_call_test },
};

int
main (int argc, char **argv)
{
    const char *only = argc > 1 ? argv [1] : NULL;
    int passed = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests [0]; i++) {
        if (only && strcmp (only, s_tests [i].name) != 0)
            continue;
        s_tests [i].test (true);
        passed++;
    }
    printf ("selftest: %d passed, 0 failed\n", passed);
    return 0;
}

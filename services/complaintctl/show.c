/*  show.c — `complaintctl show NO`: one case as a complaint officer reads it,
 *  with its audit trail.
 *
 *  One `get` request to intake (proto/PROTOCOL.md). With COMPLAINTS_TOKEN set
 *  the token goes with it, and a holder who may see the case gets the staff
 *  view: the customer's identity, the case fields and every action with its
 *  details (notes included). Without a token intake answers the status view
 *  meant for channel adapters: the same case fields, no identity, actions
 *  without details. The tool prints whatever came back: a field the reply
 *  does not carry is simply not shown.
 *
 *  Human output is the case's fields, one per line with a label, then the
 *  trail, oldest first, one line per action:
 *      2026-11-23 10:02  card_a1 (handler)  resolve  investigating -> resolved  v5
 *          outcome=refund amount=300.00 text="年费已退还"
 *  In the staff view the evidence comes before the trail (s_print_evidence),
 *  and the SLA clocks before that, one line each,
 *  with what each has fired under it:
 *      stage           round state      due               remaining        paused  ext next
 *      resolution      0     running    2026-12-08 18:00  3d 4h left       2h 0m   1   remind:80 2026-12-06 09:00
 *          fired remind:50 (phase 0) due 2026-11-30 10:00, at 2026-11-30 10:00
 *  "remaining" is the reply's remaining_ms, measured by the store against
 *  its own clock (app_now ()), so a shifted test clock reads right too.
 *  --json prints the reply's "complaint" as one JSON line instead (the shape
 *  `complaintctl get --compact` prints; `get` stays the JSON-first command),
 *  clocks and firings included as intake sent them.
 *
 *  ctl_case_get, the request itself, is shared with act (which reads the
 *  case's version before acting).
 */
#include "ctl.h"
#include "task_show.h"
#include "curve.h"
#include "cfg.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl show COMPLAINT_NO [--json] [--calendars DIR] [--intake EP]\n"
        "                         [--timeout-ms N]\n"
        "\n"
        "Shows a case: its fields (state, version, department, handler, class, priority,\n"
        "flags, deadlines, resolution, the customer), its SLA clocks (stage, round,\n"
        "state, due, remaining, paused time, extensions, next step, what fired), then its\n"
        "audit trail, oldest first (time, actor and role, action, state before -> after,\n"
        "version, details).\n"
        "\n"
        "With %s set, the staff view (customer identity, SLA clocks, action\n"
        "details); without it, the status view (no identity, no clocks, no details).\n"
        "Every time is shown in the case's calendar zone (its SLA clocks' calendar;\n"
        "each clock's in its own), the offset written; the bank's zone before the\n"
        "watchdog has planned the case.\n"
        "\n"
        "  --json             the reply's complaint as one JSON line\n"
        "  --calendars DIR    the calendars folder, as the watchdog's (COMPLAINTS_CALENDARS,\n"
        "                     default deploy/calendars): a calendar names its zone\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        STAFF_TOKEN_ENV, CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

int
ctl_case_get (const char *endpoint, const char *number, const char *token,
              int timeout_ms, json_t **reply)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, token ? 3 : 2);
    proto_pack_kv_cstr (&pk, "op", "get");
    proto_pack_kv_cstr (&pk, "complaint_no", number);
    if (token)
        proto_pack_kv_cstr (&pk, "token", token);
    int rc = ctl_request_json (CURVE_INTAKE, endpoint, &buf, timeout_ms, reply);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

/* A scalar as text for people: strings as they are, numbers and booleans
 * in JSON, null/absent as NULL (the caller skips the line). */
static const char *
s_text (const json_t *value, char *buf, size_t size)
{
    if (!value || json_is_null (value))
        return NULL;
    if (json_is_string (value))
        return json_string_value (value);
    if (json_is_true (value))
        return "yes";
    if (json_is_false (value))
        return "no";
    if (json_is_integer (value)) {
        snprintf (buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
        return buf;
    }
    if (json_is_array (value)) {
        if (json_array_size (value) == 0)
            return NULL;
        /* ["media","fraud"] -> "media, fraud" */
        size_t used = 0, i;
        json_t *item;
        buf [0] = 0;
        json_array_foreach (value, i, item) {
            const char *s = json_is_string (item) ? json_string_value (item) : "?";
            int n = snprintf (buf + used, size - used, "%s%s", i ? ", " : "", s);
            if (n < 0 || (size_t) n >= size - used)
                break;
            used += (size_t) n;
        }
        return buf;
    }
    char *dump = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf (buf, size, "%s", dump ? dump : "?");
    free (dump);
    return buf;
}

static void
s_line (const char *label, const char *value)
{
    if (value && *value)
        printf ("  %-14s %s\n", label, value);
}

static void
s_field (const json_t *kase, const char *label, const char *key)
{
    char buf [1024];
    s_line (label, s_text (json_object_get (kase, key), buf, sizeof buf));
}

/* issue 16 (i16-vetting): each outcome on its line ("outcome 1", or
 * "returned 1" for a returned proposal's: issue 16 follow-up, vetting2). */
static void
s_outcome_lines (const json_t *outcomes, const char *prefix)
{
    char buf [1024];
    for (size_t i = 0; json_is_array (outcomes) && i < json_array_size (outcomes); i++) {
        const json_t *o = json_array_get (outcomes, i);
        const char *kind = json_string_value (json_object_get (o, "kind"));
        const char *amount = json_string_value (json_object_get (o, "amount"));
        const char *text = json_string_value (json_object_get (o, "text"));
        snprintf (buf, sizeof buf, "%s%s%s%s%s%s", kind ? kind : "?", amount ? " " : "",
                  amount ? amount : "", amount ? " CNY" : "", text ? " — " : "",
                  text ? text : "");
        char label [32];
        snprintf (label, sizeof label, "%s %zu", prefix, i + 1);
        s_line (label, buf);
    }
}

/* A time; a deadline's end of a day reads as that day's 24:00. */
static void
s_when (const json_t *kase, const char *label, const char *key, bool deadline)
{
    const json_t *value = json_object_get (kase, key);
    char buf [64];
    if (value && !json_is_null (value))
        s_line (label, deadline ? ctl_format_deadline (value, buf, sizeof buf)
                                : ctl_format_time (value, buf, sizeof buf));
}

/* A text block (the complaint's body), indented under its label. */
static void
s_block (const json_t *kase, const char *label, const char *key)
{
    const char *text = json_string_value (json_object_get (kase, key));
    if (!text || !*text)
        return;
    printf ("  %s:\n    ", label);
    for (const char *c = text; *c; c++) {
        putchar (*c);
        if (*c == '\n' && c [1])
            fputs ("    ", stdout);
    }
    putchar ('\n');
}

/* An action's details as key=value, strings with blanks or quotes in JSON
 * quotes, the free text last (it is the longest). */
static void
s_details (const json_t *details)
{
    if (!json_is_object (details) || json_object_size (details) == 0)
        return;
    fputs ("      ", stdout);
    const char *key;
    json_t *value;
    bool first = true;
    for (int pass = 0; pass < 2; pass++)
        json_object_foreach ((json_t *) details, key, value) {
            bool is_text = strcmp (key, "text") == 0;
            if (is_text != (pass == 1))
                continue;
            const char *s = json_string_value (value);
            printf ("%s%s=", first ? "" : " ", key);
            first = false;
            if (s && *s && !strpbrk (s, " \t\n\"=\\"))
                fputs (s, stdout);
            else {
                char *dump = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
                fputs (dump ? dump : "?", stdout);
                free (dump);
            }
        }
    putchar ('\n');
}

/* A span for people: "3d 4h", "2h 10m", "5m", "45s". */
static const char *
s_span (long long ms, char *buf, size_t size)
{
    long long s = (ms < 0 ? -ms : ms) / 1000;
    long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
    if (d)
        snprintf (buf, size, "%lldd %lldh", d, h);
    else if (h)
        snprintf (buf, size, "%lldh %lldm", h, m);
    else if (m)
        snprintf (buf, size, "%lldm", m);
    else
        snprintf (buf, size, "%llds", s % 60);
    return buf;
}

static long long
s_int (const json_t *object, const char *key)
{
    const json_t *v = json_object_get (object, key);
    return json_is_integer (v) ? (long long) json_integer_value (v) : 0;
}

static const char *
s_str (const json_t *object, const char *key, const char *absent)
{
    const char *v = json_string_value (json_object_get (object, key));
    return v ? v : absent;
}

/*  The SLA clocks: one line per clock, its firings under it. */
static void
s_print_clocks (const json_t *clocks)
{
    size_t count = json_array_size (clocks);
    if (count == 0) {
        printf ("\nSLA clocks: none yet (the watchdog builds them)\n");
        return;
    }
    printf ("\nSLA clocks:\n");
    printf ("  %-15s %-5s %-10s %-23s %-18s %-8s %-3s %s\n", "stage", "round", "state", "due",
            "remaining", "paused", "ext", "next");
    size_t i;
    json_t *k;
    const char *case_zone = ctl_shown_zone ();
    json_array_foreach (clocks, i, k) {
        char due [64], remaining [64], span [32], paused [32], next [96], when [64];
        /* issue 16 (i16-mailev): a clock's times in its own calendar's zone */
        const char *zone = ctl_case_zone (json_string_value (json_object_get (k, "calendar")));
        ctl_show_zone (zone ? zone : case_zone);
        const char *state = s_str (k, "state", "?");
        const json_t *met_at = json_object_get (k, "met_at");
        const json_t *rem = json_object_get (k, "remaining_ms");
        if (json_is_integer (met_at))
            snprintf (remaining, sizeof remaining, "met%s",
                      json_is_true (json_object_get (k, "late")) ? " late" : " in time");
        else if (strcmp (state, "cancelled") == 0)
            snprintf (remaining, sizeof remaining, "-");
        else if (json_is_integer (rem)) {
            long long ms = (long long) json_integer_value (rem);
            snprintf (remaining, sizeof remaining, "%s %s", s_span (ms, span, sizeof span),
                      ms >= 0 ? "left" : "overdue");
        }
        else
            snprintf (remaining, sizeof remaining, "-");
        long long paused_ms = s_int (k, "paused_ms");
        if (paused_ms > 0 || json_is_integer (json_object_get (k, "paused_since")))
            s_span (paused_ms, paused, sizeof paused);
        else
            snprintf (paused, sizeof paused, "-");
        const char *step = s_str (k, "next_step", NULL);
        if (step)
            snprintf (next, sizeof next, "%s %s", step,
                      ctl_format_time (json_object_get (k, "next_fire_at"), when, sizeof when));
        else
            snprintf (next, sizeof next, "-");
        printf ("  %-15s %-5lld %-10s %-23s %-18s %-8s %-3lld %s\n", s_str (k, "stage", "?"),
                s_int (k, "round"), state,
                ctl_format_deadline (json_object_get (k, "due_at"), due, sizeof due), remaining,
                paused, s_int (k, "extensions"), next);
        //  A deadline counted on computed holidays may still move (issue 15).
        if (json_is_true (json_object_get (k, "provisional"))
        &&  strcmp (state, "met") != 0 && strcmp (state, "cancelled") != 0)
            printf ("      provisional: counted on computed holidays (the year's State Council"
                    " notice is not loaded yet); it may move, and the handler is told if it does\n");
        const json_t *firings = json_object_get (k, "firings");
        size_t j;
        json_t *f;
        json_array_foreach (firings, j, f) {
            char fdue [64], fat [64];
            printf ("      fired %s (phase %lld) due %s, at %s\n", s_str (f, "step", "?"),
                    s_int (f, "phase"),
                    ctl_format_deadline (json_object_get (f, "due_at"), fdue, sizeof fdue),
                    ctl_format_time (json_object_get (f, "fired_at"), fat, sizeof fat));
        }
    }
    ctl_show_zone (case_zone);
}

static void
s_print_trail (const json_t *actions)
{
    size_t count = json_array_size (actions);
    printf ("\naudit trail (%zu action%s, oldest first):\n", count, count == 1 ? "" : "s");
    size_t i;
    json_t *a;
    json_array_foreach (actions, i, a) {
        char when [64], version [32];
        const char *actor = json_string_value (json_object_get (a, "actor"));
        const char *role = json_string_value (json_object_get (a, "actor_role"));
        const char *action = json_string_value (json_object_get (a, "action"));
        const char *from = json_string_value (json_object_get (a, "from"));
        const char *to = json_string_value (json_object_get (a, "to"));
        const char *v = s_text (json_object_get (a, "version"), version, sizeof version);
        printf ("  %s  %s (%s)  %s  %s -> %s%s%s\n",
                ctl_format_time (json_object_get (a, "at"), when, sizeof when),
                actor ? actor : "?", role ? role : "?", action ? action : "?",
                from ? from : "?", to ? to : "?", v ? "  v" : "", v ? v : "");
        s_details (json_object_get (a, "details"));
    }
}

/*  The case's evidence (staff view), one line each, oldest first:
 *      #2  document  账单.pdf  application/pdf  48213 B  sha256 9f2c…  zhang.wei (handler)  2026-11-23 10:02 +08:00
 *  A recording's reference is printed under its line; an attachment
 *  intake refused (over a limit...) is listed with "NOT KEPT: reason". */
static void
s_print_evidence (const json_t *items)
{
    size_t count = json_array_size (items);
    if (count == 0)
        return;
    printf ("\nevidence (%zu item%s):\n", count, count == 1 ? "" : "s");
    size_t i;
    json_t *e;
    json_array_foreach (items, i, e) {
        char when [64];
        const char *fields [] = { "kind", "name", "media_type", "sha256", "uploader",
                                  "uploader_role", "reference" };
        const char *v [7];
        for (int f = 0; f < 7; f++) {
            v [f] = json_string_value (json_object_get (e, fields [f]));
            if (!v [f])
                v [f] = "?";
        }
        printf ("  #%" JSON_INTEGER_FORMAT "  %s  %s  %s  %" JSON_INTEGER_FORMAT " B"
                "  sha256 %s  %s (%s)  %s\n",
                json_integer_value (json_object_get (e, "seq")), v [0], v [1], v [2],
                json_integer_value (json_object_get (e, "size")), v [3], v [4], v [5],
                ctl_format_time (json_object_get (e, "stored_at"), when, sizeof when));
        if (json_object_get (e, "reference"))
            printf ("      reference %s\n", v [6]);
        if (json_object_get (e, "erased_at"))       /* issue 16 (i16-records) */
            printf ("      bytes deleted under the retention rule %s\n",
                    ctl_format_time (json_object_get (e, "erased_at"), when, sizeof when));
        /* issue 16 (i16-mailev): an attachment not kept, and why */
        const char *refused = json_string_value (json_object_get (e, "refused"));
        if (refused)
            printf ("      NOT KEPT: %s\n", refused);
    }
}

/*  The case for a complaint officer: what it is, where it is, who has it,
 *  how urgent, what was decided, who complained. Lines with no value are
 *  left out, so the status view (no identity) simply has fewer. */
static void
s_print_case (const json_t *kase)
{
    char buf [1024];
    const char *no = json_string_value (json_object_get (kase, "complaint_no"));
    printf ("complaint %s\n", no ? no : "?");
    /* issue 16 (i16-mailev): the case's times in its calendar's zone */
    const char *calendar = ctl_case_calendar (json_object_get (kase, "clocks"));
    const char *zone = ctl_show_zone (ctl_case_zone (calendar));
    if (calendar && ctl_case_zone (calendar))
        snprintf (buf, sizeof buf, "%s (calendar %s)", zone, calendar);
    else
        snprintf (buf, sizeof buf, "%s (the bank's zone%s%s%s)", zone,
                  calendar ? "; calendar " : "", calendar ? calendar : "",
                  calendar ? " not in the calendars folder" : "");
    s_line ("times in", buf);
    s_field (kase, "state", "state");
    s_field (kase, "version", "version");
    s_field (kase, "level", "level");
    const json_t *priority = json_object_get (kase, "priority");
    if (json_is_integer (priority)) {
        snprintf (buf, sizeof buf, "P%" JSON_INTEGER_FORMAT "%s", json_integer_value (priority),
                  json_is_true (json_object_get (kase, "major")) ? " (major)" : "");
        s_line ("priority", buf);
    }
    s_field (kase, "flags", "flags");
    s_when (kase, "due", "due_at", true);
    s_field (kase, "department", "department");
    s_field (kase, "handler", "handler");
    s_field (kase, "cooperating", "cooperating");
    s_field (kase, "business line", "business_line");
    s_field (kase, "cause", "cause");
    const char *jc = json_string_value (json_object_get (kase, "jrt_channel"));
    const char *jb = json_string_value (json_object_get (kase, "jrt_business"));
    const char *jca = json_string_value (json_object_get (kase, "jrt_cause"));
    if (jc || jb || jca) {
        snprintf (buf, sizeof buf, "channel %s, business %s, cause %s",
                  jc ? jc : "-", jb ? jb : "-", jca ? jca : "-");
        s_line ("JR/T 0169", buf);
    }
    s_field (kase, "routing rule", "routing_rule");
    s_field (kase, "channel", "channel");
    s_field (kase, "ref", "ref");
    s_when (kase, "received", "received_at", false);
    s_when (kase, "accepted", "accepted_at", false);
    s_when (kase, "resolved", "resolved_at", false);
    s_when (kase, "closed", "closed_at", false);
    s_when (kase, "anonymised", "anonymised_at", false);      /* issue 16 (i16-records) */
    const char *outcome = json_string_value (json_object_get (kase, "resolution_outcome"));
    if (outcome) {
        char amount [64];
        const char *a = s_text (json_object_get (kase, "resolution_amount"), amount, sizeof amount);
        snprintf (buf, sizeof buf, "%s%s%s", outcome, a ? " " : "", a ? a : "");
        s_line ("outcome", buf);
    }
    /* issue 16 (i16-vetting): every outcome (proposed while `proposed`),
     * the answer for the customer, whose proposal awaits vetting */
    s_outcome_lines (json_object_get (kase, "outcomes"), "outcome");
    s_field (kase, "proposed by", "proposed_by");
    s_when (kase, "proposed", "proposed_at", false);     /* issue 16 follow-up (vetting2) */
    s_field (kase, "approved by", "approved_by");
    s_when (kase, "approved", "approved_at", false);
    s_field (kase, "returned by", "returned_by");
    s_when (kase, "returned", "returned_at", false);
    s_outcome_lines (json_object_get (kase, "returned_outcomes"), "returned");
    s_field (kase, "customer text", "customer_text");
    s_field (kase, "satisfied", "satisfied");
    s_field (kase, "reject reason", "reject_reason");
    //  A merge (issue 16) keeps its target in duplicate_of: the link both ways.
    const char *why = json_string_value (json_object_get (kase, "reject_reason"));
    s_field (kase, why && strcmp (why, "merged") == 0 ? "merged into" : "duplicate of",
             "duplicate_of");
    s_field (kase, "merged here", "merged");
    /* issue 16 (i16-followup): the survey and the determination */
    const json_t *survey = json_object_get (kase, "survey");
    if (json_is_object (survey)) {
        const json_t *score = json_object_get (survey, "score");
        char when [64];
        const char *channel = json_string_value (json_object_get (survey, "channel"));
        if (json_is_integer (score))
            snprintf (buf, sizeof buf, "answered: %" JSON_INTEGER_FORMAT " of 5 (%s)",
                      json_integer_value (score), channel ? channel : "?");
        else
            snprintf (buf, sizeof buf, "sent, not answered; the link is valid until %s",
                      ctl_format_time (json_object_get (survey, "expires_at"), when,
                                       sizeof when));
        s_line ("survey", buf);
        /* issue 16 (i16-integrate): the customer's comment (the staff get
         * carries it since the integration) */
        s_line ("survey comment", json_string_value (json_object_get (survey, "comment")));
    }
    s_field (kase, "determination", "determination");
    //  A referred complaint: who referred it, their ticket, and when they
    //  want the reply back (对口回复) — a time in the bank's zone, the
    //  offset written, like every time here.
    const char *source = json_string_value (json_object_get (kase, "referral_source"));
    if (source) {
        const char *referrer = json_string_value (json_object_get (kase, "referrer"));
        const char *ticket = json_string_value (json_object_get (kase, "referrer_ticket"));
        snprintf (buf, sizeof buf, "%s%s%s%s%s", source, referrer ? ": " : "",
                  referrer ? referrer : "", ticket ? ", ticket " : "", ticket ? ticket : "");
        s_line ("referred by", buf);
        s_when (kase, "reply due", "referrer_due_at", true);
    }
    const json_t *customer = json_object_get (kase, "customer");
    if (json_is_object (customer)) {
        s_field (customer, "customer", "name");
        s_field (customer, "phone", "phone");
        s_field (customer, "e-mail", "email");
        s_field (customer, "account", "account");
        s_field (customer, "id no", "id_no");
    }
    s_field (kase, "product", "product");
    s_field (kase, "category", "category");
    s_field (kase, "branch", "branch");
    s_field (kase, "amount", "amount");
    s_field (kase, "subject", "subject");
    s_field (kase, "demand", "demand");
    s_block (kase, "body", "body");
    /* issue 16 (i16-tasks): the incident, as the customer told it (staff view) */
    s_field (kase, "staff concerned", "staff_concerned");
    s_when (kase, "incident at", "incident_at", false);
    s_field (kase, "incident place", "incident_place");
    const json_t *clocks = json_object_get (kase, "clocks");
    if (json_is_array (clocks))
        s_print_clocks (clocks);
    const json_t *evidence = json_object_get (kase, "evidence");
    if (json_is_array (evidence))
        s_print_evidence (evidence);
    /* issue 16 (i16-records): the knowledge base's entries of the case's
     * class (intake computes them when the case is read) */
    const json_t *suggestions = json_object_get (kase, "suggestions");
    if (json_array_size (suggestions) > 0) {
        printf ("\nknowledge base, typical cases of this class (kb search for more):\n");
        ctl_kb_print_entries (suggestions, true);
    }
    /* issue 16 (i16-tasks): tasks and rectification items */
    const json_t *tasks = json_object_get (kase, "tasks");
    if (json_is_array (tasks))
        task_show_print (tasks);
    const json_t *actions = json_object_get (kase, "actions");
    if (json_is_array (actions))
        s_print_trail (actions);
    fflush (stdout);
}

int
ctl_show (int argc, char **argv)
{
    enum { O_JSON = 256, O_INTAKE, O_TIMEOUT, O_HELP, O_CALENDARS };
    static const struct option options [] = {
        { "json", no_argument, NULL, O_JSON },
        { "calendars", required_argument, NULL, O_CALENDARS },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *endpoint = NULL, *timeout_text = NULL, *calendars = NULL;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_JSON: json_out = true; break;
            case O_CALENDARS: calendars = optarg; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl show --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    bool bad;
    const char *token = ctl_staff_token ("show", false, &bad);
    if (bad)
        return CTL_EXIT_USAGE;
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    endpoint = ctl_setting (endpoint, CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);

    json_t *reply = NULL;
    int rc = ctl_case_get (endpoint, argv [optind], token, (int) timeout_ms, &reply);
    if (rc != CTL_EXIT_OK)
        return rc;
    const json_t *kase = json_object_get (reply, "complaint");
    if (!ctl_json_ok (reply))
        rc = ctl_reply_json_error ("show", reply);
    else if (!json_is_object (kase)) {
        fprintf (stderr, "complaintctl show: the reply holds no complaint\n");
        rc = CTL_EXIT_REPLY;
    }
    else if (json_out)
        ctl_print_json (kase, false);
    else {
        ctl_case_zones_load (calendars);
        s_print_case (kase);
    }
    json_decref (reply);
    return rc;
}

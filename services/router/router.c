/*  router.c — the router daemon: classifies each received complaint and
 *  assigns it to the department and the person who must answer it.
 *
 *  How it works. The work is in PostgreSQL, not in messages (invariant 2):
 *  every complaint in state 'received' is waiting to be routed. A claim round
 *  locks a batch of them (claims.c), decides each in memory with the
 *  policy (policy.c: rules, directory, priority thresholds, JR/T codes), and
 *  assigns the batch — handlers chosen in SQL by pick_handler — each
 *  complaint with its events and audit row, in the same transaction. While a
 *  round returns a full batch the router claims again at once.
 *
 *  What starts a round:
 *    - a message on the bus: the router SUBscribes to complaint.received and
 *      the bus heartbeat; it drains every queued message first, so a burst of
 *      a thousand events costs one round, not a thousand;
 *    - the sweep: every --sweep-ms without a wake-up, as the fallback that
 *      makes a lost or missing bus only a delay.
 *  Several routers can run side by side: SKIP LOCKED shares the queue
 *  between them, and a claim is held by its transaction, so a double
 *  assignment is impossible and a dead router's claims are free at once.
 *
 *  Signals. czmq's handler owns SIGINT and SIGTERM (zsys_interrupted): the
 *  router finishes the round it is in and exits. SIGHUP re-reads every policy file between rounds (rules,
 *  directory, tokens, thresholds, JR/T table): when all are valid the new
 *  policy is swapped in and the directory and tokens are synced into the
 *  store; when any is not, it is refused, logged with its file, line and
 *  reason, and the old policy keeps routing. A sync that fails (the store is
 *  down) is retried before every round until it succeeds.
 *
 *  Plumbing. Flags, signals, the wait on the bus and the metrics endpoint
 *  are the daemon skeleton's (common/daemon.c; `router --help`). Metrics:
 *  complaints claimed, assigned and lost, claims per batch, the store
 *  round trip of each batch, reloads (docs/operations.md).
 *
 *  Modes: `router --selftest [--verbose]` runs the self-tests of every
 *  policy file's parser (against the shipped files too) and prints
 *  "N passed, M failed";
 *  `router --route-csv FILE` routes the rows of a US consumer bureau CSV
 *  export and prints how many land in each department.
 */
#include "policy.h"
#include "claims.h"
#include "orgsync.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "event.h"

#include <czmq.h>
#include <csv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROUTER_DEFAULT_RULES      "deploy/routing/rules.conf"
#define ROUTER_DEFAULT_DIRECTORY  "deploy/org/directory.conf"
#define ROUTER_DEFAULT_THRESHOLDS "deploy/routing/priority.conf"
#define ROUTER_DEFAULT_JRT        "deploy/routing/jrt0169.conf"
#define ROUTER_ENV_RULES       "COMPLAINTS_ROUTER_RULES"
#define ROUTER_ENV_DIRECTORY   "COMPLAINTS_DIRECTORY"
#define ROUTER_ENV_TOKENS      "COMPLAINTS_STAFF_TOKENS"
#define ROUTER_ENV_THRESHOLDS  "COMPLAINTS_ROUTER_THRESHOLDS"
#define ROUTER_ENV_JRT         "COMPLAINTS_ROUTER_JRT"
#define ROUTER_ENV_LEASE_MS    "COMPLAINTS_ROUTER_LEASE_MS"
#define ROUTER_ENV_BATCH       "COMPLAINTS_ROUTER_BATCH"
#define ROUTER_ENV_SWEEP_MS    "COMPLAINTS_ROUTER_SWEEP_MS"
#define ROUTER_ENV_NAME        "COMPLAINTS_ROUTER_NAME"
#define ROUTER_ENV_HOLD_MS     "COMPLAINTS_ROUTER_HOLD_MS"   /* test-only fault injection */

typedef struct {
    policy_paths_t paths;
    policy_t *policy;
    bool sync_pending;           /* the store has not seen this policy yet */
    claims_t *claims;
    long batch;
    long hold_ms;
    uint64_t assigned_total;
    daemon_t *daemon;
    metric_t *m_claimed, *m_assigned, *m_lost, *m_batch;
} router_t;

//  --------------------------------------------------------------------------
//  Policy reload

static void
s_log_refused (const conf_error_t *err, const char *keeping)
{
    char q [300];
    //  "rules_refused" covers every policy file (the name predates the others).
    log_error ("rules_refused", "path=%s line=%d reason=%s keeping=%s", err->file, err->line,
               log_quote (q, sizeof q, err->reason), keeping);
}

static int
s_reload (void *arg)
{
    router_t *self = (router_t *) arg;
    conf_error_t err;
    policy_t *fresh = policy_load (&self->paths, &err);
    if (!fresh) {
        s_log_refused (&err, "old");
        return -1;
    }
    policy_destroy (&self->policy);
    self->policy = fresh;
    self->sync_pending = true;
    log_info ("rules_loaded", "%s rules_file=%s directory=%s", policy_summary (fresh),
              self->paths.rules, self->paths.directory);
    return 0;
}

/* Bring the store's directory and tokens up to the loaded policy. */
static void
s_sync (router_t *self)
{
    if (!self->sync_pending)
        return;
    if (orgsync_run (claims_session (self->claims), self->policy) == 0)
        self->sync_pending = false;
    else
        claims_recover (self->claims);
}

//  --------------------------------------------------------------------------
//  Claim rounds

/* One batch: claim, route, (test hold), finish. Returns the number claimed,
 * or -1 when the store failed. */
static int
s_route_batch (router_t *self)
{
    int64_t started = zclock_mono ();
    claim_batch_t *batch = NULL;
    if (claims_take (self->claims, (int) self->batch,
                     priority_repeat_days (policy_priority (self->policy)), &batch))
        return -1;
    int claimed = batch->count;
    if (claimed == 0) {
        claims_batch_destroy (&batch);
        return 0;
    }
    //  The policy cannot change under us: reloads happen between rounds, in
    //  this thread, so the decision's strings stay valid until the batch is
    //  finished.
    for (int i = 0; i < claimed; i++) {
        claim_t *claim = &batch->items [i];
        policy_input_t in = { claim->channel, claim->product, claim->category, claim->subject,
                              claim->body, claim->branch, claim->amount, claim->repeat,
                              claim->referral };
        policy_decide (self->policy, &in, &claim->decision);
        claim->routed = true;
        log_debug ("routed", "complaint_no=%s department=%s rule=%s line=%s cause=%s "
                   "priority=%d major=%d", claim->complaint_no, claim->decision.r.department,
                   claim->decision.r.rule, claim->decision.r.business_line,
                   claim->decision.r.cause, claim->decision.p.priority,
                   claim->decision.p.major);
    }
    if (self->hold_ms > 0) {
        //  Test-only: hold the claims so a test can kill us while we do.
        log_info ("holding_claims", "n=%d hold_ms=%ld", claimed, self->hold_ms);
        zclock_sleep ((int) self->hold_ms);
    }
    int assigned = claims_finish (self->claims, batch);
    claims_batch_destroy (&batch);
    if (assigned < 0)
        return -1;
    self->assigned_total += (uint64_t) assigned;
    log_info ("batch_assigned", "claimed=%d assigned=%d lost=%d ms=%" PRId64 " total=%" PRIu64,
              claimed, assigned, claimed - assigned, zclock_mono () - started,
              self->assigned_total);
    return claimed;
}

/* Claim until the queue is empty (a batch comes back less than full). */
static void
s_round (router_t *self)
{
    s_sync (self);
    while (!zsys_interrupted) {
        uint64_t assigned0 = self->assigned_total;
        int64_t t0 = zclock_usecs ();
        int claimed = s_route_batch (self);
        daemon_observe (self->daemon, "claim_batch", (double) (zclock_usecs () - t0) / 1e6);
        if (claimed < 0) {
            //  Lost the connection (reconnect, blocking with back-off) or a
            //  statement failed (wait for the next wake-up rather than spin).
            daemon_store_down (self->daemon, "a claim round failed; reconnecting");
            claims_recover (self->claims);
            return;
        }
        daemon_store_up (self->daemon);
        if (claimed > 0) {
            double assigned = (double) (self->assigned_total - assigned0);
            metric_add (self->m_claimed, claimed);
            metric_add (self->m_assigned, assigned);
            metric_add (self->m_lost, claimed - assigned);
            metric_observe (self->m_batch, claimed);
        }
        if (claimed < self->batch)
            break;
    }
    daemon_pass_done (self->daemon);
}

//  --------------------------------------------------------------------------
//  --route-csv: route a US consumer bureau export, count per department

typedef struct {
    policy_t *policy;
    int row, col;
    int c_product, c_sub, c_issue, c_narrative;
    char *field [4];
    zhash_t *by_department;
    zhash_t *by_rule;
    zhash_t *by_class;
    int rows;
    bool text_only;              /* ignore Product and Sub-product */
} s_csv_t;

static void
s_csv_count (zhash_t *hash, const char *key)
{
    size_t *count = (size_t *) zhash_lookup (hash, key);
    if (!count) {
        count = calloc (1, sizeof *count);
        assert (count);
        zhash_insert (hash, key, count);
        zhash_freefn (hash, key, free);
    }
    (*count)++;
}

static void
s_csv_field (void *data, size_t len, void *arg)
{
    s_csv_t *self = (s_csv_t *) arg;
    const char *s = data ? (const char *) data : "";
    if (self->row == 0) {
        if (len == 7 && memcmp (s, "Product", 7) == 0) self->c_product = self->col;
        if (len == 11 && memcmp (s, "Sub-product", 11) == 0) self->c_sub = self->col;
        if (len == 5 && memcmp (s, "Issue", 5) == 0) self->c_issue = self->col;
        if (len == 28 && memcmp (s, "Consumer complaint narrative", 28) == 0)
            self->c_narrative = self->col;
    }
    else {
        int cols [4] = { self->c_product, self->c_sub, self->c_issue, self->c_narrative };
        for (int i = 0; i < 4; i++)
            if (cols [i] == self->col) {
                free (self->field [i]);
                self->field [i] = strndup (s, len);
            }
    }
    self->col++;
}

static void
s_csv_row (int c, void *arg)
{
    (void) c;
    s_csv_t *self = (s_csv_t *) arg;
    if (self->row > 0 && self->col > 1) {
        policy_input_t in = { "regulator", self->text_only ? NULL : self->field [0],
                              self->text_only ? NULL : self->field [1], self->field [2],
                              self->field [3], NULL, NULL, false, "regulator" };
        policy_decision_t d;
        policy_decide (self->policy, &in, &d);
        s_csv_count (self->by_department, d.r.department);
        char key [256];
        snprintf (key, sizeof key, "%-18s %s", d.r.department, d.r.rule);
        s_csv_count (self->by_rule, key);
        snprintf (key, sizeof key, "%-18s %-22s P%d%s", d.r.business_line, d.r.cause,
                  d.p.priority, d.p.major ? " major" : "");
        s_csv_count (self->by_class, key);
        self->rows++;
    }
    for (int i = 0; i < 4; i++) {
        free (self->field [i]);
        self->field [i] = NULL;
    }
    self->row++;
    self->col = 0;
}

static void
s_csv_print (zhash_t *hash, const char *title)
{
    printf ("%s\n", title);
    zlist_t *keys = zhash_keys (hash);
    zlist_sort (keys, NULL);
    for (char *key = (char *) zlist_first (keys); key; key = (char *) zlist_next (keys))
        printf ("  %6zu  %s\n", *(size_t *) zhash_lookup (hash, key), key);
    zlist_destroy (&keys);
}

static int
s_route_csv (policy_t *policy, const char *path, bool text_only)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "router: cannot open %s\n", path);
        return 1;
    }
    s_csv_t self = { .policy = policy, .c_product = -1, .c_sub = -1, .c_issue = -1,
                     .c_narrative = -1, .by_department = zhash_new (), .by_rule = zhash_new (),
                     .by_class = zhash_new (), .text_only = text_only };
    struct csv_parser parser;
    csv_init (&parser, CSV_APPEND_NULL);
    char buf [65536];
    size_t n;
    int rc = 0;
    while ((n = fread (buf, 1, sizeof buf, file)) > 0)
        if (csv_parse (&parser, buf, n, s_csv_field, s_csv_row, &self) != n) {
            fprintf (stderr, "router: %s: %s\n", path, csv_strerror (csv_error (&parser)));
            rc = 1;
            break;
        }
    csv_fini (&parser, s_csv_field, s_csv_row, &self);
    csv_free (&parser);
    fclose (file);
    if (self.c_product < 0) {
        fprintf (stderr, "router: %s has no Product column\n", path);
        rc = 1;
    }
    if (rc == 0) {
        printf ("%d rows of %s (%s, subject=Issue, body=narrative, channel=regulator)\n",
                self.rows, path, text_only ? "product and category left out"
                                           : "product=Product, category=Sub-product");
        s_csv_print (self.by_department, "by department:");
        s_csv_print (self.by_rule, "by rule:");
        s_csv_print (self.by_class, "by business line, cause, priority:");
    }
    for (int i = 0; i < 4; i++)
        free (self.field [i]);
    zhash_destroy (&self.by_department);
    zhash_destroy (&self.by_rule);
    zhash_destroy (&self.by_class);
    return rc;
}

//  --------------------------------------------------------------------------

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT, "ENDPOINT",
                "bus PUB to wake on (\"none\": sweep only)"),
    DAEMON_STR ("rules", ROUTER_ENV_RULES, ROUTER_DEFAULT_RULES, "FILE", "routing rules"),
    DAEMON_STR ("directory", ROUTER_ENV_DIRECTORY, ROUTER_DEFAULT_DIRECTORY, "FILE",
                "departments, branches and staff"),
    DAEMON_STR ("tokens", ROUTER_ENV_TOKENS, NULL, "FILE",
                "staff token hashes (default none: the store's tokens are left alone)"),
    DAEMON_STR ("thresholds", ROUTER_ENV_THRESHOLDS, ROUTER_DEFAULT_THRESHOLDS, "FILE",
                "priority thresholds"),
    DAEMON_STR ("jrt", ROUTER_ENV_JRT, ROUTER_DEFAULT_JRT, "FILE", "JR/T 0169 code table"),
    DAEMON_LONG ("lease-ms", ROUTER_ENV_LEASE_MS, 30000, 100, 86400000,
                 "longest a claim stays open; the server ends a hung router's after it"),
    DAEMON_LONG ("batch", ROUTER_ENV_BATCH, 100, 1, 10000, "complaints per claim"),
    DAEMON_LONG ("coalesce-ms", "COMPLAINTS_ROUTER_COALESCE_MS", 20, 0, 10000,
                 "under a steady stream, one claim per this many ms (0: one per event)"),
    DAEMON_LONG ("sweep-ms", ROUTER_ENV_SWEEP_MS, 1000, 10, 3600000, "fallback sweep period"),
    DAEMON_STR ("name", ROUTER_ENV_NAME, NULL, "NAME",
                "instance name in events (default host:pid:random)"),
    DAEMON_LONG ("hold-ms", ROUTER_ENV_HOLD_MS, 0, 0, 3600000,
                 "test only: sleep between claim and finish"),
    DAEMON_BOOL ("selftest", NULL, "run the policy files' self-tests and exit"),
    DAEMON_BOOL ("verbose", NULL, "self-test details; debug log lines"),
    DAEMON_STR ("route-csv", NULL, NULL, "FILE",
                "route a consumer bureau CSV export, print counts per department, exit"),
    DAEMON_BOOL ("text-only", NULL, "--route-csv: ignore Product and Sub-product"),
    DAEMON_END
};

static void
s_metrics_declare (router_t *self)
{
    metrics_t *m = daemon_metrics (self->daemon);
    self->m_claimed = metrics_counter (m, "complaints_router_claimed_total",
        "Received complaints claimed for routing.", NULL);
    self->m_assigned = metrics_counter (m, "complaints_router_assigned_total",
        "Claimed complaints assigned (department, handler, events) and committed.", NULL);
    self->m_lost = metrics_counter (m, "complaints_router_lost_total",
        "Claimed complaints not assigned by this router (the claim rolled back).", NULL);
    self->m_batch = metrics_histogram (m, "complaints_router_claim_batch_size",
        "Complaints per non-empty claim.", NULL, metrics_size_buckets, metrics_size_nbuckets);
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("router", s_opts,
        "router --selftest [POLICY FILES] [--verbose]\n"
        "router --route-csv FILE [--text-only] [POLICY FILES]");
    int rc = daemon_parse (daemon, argc, argv);
    if (rc) {
        daemon_destroy (&daemon);
        return rc > 0 ? 0 : 2;
    }
    bool verbose = daemon_bool (daemon, "verbose");
    policy_paths_t paths = {
        .rules = daemon_str (daemon, "rules"),
        .directory = daemon_str (daemon, "directory"),
        .tokens = daemon_str (daemon, "tokens"),
        .thresholds = daemon_str (daemon, "thresholds"),
        .jrt = daemon_str (daemon, "jrt"),
    };
    if (daemon_bool (daemon, "selftest")) {
        int passed = 0;
        int failed = policy_test (verbose, &paths, &passed);
        printf ("router selftest: %d passed, %d failed\n", passed, failed);
        daemon_destroy (&daemon);
        return failed ? 1 : 0;
    }
    const char *csv_path = daemon_str (daemon, "route-csv");
    if (csv_path) {
        conf_error_t err;
        policy_t *policy = policy_load (&paths, &err);
        if (!policy) {
            fprintf (stderr, "router: %s:%d: %s\n", err.file, err.line, err.reason);
            daemon_destroy (&daemon);
            return 1;
        }
        rc = s_route_csv (policy, csv_path, daemon_bool (daemon, "text-only"));
        policy_destroy (&policy);
        daemon_destroy (&daemon);
        return rc;
    }

    const char *conninfo = daemon_str (daemon, "pg");
    const char *bus = daemon_str (daemon, "bus");
    long lease_ms = daemon_long (daemon, "lease-ms");
    long batch = daemon_long (daemon, "batch");
    daemon_set_coalesce_ms (daemon, daemon_long (daemon, "coalesce-ms"));
    long sweep_ms = daemon_long (daemon, "sweep-ms");
    long hold_ms = daemon_long (daemon, "hold-ms");

    //  Without --name, one that tells instances apart in the events and logs.
    char host [128] = "localhost";
    gethostname (host, sizeof host - 1);
    zuuid_t *uuid = zuuid_new ();
    char unique [256];
    snprintf (unique, sizeof unique, "%s:%d:%.8s", host, (int) getpid (),
              zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    const char *name = daemon_str (daemon, "name");
    if (!name)
        name = unique;

    router_t self = { .paths = paths, .batch = batch, .hold_ms = hold_ms,
                      .sync_pending = true, .daemon = daemon };
    conf_error_t err;
    self.policy = policy_load (&paths, &err);
    if (!self.policy) {
        s_log_refused (&err, "none");
        daemon_destroy (&daemon);
        return 1;
    }
    s_metrics_declare (&self);
    daemon_on_reload (daemon, s_reload, &self);
    if (daemon_start (daemon)) {
        policy_destroy (&self.policy);
        daemon_destroy (&daemon);
        return 1;
    }
    //  --debug / COMPLAINTS_DEBUG=1 as in the other daemons; --verbose too.
    if (verbose)
        log_set_debug (true);
    //  A claim batch may hold its claims for the test's hold; the loop is
    //  stalled only when it has not turned for longer than that and a claim's
    //  longest life.
    daemon_set_stale_ms (daemon, 60000 + hold_ms + lease_ms);

    log_info ("starting", "name=%s rules_file=%s directory=%s tokens=%s "
              "thresholds=%s jrt=%s %s bus=%s lease_ms=%ld batch=%ld sweep_ms=%ld hold_ms=%ld",
              name, paths.rules, paths.directory, paths.tokens ? paths.tokens : "none",
              paths.thresholds, paths.jrt, policy_summary (self.policy), bus, lease_ms, batch,
              sweep_ms, hold_ms);

    self.claims = claims_new (conninfo, name, lease_ms);
    if (!self.claims) {
        policy_destroy (&self.policy);
        daemon_destroy (&daemon);
        return 1;                       /* interrupted while connecting */
    }
    daemon_store_up (daemon);
    if (daemon_bus_connect (daemon, bus, (const char *[]) { EVENT_COMPLAINT_RECEIVED,
                            EVENT_HEARTBEAT_TOPIC, NULL }) == DAEMON_BUS_REFUSED) {
        claims_destroy (&self.claims);
        policy_destroy (&self.policy);
        daemon_destroy (&daemon);
        return 2;                       /* plaintext off loopback, or no key: logged */
    }
    log_info ("started", "name=%s", name);

    //  Route what is already waiting before sleeping; then on every bus
    //  wake-up, and at the latest every sweep.
    s_round (&self);
    int64_t next_sweep = zclock_mono () + sweep_ms;
    while (!zsys_interrupted) {
        int woke = daemon_wait (daemon, (long) (next_sweep - zclock_mono ()), NULL, 0);
        if (zsys_interrupted)
            break;
        if ((woke & DAEMON_WOKE_BUS) || zclock_mono () >= next_sweep) {
            s_round (&self);
            next_sweep = zclock_mono () + sweep_ms;
        }
    }

    //  A claim still open (only between two statements of a batch) is
    //  rolled back with the connection.
    log_info ("stopping", "assigned_total=%" PRIu64, self.assigned_total);
    claims_destroy (&self.claims);
    policy_destroy (&self.policy);
    daemon_destroy (&daemon);
    return 0;
}

/*  router.c — the router daemon: classifies each received complaint and
 *  assigns it to the department and the person who must answer it.
 *
 *  How it works. The work is in PostgreSQL, not in messages (invariant 2):
 *  every complaint in state 'received' is waiting to be routed. A claim round
 *  leases a batch of them (claims.c), decides each in memory with the
 *  policy (policy.c: rules, directory, priority thresholds, JR/T codes), and
 *  assigns the batch — handlers chosen in SQL by pick_handler — each
 *  complaint with its events and audit row, in one transaction. While a
 *  round returns a full batch the router claims again at once.
 *
 *  What starts a round:
 *    - a message on the bus: the router SUBscribes to complaint.received and
 *      the bus heartbeat; it drains every queued message first, so a burst of
 *      a thousand events costs one round, not a thousand;
 *    - the sweep: every --sweep-ms without a wake-up, as the fallback that
 *      makes a lost or missing bus only a delay.
 *  Several routers can run side by side: SKIP LOCKED shares the queue
 *  between them, and the conditional finish makes a double assignment
 *  impossible.
 *
 *  Signals. czmq's handler owns SIGINT and SIGTERM (zsys_interrupted): the
 *  router finishes the round it is in, releases any lease it still holds,
 *  and exits. SIGHUP re-reads every policy file between rounds (rules,
 *  directory, tokens, thresholds, JR/T table): when all are valid the new
 *  policy is swapped in and the directory and tokens are synced into the
 *  store; when any is not, it is refused, logged with its file, line and
 *  reason, and the old policy keeps routing. A sync that fails (the store is
 *  down) is retried before every round until it succeeds.
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

static volatile sig_atomic_t s_reload_requested = 0;

static void
s_on_sighup (int signum)
{
    (void) signum;
    s_reload_requested = 1;
}

typedef struct {
    policy_paths_t paths;
    policy_t *policy;
    bool sync_pending;           /* the store has not seen this policy yet */
    claims_t *claims;
    long batch;
    long hold_ms;
    uint64_t assigned_total;
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

static void
s_reload (router_t *self)
{
    conf_error_t err;
    policy_t *fresh = policy_load (&self->paths, &err);
    if (!fresh) {
        s_log_refused (&err, "old");
        return;
    }
    policy_destroy (&self->policy);
    self->policy = fresh;
    self->sync_pending = true;
    log_info ("rules_loaded", "%s rules_file=%s directory=%s", policy_summary (fresh),
              self->paths.rules, self->paths.directory);
}

/* Bring the store's directory and tokens up to the loaded policy. */
static void
s_sync (router_t *self)
{
    if (!self->sync_pending)
        return;
    if (orgsync_run (claims_conn (self->claims), self->policy) == 0)
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
                              claim->body, claim->branch, claim->amount, claim->repeat };
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
        int claimed = s_route_batch (self);
        if (claimed < 0) {
            //  Lost the connection (reconnect, blocking with back-off) or a
            //  statement failed (wait for the next wake-up rather than spin).
            claims_recover (self->claims);
            return;
        }
        if (claimed < self->batch)
            return;
    }
}

/* Drop every queued wake-up: they all mean "look at the store". */
static int
s_drain (zsock_t *sub)
{
    void *handle = zsock_resolve (sub);
    int n = 0;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    while (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) >= 0)
        if (!zmq_msg_more (&msg))
            n++;
    zmq_msg_close (&msg);
    return n;
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
                              self->field [3], NULL, NULL, false };
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

static void
s_usage (void)
{
    fprintf (stderr,
        "usage: router [--pg CONNINFO] [--bus ENDPOINT] [POLICY FILES] [--lease-ms N]\n"
        "              [--batch N] [--sweep-ms N] [--name NAME] [--debug]\n"
        "       router --selftest [POLICY FILES] [--verbose]\n"
        "       router --route-csv FILE [--text-only] [POLICY FILES]\n"
        "  POLICY FILES: [--rules FILE] [--directory FILE] [--tokens FILE]\n"
        "                [--thresholds FILE] [--jrt FILE]\n"
        "  --pg        COMPLAINTS_PG                PostgreSQL conninfo (\"\" = PG* vars)\n"
        "  --bus       COMPLAINTS_BUS_PUB_ENDPOINT  bus PUB to wake on (\"none\": sweep only)\n"
        "  --rules     COMPLAINTS_ROUTER_RULES      default " ROUTER_DEFAULT_RULES "\n"
        "  --directory COMPLAINTS_DIRECTORY         default " ROUTER_DEFAULT_DIRECTORY "\n"
        "  --tokens    COMPLAINTS_STAFF_TOKENS      staff token hashes; default none (the\n"
        "                                           store's tokens are left alone)\n"
        "  --thresholds COMPLAINTS_ROUTER_THRESHOLDS default " ROUTER_DEFAULT_THRESHOLDS "\n"
        "  --jrt       COMPLAINTS_ROUTER_JRT        default " ROUTER_DEFAULT_JRT "\n"
        "  --lease-ms  COMPLAINTS_ROUTER_LEASE_MS   claim lease, default 30000\n"
        "  --batch     COMPLAINTS_ROUTER_BATCH      complaints per claim, default 100\n"
        "  --sweep-ms  COMPLAINTS_ROUTER_SWEEP_MS   fallback sweep period, default 1000\n"
        "  --name      COMPLAINTS_ROUTER_NAME       instance name in events, default host:pid:random\n"
        "  test only:  COMPLAINTS_ROUTER_HOLD_MS    sleep between claim and finish\n");
}

int
main (int argc, char **argv)
{
    if (cfg_flag (argc, argv, "--help") || cfg_flag (argc, argv, "-h")) {
        s_usage ();
        return 0;
    }
    bool verbose = cfg_flag (argc, argv, "--verbose");
    policy_paths_t paths = {
        .rules = cfg_str (argc, argv, "--rules", ROUTER_ENV_RULES, ROUTER_DEFAULT_RULES),
        .directory = cfg_str (argc, argv, "--directory", ROUTER_ENV_DIRECTORY,
                              ROUTER_DEFAULT_DIRECTORY),
        .tokens = cfg_str (argc, argv, "--tokens", ROUTER_ENV_TOKENS, NULL),
        .thresholds = cfg_str (argc, argv, "--thresholds", ROUTER_ENV_THRESHOLDS,
                               ROUTER_DEFAULT_THRESHOLDS),
        .jrt = cfg_str (argc, argv, "--jrt", ROUTER_ENV_JRT, ROUTER_DEFAULT_JRT),
    };
    if (cfg_flag (argc, argv, "--selftest")) {
        int passed = 0;
        int failed = policy_test (verbose, &paths, &passed);
        printf ("router selftest: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }
    const char *csv_path = cfg_str (argc, argv, "--route-csv", NULL, NULL);
    if (csv_path) {
        conf_error_t err;
        policy_t *policy = policy_load (&paths, &err);
        if (!policy) {
            fprintf (stderr, "router: %s:%d: %s\n", err.file, err.line, err.reason);
            return 1;
        }
        int rc = s_route_csv (policy, csv_path, cfg_flag (argc, argv, "--text-only"));
        policy_destroy (&policy);
        return rc;
    }

    log_init ("router");
    //  --debug / COMPLAINTS_DEBUG=1 as in the other daemons; --verbose too.
    const char *debug_env = getenv ("COMPLAINTS_DEBUG");
    log_set_debug (verbose || cfg_flag (argc, argv, "--debug")
                   || (debug_env && atoi (debug_env) > 0));
    const char *conninfo = cfg_str (argc, argv, "--pg", CFG_ENV_PG, "");
    const char *bus = cfg_str (argc, argv, "--bus", CFG_ENV_BUS_PUB, CFG_BUS_PUB_ENDPOINT);
    long lease_ms = cfg_long (argc, argv, "--lease-ms", ROUTER_ENV_LEASE_MS, 30000);
    long batch = cfg_long (argc, argv, "--batch", ROUTER_ENV_BATCH, 100);
    long sweep_ms = cfg_long (argc, argv, "--sweep-ms", ROUTER_ENV_SWEEP_MS, 1000);
    long hold_ms = cfg_long (argc, argv, "--hold-ms", ROUTER_ENV_HOLD_MS, 0);
    if (lease_ms < 100 || batch < 1 || batch > 10000 || sweep_ms < 10 || hold_ms < 0) {
        fprintf (stderr, "router: need --lease-ms >= 100, 1 <= --batch <= 10000, "
                         "--sweep-ms >= 10, hold >= 0\n");
        return 2;
    }

    //  A unique lease owner: two instances must never share one, or each
    //  could finish the other's claims.
    char host [128] = "localhost";
    gethostname (host, sizeof host - 1);
    zuuid_t *uuid = zuuid_new ();
    char owner [256];
    snprintf (owner, sizeof owner, "%s:%d:%.8s", host, (int) getpid (), zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    const char *name = cfg_str (argc, argv, "--name", ROUTER_ENV_NAME, owner);

    router_t self = { .paths = paths, .batch = batch, .hold_ms = hold_ms,
                      .sync_pending = true };
    conf_error_t err;
    self.policy = policy_load (&paths, &err);
    if (!self.policy) {
        s_log_refused (&err, "none");
        return 1;
    }

    //  czmq installs its SIGINT/SIGTERM handler here (zsys_interrupted).
    //  SIGHUP is ours; without SA_RESTART it interrupts the poll, and the
    //  loop notices the flag at once.
    zsys_init ();
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_sighup;
    sigemptyset (&action.sa_mask);
    sigaction (SIGHUP, &action, NULL);

    log_info ("starting", "name=%s owner=%s rules_file=%s directory=%s tokens=%s "
              "thresholds=%s jrt=%s %s bus=%s lease_ms=%ld batch=%ld sweep_ms=%ld hold_ms=%ld",
              name, owner, paths.rules, paths.directory, paths.tokens ? paths.tokens : "none",
              paths.thresholds, paths.jrt, policy_summary (self.policy), bus, lease_ms, batch,
              sweep_ms, hold_ms);

    self.claims = claims_new (conninfo, owner, name, lease_ms);
    if (!self.claims) {
        policy_destroy (&self.policy);
        return 1;                       /* interrupted while connecting */
    }

    zsock_t *sub = NULL;
    zpoller_t *poller = NULL;
    if (*bus && strcmp (bus, "none") != 0) {
        sub = zsock_new (ZMQ_SUB);
        assert (sub);
        zsock_set_subscribe (sub, EVENT_COMPLAINT_RECEIVED);
        zsock_set_subscribe (sub, EVENT_HEARTBEAT_TOPIC);
        if (zsock_connect (sub, "%s", bus)) {
            log_error ("bus_connect_failed", "endpoint=%s", bus);
            zsock_destroy (&sub);
        }
        else
            poller = zpoller_new (sub, NULL);
    }
    log_info ("started", "name=%s", name);

    //  Route what is already waiting before sleeping.
    s_round (&self);
    int64_t next_sweep = zclock_mono () + sweep_ms;
    while (!zsys_interrupted) {
        if (s_reload_requested) {
            s_reload_requested = 0;
            s_reload (&self);
        }
        int64_t wait = next_sweep - zclock_mono ();
        if (wait < 0)
            wait = 0;
        bool wake = false;
        if (poller) {
            void *which = zpoller_wait (poller, (int) wait);
            if (which == sub) {
                int n = s_drain (sub);
                log_debug ("woken", "messages=%d", n);
                wake = true;
            }
        }
        else
            zclock_sleep ((int) wait);   /* returns early on a signal */
        if (zsys_interrupted)
            break;
        if (zclock_mono () >= next_sweep)
            wake = true;
        if (wake) {
            s_round (&self);
            next_sweep = zclock_mono () + sweep_ms;
        }
    }

    int released = claims_release (self.claims);
    log_info ("stopping", "released=%d assigned_total=%" PRIu64, released, self.assigned_total);
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
    claims_destroy (&self.claims);
    policy_destroy (&self.policy);
    return 0;
}

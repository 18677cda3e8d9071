/*  main.c — web: the customers' web channel (issue 14 §2; docs/adapters.md,
 *  "Web"). A JSON API and a bilingual form over HTTP, each complaint
 *  spooled to disk (fsync) before the customer hears "accepted", then
 *  submitted to intake with the adapter's own CURVE key; the customer's
 *  status lookups forwarded to intake's public status view.
 *
 *      POST /api/v1/complaints         Idempotency-Key: the ref
 *      GET  /api/v1/complaints/{no}    X-Query-Code (or ?code=)
 *      GET  /, POST /                  the form, and its answer
 *      GET  /status, POST /status      the status page
 *
 *  One thread, one loop: the HTTP server (common/http_server.h), the
 *  spool's sender and a second client for lookups (common/intake_client.h)
 *  are all polled by daemon_wait, so a handler, an intake answer and a
 *  timer never race.
 *
 *  A submission, whole. The request is judged (web_api.c: intake's own
 *  decoder), written to the spool (spool_put: fsync, rename, fsync), the
 *  sender is kicked, and the HTTP request waits — suspended, costing no
 *  thread — for that entry's outcome:
 *      intake accepted it          201, the number and the query code
 *      intake refused it for good  422, intake's code, field and message
 *      no answer in --answer-wait-ms (intake or the store is down)
 *                                  202: the spool has it durably and it
 *                                  will be submitted; the same request
 *                                  again (same Idempotency-Key) returns
 *                                  the number once intake has given it
 *  A second request with a key whose entry is still on its way waits on
 *  that same entry: it is not spooled twice. After the entry was
 *  answered, the same key is spooled again and intake answers it as a
 *  duplicate, with the first number and code (invariant 6).
 *
 *  Limits per client address (peer_limit.h): submissions and status
 *  lookups each have a bucket; an empty one is answered 429 with
 *  Retry-After. Intake counts failed lookups per client key, and every
 *  web customer shares this adapter's key: without our own limit one
 *  guesser would lock every web customer out of the status view.
 */
#include "calendar.h"
#include "cfg.h"
#include "csrf.h"
#include "daemon.h"
#include "http_form.h"
#include "http_server.h"
#include "intake_client.h"
#include "log.h"
#include "peer_limit.h"
#include "proto.h"
#include "request.h"
#include "spool.h"
#include "spool_sender.h"
#include "spool_writer.h"
#include "web_api.h"
#include "web_page.h"
#include "web_survey.h"
#include "survey_request.h"
#include "web_reply.h"              /* issue 16 follow-up (adapters2) */

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_API_SUBMIT   "/api/v1/complaints"
#define S_API_STATUS   "/api/v1/complaints/"
#define S_JSON         "application/json"
#define S_HTML         "text/html; charset=utf-8"
#define S_CSRF_COOKIE  "csrf_session"
#define S_FORM_FIELDS  32
#define S_MAX_REPLY    (64 * 1024)

typedef enum { S_API = 0, S_FORM = 1 } s_kind_t;

typedef struct _web_t web_t;

/* An outcome that came before the writer said the entry's ID (the
 * sender found it in new/ while its folder was still being fsync'd). */
typedef struct {
    spool_sender_outcome_t outcome;
    msgpack_sbuffer reply;
    int64_t at;
} s_early_t;

static void
s_early_destroy (s_early_t **self_p)
{
    if (*self_p) {
        msgpack_sbuffer_destroy (&(*self_p)->reply);
        free (*self_p);
        *self_p = NULL;
    }
}

/* An HTTP request waiting for a spool entry's outcome. */
typedef struct {
    http_request_t *req;
    s_kind_t kind;
    web_lang_t lang;
    int64_t started, deadline;
    char *key;                          /* the Idempotency-Key / the form's ref */
    http_form_t *form;                  /* S_FORM: the values, to show again */
    char csrf [CSRF_TOKEN_SIZE];
} s_waiter_t;

/* A spool entry on its way to intake, and who waits for it: first being
 * written (spool_writer, not yet in `entries`), then in new/ waiting for
 * intake's outcome. */
typedef struct {
    char id [SPOOL_ID_SIZE];
    char *key;
    zlistx_t *waiters;                  /* s_waiter_t */
    bool written;
    int64_t created;
} s_entry_t;

/* A status lookup waiting for intake. */
typedef struct {
    web_t *web;
    http_request_t *req;
    s_kind_t kind;
    web_lang_t lang;
    int64_t started;
    char number [40];
    char csrf [CSRF_TOKEN_SIZE];
    char token [SURVEY_TOKEN_MAX + 1];  /* a survey link's check: the form's token */
    void *handle;                       /* in web->lookups */
} s_lookup_t;

struct _web_t {
    daemon_t *daemon;
    http_server_t *http;
    spool_t *spool;
    intake_client_t *sender_client, *lookup_client;
    spool_sender_t *sender;
    spool_writer_t *writer;
    csrf_t *csrf;
    peer_limit_t *submit_limit, *lookup_limit;
    calendars_t *calendars;
    const calendar_t *calendar;
    zhashx_t *entries;                  /* spool id -> s_entry_t */
    zhashx_t *by_key;                   /* key -> s_entry_t (borrowed) */
    zhashx_t *early;                    /* spool id -> s_early_t: outcomes before the ID */
    zlistx_t *lookups;                  /* s_lookup_t (owned) */
    long answer_wait_ms;
    size_t max_body;
    metric_t *m_requests, *m_seconds, *m_limited, *m_outcomes;
};

//  --------------------------------------------------------------------------
//  Answers

static const char *
s_route (const char *path)
{
    if (streq (path, S_API_SUBMIT))
        return "api_submit";
    if (strncmp (path, S_API_STATUS, strlen (S_API_STATUS)) == 0)
        return "api_status";
    if (streq (path, "/"))
        return "form";
    if (streq (path, "/status"))
        return "status";
    if (streq (path, "/survey") || streq (path, "/api/v1/survey"))  /* issue 16 (i16-followup) */
        return "survey";
    return "other";
}

/* Every answer goes through here: the headers a page needs, the log
 * line, the metrics. */
static void
s_reply (web_t *self, http_request_t *req, int64_t started, int status, const char *type,
         const char *body, size_t size)
{
    const char *path = http_request_path (req);
    const char *route = s_route (path);
    if (strncmp (type, "text/html", 9) == 0) {
        http_request_add_header (req, "Content-Security-Policy",
                                 "default-src 'none'; style-src 'unsafe-inline'; "
                                 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        http_request_add_header (req, "X-Frame-Options", "DENY");
        http_request_add_header (req, "Referrer-Policy", "no-referrer");
    }
    char code [8];
    snprintf (code, sizeof code, "%d", status);
    metric_add_at (self->m_requests, (const char *[]) { route, code }, 1);
    double seconds = (double) (zclock_usecs () - started) / 1e6;
    metric_observe_at (self->m_seconds, (const char *[]) { route }, seconds);
    char q [200];
    log_info ("http_request", "method=%s path=%s status=%d bytes=%zu ms=%.1f client=%s",
              http_request_method (req), log_quote (q, sizeof q, path), status, size,
              seconds * 1000, http_request_client (req));
    http_request_reply (req, status, type, body, size);
}

static void
s_reply_error (web_t *self, http_request_t *req, int64_t started, int status, const char *code,
               const char *field, const char *message)
{
    proto_error_t err;
    proto_error_set (&err, code, field, "%s", message);
    char *json = web_api_error_json (&err);
    s_reply (self, req, started, status, S_JSON, json, json ? strlen (json) : 0);
    free (json);
}

static void
s_reply_proto_error (web_t *self, http_request_t *req, int64_t started, int status,
                     const proto_error_t *err)
{
    char *json = web_api_error_json (err);
    s_reply (self, req, started, status, S_JSON, json, json ? strlen (json) : 0);
    free (json);
}

/* A page made by fn into memory, then answered. */
static void
s_reply_page (web_t *self, http_request_t *req, int64_t started, int status, char *page,
              size_t size)
{
    s_reply (self, req, started, status, S_HTML, page, size);
    free (page);
}

static void
s_reply_message (web_t *self, http_request_t *req, int64_t started, int status,
                 web_lang_t lang, web_text_t text)
{
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    web_page_message (out, lang, web_page_text (lang, WEB_T_ERROR_TITLE),
                      web_page_text (lang, text));
    fclose (out);
    s_reply_page (self, req, started, status, page, size);
}

/* Empty bucket: 429 with Retry-After (true: answered). */
static bool
s_limited (web_t *self, http_request_t *req, int64_t started, peer_limit_t *limit,
           const char *kind, s_kind_t as, web_lang_t lang)
{
    const char *client = http_request_client (req);
    long retry_s = 1;
    if (peer_limit_allows (limit, client, zclock_mono (), &retry_s)) {
        peer_limit_charge (limit, client, zclock_mono ());
        return false;
    }
    metric_add_at (self->m_limited, (const char *[]) { kind }, 1);
    char retry [24];
    snprintf (retry, sizeof retry, "%ld", retry_s);
    http_request_add_header (req, "Retry-After", retry);
    if (as == S_API) {
        char message [120];
        snprintf (message, sizeof message, "too many requests from this address; retry in %ld s",
                  retry_s);
        s_reply_error (self, req, started, 429, PROTO_E_RATE_LIMITED, "", message);
    }
    else
        s_reply_message (self, req, started, 429, lang, WEB_T_TOO_MANY);
    return true;
}

static bool
s_content_type_is (http_request_t *req, const char *want)
{
    const char *type = http_request_header (req, "Content-Type");
    size_t n = strlen (want);
    return type && strncasecmp (type, want, n) == 0 && (type [n] == 0 || type [n] == ';'
                                                        || type [n] == ' ');
}

static web_lang_t
s_lang (http_request_t *req)
{
    return web_page_lang (http_request_query (req, "lang"), http_request_cookie (req, "lang"),
                          http_request_header (req, "Accept-Language"));
}

//  --------------------------------------------------------------------------
//  The form's session: a cookie, a token bound to it

/* The session of this browser; a new one (and its cookie) when it has
 * none. */
static void
s_session (http_request_t *req, char session [CSRF_SESSION_SIZE])
{
    const char *have = http_request_cookie (req, S_CSRF_COOKIE);
    if (have && strlen (have) == CSRF_SESSION_SIZE - 1) {
        snprintf (session, CSRF_SESSION_SIZE, "%s", have);
        return;
    }
    csrf_session_new (session);
    char cookie [128];
    snprintf (cookie, sizeof cookie, S_CSRF_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict",
              session);
    http_request_add_header (req, "Set-Cookie", cookie);
}

static void
s_token (web_t *self, http_request_t *req, char token [CSRF_TOKEN_SIZE])
{
    char session [CSRF_SESSION_SIZE];
    s_session (req, session);
    csrf_token (self->csrf, session, (int64_t) time (NULL), token);
}

static void
s_remember_lang (http_request_t *req)
{
    const char *q = http_request_query (req, "lang");
    if (q && (streq (q, "zh") || streq (q, "en"))) {
        char cookie [64];
        snprintf (cookie, sizeof cookie, "lang=%s; Path=/; SameSite=Lax; Max-Age=31536000", q);
        http_request_add_header (req, "Set-Cookie", cookie);
    }
}

static void
s_form_page (web_t *self, http_request_t *req, int64_t started, int status, web_lang_t lang,
             const char *ref, http_form_t *values, const proto_error_t *err, const char *notice)
{
    char token [CSRF_TOKEN_SIZE], fresh_ref [40];
    s_token (self, req, token);
    if (!ref) {
        char session [CSRF_SESSION_SIZE];
        csrf_session_new (session);     /* 128 random bits, as hex */
        snprintf (fresh_ref, sizeof fresh_ref, "form-%s", session);
        ref = fresh_ref;
    }
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    web_page_form (out, lang, token, ref, values, err, notice);
    fclose (out);
    s_reply_page (self, req, started, status, page, size);
}

//  --------------------------------------------------------------------------
//  Submissions: spool, wait for the outcome

static void
s_waiter_destroy (s_waiter_t **self_p)
{
    s_waiter_t *w = *self_p;
    if (!w)
        return;
    free (w->key);
    http_form_destroy (&w->form);
    free (w);
    *self_p = NULL;
}

static void
s_entry_destroy (s_entry_t **self_p)
{
    s_entry_t *e = *self_p;
    if (!e)
        return;
    s_waiter_t *w;
    while ((w = zlistx_detach (e->waiters, NULL)))
        s_waiter_destroy (&w);
    zlistx_destroy (&e->waiters);
    free (e->key);
    free (e);
    *self_p = NULL;
}

/* The answer for one waiter: accepted (reply: intake's map), refused for
 * good (reply: its error), or not yet (reply NULL: 202). */
static void
s_answer_waiter (web_t *self, s_waiter_t *w, spool_sender_outcome_t outcome,
                 const msgpack_object *reply)
{
    proto_str_t no = { 0 }, code = { 0 };
    proto_error_t perr;
    if (!reply) {
        if (w->kind == S_API) {
            http_request_add_header (w->req, "Retry-After", "5");
            json_t *body = json_pack ("{s:s,s:s,s:s}", "status", "accepted", "idempotency_key",
                                      w->key, "message",
                                      "stored and queued for registration; send the same request "
                                      "again (same Idempotency-Key) for the complaint number");
            char *text = json_dumps (body, JSON_COMPACT);
            json_decref (body);
            s_reply (self, w->req, w->started, 202, S_JSON, text, strlen (text));
            free (text);
        }
        else {
            char *page = NULL;
            size_t size = 0;
            FILE *out = open_memstream (&page, &size);
            web_page_pending (out, w->lang, w->csrf, w->key, w->form);
            fclose (out);
            s_reply_page (self, w->req, w->started, 202, page, size);
        }
        return;
    }
    if (outcome == SPOOL_SENDER_ACCEPTED) {
        proto_get_str (reply, "complaint_no", "complaint_no", false, 1, 64, &no, &perr);
        proto_get_str (reply, "query_code", "query_code", false, 1, 64, &code, &perr);
        const msgpack_object *dup = proto_map_get (reply, "duplicate");
        bool duplicate = dup && dup->type == MSGPACK_OBJECT_BOOLEAN && dup->via.boolean;
        char number [64] = "", query [64] = "";
        if (no.ptr)
            snprintf (number, sizeof number, "%.*s", (int) no.len, no.ptr);
        if (code.ptr)
            snprintf (query, sizeof query, "%.*s", (int) code.len, code.ptr);
        if (w->kind == S_API) {
            char location [128];
            snprintf (location, sizeof location, S_API_STATUS "%s", number);
            http_request_add_header (w->req, "Location", location);
            json_t *body = json_pack ("{s:s,s:s,s:b,s:s}", "complaint_no", number, "query_code",
                                      query, "duplicate", duplicate, "status_url", location);
            char *text = json_dumps (body, JSON_COMPACT);
            json_decref (body);
            s_reply (self, w->req, w->started, 201, S_JSON, text, strlen (text));
            free (text);
        }
        else {
            char *page = NULL;
            size_t size = 0;
            FILE *out = open_memstream (&page, &size);
            web_page_confirmation (out, w->lang, number, query, duplicate);
            fclose (out);
            s_reply_page (self, w->req, w->started, 200, page, size);
        }
        return;
    }
    //  Refused for good: intake's error, as it said it.
    proto_error_t err;
    memset (&err, 0, sizeof err);
    const msgpack_object *error = proto_map_get (reply, "error");
    proto_str_t c = { 0 }, f = { 0 }, m = { 0 };
    if (error && error->type == MSGPACK_OBJECT_MAP) {
        proto_get_str (error, "code", "code", false, 0, 64, &c, &perr);
        proto_get_str (error, "field", "field", false, 0, 64, &f, &perr);
        proto_get_str (error, "message", "message", false, 0, 250, &m, &perr);
    }
    char code_text [64];
    snprintf (code_text, sizeof code_text, "%.*s", (int) c.len, c.ptr ? c.ptr : "");
    err.code = code_text;
    snprintf (err.field, sizeof err.field, "%.*s", (int) f.len, f.ptr ? f.ptr : "");
    snprintf (err.message, sizeof err.message, "%.*s", (int) m.len, m.ptr ? m.ptr : "");
    if (w->kind == S_API)
        s_reply_proto_error (self, w->req, w->started, 422, &err);
    else
        s_form_page (self, w->req, w->started, 422, w->lang, w->key, w->form, &err, NULL);
}

/* spool_sender's word on an entry. */
static void
s_on_outcome (void *arg, const char *id, spool_sender_outcome_t outcome,
              const msgpack_object *reply)
{
    web_t *self = (web_t *) arg;
    metric_add_at (self->m_outcomes, (const char *[]) {
        outcome == SPOOL_SENDER_ACCEPTED ? "accepted" : "rejected" }, 1);
    s_entry_t *e = (s_entry_t *) zhashx_lookup (self->entries, id);
    if (!e) {
        //  Spooled before a restart (nobody waits), or written a moment
        //  ago and its ID not yet heard from the writer: keep the outcome
        //  a minute for the latter.
        if (self->writer && spool_writer_pending (self->writer) > 0) {
            s_early_t *early = calloc (1, sizeof *early);
            assert (early);
            early->outcome = outcome;
            early->at = zclock_mono ();
            msgpack_sbuffer_init (&early->reply);
            msgpack_packer pk;
            msgpack_packer_init (&pk, &early->reply, msgpack_sbuffer_write);
            msgpack_pack_object (&pk, *reply);
            zhashx_update (self->early, id, early);
        }
        return;
    }
    s_waiter_t *w;
    while ((w = zlistx_detach (e->waiters, NULL))) {
        s_answer_waiter (self, w, outcome, reply);
        s_waiter_destroy (&w);
    }
    if (zhashx_lookup (self->by_key, e->key) == e)
        zhashx_delete (self->by_key, e->key);
    zhashx_delete (self->entries, id);
}

/* Waiters past their time: 202, the entry stays on its way. An entry
 * nobody has waited for in a minute is forgotten here (it stays in the
 * spool and is sent): a retry of its key then spools it again and intake
 * answers with the first number. This also covers an outcome that came
 * before the writer said the entry's ID (spool_writer.h). */
static void
s_expire_waiters (web_t *self)
{
    int64_t now = zclock_mono ();
    zlistx_t *stale = NULL;
    for (s_entry_t *e = zhashx_first (self->entries); e; e = zhashx_next (self->entries)) {
        if (zlistx_size (e->waiters) == 0 && e->created + 60000 < now) {
            if (!stale)
                stale = zlistx_new ();
            zlistx_add_end (stale, e);
            continue;
        }
        void *handle = zlistx_first (e->waiters) ? zlistx_cursor (e->waiters) : NULL;
        while (handle) {
            s_waiter_t *w = (s_waiter_t *) zlistx_handle_item (handle);
            void *next = zlistx_next (e->waiters) ? zlistx_cursor (e->waiters) : NULL;
            if (w->deadline <= now) {
                zlistx_detach (e->waiters, handle);
                s_answer_waiter (self, w, SPOOL_SENDER_ACCEPTED, NULL);
                s_waiter_destroy (&w);
            }
            handle = next;
        }
    }
    zlistx_t *old = zlistx_new ();
    for (s_early_t *x = zhashx_first (self->early); x; x = zhashx_next (self->early))
        if (x->at + 60000 < now)
            zlistx_add_end (old, (void *) zhashx_cursor (self->early));
    for (const char *id = zlistx_first (old); id; id = zlistx_next (old))
        zhashx_delete (self->early, id);
    zlistx_destroy (&old);
    for (s_entry_t *e = stale ? zlistx_first (stale) : NULL; e; e = zlistx_next (stale)) {
        if (zhashx_lookup (self->by_key, e->key) == e)
            zhashx_delete (self->by_key, e->key);
        zhashx_delete (self->entries, e->id);
    }
    zlistx_destroy (&stale);
}

/* The spool cannot be written: every waiter 503, nothing was kept. */
static void
s_spool_failed (web_t *self, s_entry_t *e, int err)
{
    log_error ("spool_put_failed", "reason=\"%s\"", strerror (err));
    s_waiter_t *w;
    while ((w = zlistx_detach (e->waiters, NULL))) {
        http_request_add_header (w->req, "Retry-After", "30");
        if (w->kind == S_API)
            s_reply_error (self, w->req, w->started, 503, PROTO_E_UNAVAILABLE, "",
                           "the complaint could not be stored; nothing was kept; retry");
        else
            s_reply_message (self, w->req, w->started, 503, w->lang, WEB_T_UNAVAILABLE);
        s_waiter_destroy (&w);
    }
    if (zhashx_lookup (self->by_key, e->key) == e)
        zhashx_delete (self->by_key, e->key);
    s_entry_destroy (&e);
}

/* The entry is durable in new/ (or not): now it waits for intake. */
static void
s_on_written (void *arg, void *token, int rc, const char *id, int err)
{
    web_t *self = (web_t *) arg;
    s_entry_t *e = (s_entry_t *) token;
    if (rc) {
        s_spool_failed (self, e, err);
        return;
    }
    snprintf (e->id, sizeof e->id, "%s", id);
    e->written = true;
    zhashx_insert (self->entries, e->id, e);
    s_early_t *early = (s_early_t *) zhashx_lookup (self->early, id);
    if (early) {
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        size_t off = 0;
        if (msgpack_unpack_next (&msg, early->reply.data, early->reply.size, &off)
            == MSGPACK_UNPACK_SUCCESS)
            s_on_outcome (self, id, early->outcome, &msg.data);
        msgpack_unpacked_destroy (&msg);
        zhashx_delete (self->early, id);
        return;
    }
    spool_sender_kick (self->sender);
}

/* Spool the packed submit (or join the entry already on its way with the
 * same key) and wait. Takes the waiter. */
static void
s_spool_and_wait (web_t *self, s_waiter_t *w, const msgpack_sbuffer *request)
{
    w->deadline = zclock_mono () + self->answer_wait_ms;
    s_entry_t *e = (s_entry_t *) zhashx_lookup (self->by_key, w->key);
    if (e) {
        zlistx_add_end (e->waiters, w);
        return;
    }
    e = calloc (1, sizeof *e);
    assert (e);
    e->key = strdup (w->key);
    e->waiters = zlistx_new ();
    e->created = zclock_mono ();
    zlistx_add_end (e->waiters, w);
    zhashx_insert (self->by_key, e->key, e);
    if (self->writer) {
        if (spool_writer_put (self->writer, request->data, request->size, e))
            s_spool_failed (self, e, EIO);
        return;
    }
    char id [SPOOL_ID_SIZE];
    int rc = spool_put (self->spool, request->data, request->size, id);
    s_on_written (self, e, rc, id, errno);
}

static void
s_api_submit (web_t *self, http_request_t *req, int64_t started)
{
    if (s_limited (self, req, started, self->submit_limit, "submit", S_API, WEB_ZH))
        return;
    if (http_request_too_large (req)) {
        char message [120];
        snprintf (message, sizeof message, "the request body is over %zu bytes", self->max_body);
        s_reply_error (self, req, started, 413, PROTO_E_TOO_LARGE, "request", message);
        return;
    }
    if (!s_content_type_is (req, S_JSON)) {
        s_reply_error (self, req, started, 415, "unsupported_media_type", "Content-Type",
                       "the body must be application/json");
        return;
    }
    const char *key = http_request_header (req, "Idempotency-Key");
    if (!web_api_key_ok (key)) {
        s_reply_error (self, req, started, 400, WEB_API_E_KEY, "Idempotency-Key",
                       key ? "Idempotency-Key must be 16-128 characters of A-Z a-z 0-9 . _ : -"
                             " (a UUID is)"
                           : "Idempotency-Key is required: a unique value per complaint"
                             " (a UUID), sent again unchanged on a retry");
        return;
    }
    msgpack_sbuffer request;
    msgpack_sbuffer_init (&request);
    proto_error_t err;
    if (web_api_submit_json (http_request_body (req), http_request_body_size (req), key,
                             (int64_t) zclock_time (), &request, &err)) {
        bool syntax = streq (err.code, PROTO_E_MALFORMED) || streq (err.code, PROTO_E_NOT_A_MAP);
        s_reply_proto_error (self, req, started, syntax ? 400 : 422, &err);
        msgpack_sbuffer_destroy (&request);
        return;
    }
    s_waiter_t *w = calloc (1, sizeof *w);
    assert (w);
    *w = (s_waiter_t) { .req = req, .kind = S_API, .started = started, .key = strdup (key) };
    s_spool_and_wait (self, w, &request);
    msgpack_sbuffer_destroy (&request);
}

static void
s_form_submit (web_t *self, http_request_t *req, int64_t started)
{
    web_lang_t lang = s_lang (req);
    if (s_limited (self, req, started, self->submit_limit, "submit", S_FORM, lang))
        return;
    if (http_request_too_large (req)) {
        s_reply_message (self, req, started, 413, lang, WEB_T_TOO_LARGE);
        return;
    }
    if (!s_content_type_is (req, "application/x-www-form-urlencoded")) {
        s_reply_message (self, req, started, 415, lang, WEB_T_BAD_FORM);
        return;
    }
    proto_error_t err;
    http_form_t *form = http_form_parse (http_request_body (req), http_request_body_size (req),
                                         S_FORM_FIELDS, PROTO_MAX_BODY, &err);
    if (!form) {
        s_reply_message (self, req, started, 400, lang, WEB_T_BAD_FORM);
        return;
    }
    const char *form_lang = http_form_get (form, "lang");
    if (form_lang)
        lang = web_page_lang (form_lang, NULL, NULL);
    const char *ref = http_form_get (form, "ref");
    if (!web_api_key_ok (ref)) {
        http_form_destroy (&form);
        s_reply_message (self, req, started, 400, lang, WEB_T_BAD_FORM);
        return;
    }
    //  Posted from our page, by this browser? Else the form again, with
    //  what was typed, and a token that works.
    if (!csrf_verify (self->csrf, http_request_cookie (req, S_CSRF_COOKIE),
                      http_form_get (form, "csrf"), (int64_t) time (NULL))) {
        log_warn ("csrf_refused", "client=%s", http_request_client (req));
        s_form_page (self, req, started, 403, lang, ref, form, NULL,
                     web_page_text (lang, WEB_T_CSRF));
        http_form_destroy (&form);
        return;
    }
    msgpack_sbuffer request;
    msgpack_sbuffer_init (&request);
    if (web_api_submit_form (form, self->calendar, ref, (int64_t) zclock_time (), &request,
                             &err)) {
        s_form_page (self, req, started, 422, lang, ref, form, &err, NULL);
        http_form_destroy (&form);
        msgpack_sbuffer_destroy (&request);
        return;
    }
    s_waiter_t *w = calloc (1, sizeof *w);
    assert (w);
    *w = (s_waiter_t) { .req = req, .kind = S_FORM, .lang = lang, .started = started,
                        .key = strdup (ref), .form = form };
    s_token (self, req, w->csrf);
    s_spool_and_wait (self, w, &request);
    msgpack_sbuffer_destroy (&request);
}

//  --------------------------------------------------------------------------
//  Status lookups: intake's `get` with the customer's code

static void
s_lookup_destroy (s_lookup_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

static void
s_status_form_page (web_t *self, http_request_t *req, int64_t started, int status,
                    web_lang_t lang, const char *number, const char *error)
{
    char token [CSRF_TOKEN_SIZE];
    s_token (self, req, token);
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    web_page_status_form (out, lang, token, number, error);
    fclose (out);
    s_reply_page (self, req, started, status, page, size);
}

/* intake's answer to a lookup (reply NULL: no answer in time). */
static int
s_on_lookup (void *arg, zframe_t *frame, int attempts)
{
    (void) attempts;
    s_lookup_t *l = (s_lookup_t *) arg;
    web_t *self = l->web;
    web_reply_t r;
    web_reply_read (&r, frame, S_MAX_REPLY);
    char *view = r.ok ? web_api_status_json (proto_map_get (r.map, "complaint"), self->calendar)
                      : NULL;
    int status = view ? 200
               : web_reply_code_is (&r, PROTO_E_NOT_FOUND) ? 404
               : web_reply_code_is (&r, PROTO_E_RATE_LIMITED) ? 429
               : web_reply_code_is (&r, PROTO_E_INVALID_FIELD) ? 422
               : 503;
    if (!view && status == 503)
        log_warn ("lookup_failed", "reason=%s", frame ? "intake_error" : "no_answer");
    if (status == 429 || status == 503)
        http_request_add_header (l->req, "Retry-After", status == 429 ? "60" : "5");
    if (l->kind == S_API) {
        if (view)
            s_reply (self, l->req, l->started, 200, S_JSON, view, strlen (view));
        else
        if (status == 404)
            //  A wrong code and an unknown number: one answer, word for word.
            s_reply_error (self, l->req, l->started, 404, PROTO_E_NOT_FOUND, "complaint_no",
                           "no complaint has this number and query code");
        else
        if (status == 429)
            s_reply_error (self, l->req, l->started, 429, PROTO_E_RATE_LIMITED, "",
                           "too many failed lookups; retry later");
        else
        if (status == 422)
            s_reply_error (self, l->req, l->started, 422, PROTO_E_INVALID_FIELD, "complaint_no",
                           "not a complaint number (its digits or check digit are wrong)");
        else
            s_reply_error (self, l->req, l->started, 503, PROTO_E_UNAVAILABLE, "",
                           "the status view cannot be reached; retry");
    }
    else {
        if (view) {
            json_t *object = json_loads (view, 0, NULL);
            char *page = NULL;
            size_t size = 0;
            FILE *out = open_memstream (&page, &size);
            web_page_status (out, l->lang, object);
            fclose (out);
            json_decref (object);
            s_reply_page (self, l->req, l->started, 200, page, size);
        }
        else
        if (status == 404 || status == 422)
            s_status_form_page (self, l->req, l->started, status, l->lang, l->number,
                                web_page_text (l->lang, WEB_T_STATUS_UNKNOWN));
        else
            s_reply_message (self, l->req, l->started, status, l->lang,
                             status == 429 ? WEB_T_TOO_MANY : WEB_T_UNAVAILABLE);
    }
    free (view);
    web_reply_done (&r);
    zlistx_delete (self->lookups, l->handle);  /* frees it */
    return 0;
}

static void
s_lookup (web_t *self, http_request_t *req, int64_t started, s_kind_t kind, web_lang_t lang,
          const char *number, const char *code)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    request_get_pack (&buf, number, NULL, code);
    s_lookup_t *l = calloc (1, sizeof *l);
    assert (l);
    *l = (s_lookup_t) { .web = self, .req = req, .kind = kind, .lang = lang, .started = started };
    snprintf (l->number, sizeof l->number, "%s", number);
    l->handle = zlistx_add_end (self->lookups, l);
    intake_client_send (self->lookup_client, buf.data, buf.size, s_on_lookup, l);
    msgpack_sbuffer_destroy (&buf);
}

/* A number as the customer may type it: digits (spaces and dashes
 * dropped), at most 32. */
static bool
s_number (const char *text, char out [40])
{
    size_t n = 0;
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (*p < '0' || *p > '9' || n >= 32)
            return false;
        out [n++] = *p;
    }
    out [n] = 0;
    return n > 0;
}

static void
s_api_status (web_t *self, http_request_t *req, int64_t started)
{
    if (s_limited (self, req, started, self->lookup_limit, "lookup", S_API, WEB_ZH))
        return;
    const char *code = http_request_header (req, "X-Query-Code");
    if (!code)
        code = http_request_query (req, "code");
    char number [40];
    if (!s_number (http_request_path (req) + strlen (S_API_STATUS), number)) {
        s_reply_error (self, req, started, 422, PROTO_E_INVALID_FIELD, "complaint_no",
                       "not a complaint number (its digits or check digit are wrong)");
        return;
    }
    if (!code || !*code || strlen (code) > 64) {
        s_reply_error (self, req, started, 400, PROTO_E_MISSING_FIELD, "query_code",
                       "the query code is required: header X-Query-Code or parameter code");
        return;
    }
    s_lookup (self, req, started, S_API, WEB_ZH, number, code);
}

static void
s_status_submit (web_t *self, http_request_t *req, int64_t started)
{
    web_lang_t lang = s_lang (req);
    if (s_limited (self, req, started, self->lookup_limit, "lookup", S_FORM, lang))
        return;
    proto_error_t err;
    http_form_t *form = http_request_too_large (req) ? NULL
                      : http_form_parse (http_request_body (req), http_request_body_size (req),
                                         8, 256, &err);
    if (!form) {
        s_reply_message (self, req, started, 400, lang, WEB_T_BAD_FORM);
        return;
    }
    if (http_form_get (form, "lang"))
        lang = web_page_lang (http_form_get (form, "lang"), NULL, NULL);
    const char *typed = http_form_get (form, "no");
    if (!csrf_verify (self->csrf, http_request_cookie (req, S_CSRF_COOKIE),
                      http_form_get (form, "csrf"), (int64_t) time (NULL))) {
        log_warn ("csrf_refused", "client=%s", http_request_client (req));
        s_status_form_page (self, req, started, 403, lang, typed, web_page_text (lang, WEB_T_CSRF));
        http_form_destroy (&form);
        return;
    }
    char number [40];
    const char *code = http_form_get (form, "code");
    if (!s_number (typed, number) || !code || !*code || strlen (code) > 64) {
        s_status_form_page (self, req, started, 422, lang, typed,
                            web_page_text (lang, WEB_T_STATUS_UNKNOWN));
        http_form_destroy (&form);
        return;
    }
    s_lookup (self, req, started, S_FORM, lang, number, code);
    http_form_destroy (&form);
}

//  --------------------------------------------------------------------------
//  issue 16 (i16-followup): the satisfaction survey (web_survey.h). The
//  answer goes to intake as `survey` on the lookup client (a customer waits
//  for it, as for a lookup); guessing links is limited like lookups.

#define S_API_SURVEY "/api/v1/survey"

static void s_not_allowed (web_t *self, http_request_t *req, int64_t started,
                           const char *allow, bool api);

static void
s_survey_form_page (web_t *self, http_request_t *req, int64_t started, int status,
                    web_lang_t lang, const char *token, int score, const char *comment,
                    const char *error)
{
    char csrf [CSRF_TOKEN_SIZE];
    s_token (self, req, csrf);
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    web_survey_form (out, lang, csrf, token, score, comment, error);
    fclose (out);
    s_reply_page (self, req, started, status, page, size);
}

static void
s_survey_done_page (web_t *self, http_request_t *req, int64_t started, int status,
                    web_lang_t lang, web_survey_outcome_t outcome)
{
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    web_survey_done (out, lang, outcome);
    fclose (out);
    s_reply_page (self, req, started, status, page, size);
}

/* What intake's answer (or its refusal) means for the customer, and the
 * HTTP status each outcome is answered with. */
static web_survey_outcome_t
s_survey_outcome (const web_reply_t *r)
{
    return r->ok ? WEB_SURVEY_RECORDED
         : web_reply_code_is (r, PROTO_E_CONFLICT) ? WEB_SURVEY_ANSWERED
         : web_reply_code_is (r, PROTO_E_INVALID_TRANSITION) ? WEB_SURVEY_EXPIRED
         : web_reply_code_is (r, PROTO_E_NOT_FOUND) || web_reply_code_is (r, PROTO_E_INVALID_FIELD)
           || web_reply_code_is (r, PROTO_E_TOO_LARGE) ? WEB_SURVEY_INVALID
         : WEB_SURVEY_UNAVAILABLE;
}

static const int s_survey_status [] = {
    [WEB_SURVEY_RECORDED] = 200, [WEB_SURVEY_ANSWERED] = 409, [WEB_SURVEY_EXPIRED] = 410,
    [WEB_SURVEY_INVALID] = 404, [WEB_SURVEY_UNAVAILABLE] = 503
};

/* intake's answer to a survey (frame NULL: no answer in time). */
static int
s_on_survey (void *arg, zframe_t *frame, int attempts)
{
    (void) attempts;
    s_lookup_t *l = (s_lookup_t *) arg;
    web_t *self = l->web;
    web_reply_t r;
    web_reply_read (&r, frame, S_MAX_REPLY);
    proto_error_t err = { 0 }, answer = { 0 };
    web_survey_outcome_t outcome = s_survey_outcome (&r);
    int status = s_survey_status [outcome];
    if (outcome == WEB_SURVEY_UNAVAILABLE)
        http_request_add_header (l->req, "Retry-After", "5");
    if (l->kind == S_API) {
        if (r.ok) {
            proto_str_t no = { 0 };
            proto_get_str (r.map, "complaint_no", "complaint_no", false, 0, 40, &no, &err);
            const msgpack_object *score = proto_map_get (r.map, "score");
            char body [160];
            snprintf (body, sizeof body, "{\"ok\":true,\"complaint_no\":\"%.*s\",\"score\":%d}",
                      (int) no.len, no.ptr ? no.ptr : "",
                      score && score->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                          ? (int) score->via.u64 : 0);
            s_reply (self, l->req, l->started, 200, S_JSON, body, strlen (body));
        }
        else
        if (r.code.ptr && outcome != WEB_SURVEY_UNAVAILABLE) {
            //  intake's own code, field and sentence, passed on
            static const char *const known [] = {
                PROTO_E_CONFLICT, PROTO_E_INVALID_TRANSITION, PROTO_E_NOT_FOUND,
                PROTO_E_INVALID_FIELD, PROTO_E_TOO_LARGE, NULL
            };
            const char *as = PROTO_E_NOT_FOUND;
            for (int i = 0; known [i]; i++)
                if (proto_str_eq (r.code, known [i]))
                    as = known [i];
            char where [64];
            snprintf (where, sizeof where, "%.*s", (int) r.field.len,
                      r.field.ptr ? r.field.ptr : "");
            proto_error_set (&answer, as, where, "%.*s", (int) r.message.len,
                             r.message.ptr ? r.message.ptr : "");
            if (strcmp (as, PROTO_E_INVALID_FIELD) == 0 || strcmp (as, PROTO_E_TOO_LARGE) == 0)
                status = 422;
            s_reply_proto_error (self, l->req, l->started, status, &answer);
        }
        else
            s_reply_error (self, l->req, l->started, 503, PROTO_E_UNAVAILABLE, "",
                           "the survey cannot be reached; retry");
    }
    else
        s_survey_done_page (self, l->req, l->started, status, l->lang, outcome);
    web_reply_done (&r);
    zlistx_delete (self->lookups, l->handle);  /* frees it */
    return 0;
}

/* issue 16 follow-up (adapters2): intake's answer to a link's check (GET
 * /survey): the form when the link can be answered, else at once the page
 * an answer would get — already rated, expired, not valid (one page for a
 * wrong shape and a wrong secret: a guesser learns nothing), or try later. */
static int
s_on_survey_check (void *arg, zframe_t *frame, int attempts)
{
    (void) attempts;
    s_lookup_t *l = (s_lookup_t *) arg;
    web_t *self = l->web;
    web_reply_t r;
    web_reply_read (&r, frame, S_MAX_REPLY);
    web_survey_outcome_t outcome = s_survey_outcome (&r);
    if (outcome == WEB_SURVEY_RECORDED)
        s_survey_form_page (self, l->req, l->started, 200, l->lang, l->token, 0, NULL, NULL);
    else {
        if (outcome == WEB_SURVEY_UNAVAILABLE) {
            log_warn ("survey_check_failed", "reason=%s", frame ? "intake_error" : "no_answer");
            http_request_add_header (l->req, "Retry-After", "5");
        }
        s_survey_done_page (self, l->req, l->started, s_survey_status [outcome], l->lang,
                            outcome);
    }
    web_reply_done (&r);
    zlistx_delete (self->lookups, l->handle);  /* frees it */
    return 0;
}

static void
s_survey_check (web_t *self, http_request_t *req, int64_t started, web_lang_t lang,
                const char *token)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    survey_check_pack (&buf, token);
    s_lookup_t *l = calloc (1, sizeof *l);
    assert (l);
    *l = (s_lookup_t) { .web = self, .req = req, .kind = S_FORM, .lang = lang,
                        .started = started };
    snprintf (l->token, sizeof l->token, "%s", token);
    l->handle = zlistx_add_end (self->lookups, l);
    intake_client_send (self->lookup_client, buf.data, buf.size, s_on_survey_check, l);
    msgpack_sbuffer_destroy (&buf);
}

static void
s_survey_send (web_t *self, http_request_t *req, int64_t started, s_kind_t kind,
               web_lang_t lang, const char *token, int score, const char *comment)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    survey_pack (&buf, token, score, comment);
    s_lookup_t *l = calloc (1, sizeof *l);
    assert (l);
    *l = (s_lookup_t) { .web = self, .req = req, .kind = kind, .lang = lang, .started = started };
    l->handle = zlistx_add_end (self->lookups, l);
    intake_client_send (self->lookup_client, buf.data, buf.size, s_on_survey, l);
    msgpack_sbuffer_destroy (&buf);
}

/* Characters of a UTF-8 string. */
static size_t
s_chars (const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char) *s & 0xC0) != 0x80;
    return n;
}

static void
s_survey_submit (web_t *self, http_request_t *req, int64_t started)
{
    web_lang_t lang = s_lang (req);
    if (s_limited (self, req, started, self->lookup_limit, "survey", S_FORM, lang))
        return;
    proto_error_t err;
    http_form_t *form = http_request_too_large (req) ? NULL
                      : http_form_parse (http_request_body (req), http_request_body_size (req),
                                         8, SURVEY_COMMENT_MAX, &err);
    if (!form) {
        s_reply_message (self, req, started, 400, lang, WEB_T_BAD_FORM);
        return;
    }
    if (http_form_get (form, "lang"))
        lang = web_page_lang (http_form_get (form, "lang"), NULL, NULL);
    const char *token = http_form_get (form, "t");
    const char *score_text = http_form_get (form, "score");
    const char *comment = http_form_get (form, "comment");
    int score = score_text && strlen (score_text) == 1 && *score_text >= '1'
                && *score_text <= '5' ? *score_text - '0' : 0;
    if (!csrf_verify (self->csrf, http_request_cookie (req, S_CSRF_COOKIE),
                      http_form_get (form, "csrf"), (int64_t) time (NULL))) {
        log_warn ("csrf_refused", "client=%s", http_request_client (req));
        s_survey_form_page (self, req, started, 403, lang, token, score, comment,
                            web_page_text (lang, WEB_T_CSRF));
    }
    else
    if (!token || !*token || strlen (token) > SURVEY_TOKEN_MAX)
        s_survey_done_page (self, req, started, 404, lang, WEB_SURVEY_INVALID);
    else
    if (!score)
        s_survey_form_page (self, req, started, 422, lang, token, 0, comment,
                            web_survey_text_bad_score (lang));
    else
    if (s_chars (comment) > SURVEY_COMMENT_CHARS)
        s_survey_form_page (self, req, started, 422, lang, token, score, comment,
                            web_survey_text_too_long (lang));
    else
        s_survey_send (self, req, started, S_FORM, lang, token, score,
                       comment && *comment ? comment : NULL);
    http_form_destroy (&form);
}

static void
s_api_survey (web_t *self, http_request_t *req, int64_t started)
{
    if (s_limited (self, req, started, self->lookup_limit, "survey", S_API, WEB_ZH))
        return;
    char *token = NULL, *comment = NULL;
    int score = 0;
    proto_error_t err;
    if (http_request_too_large (req))
        s_reply_error (self, req, started, 413, PROTO_E_TOO_LARGE, "", "the body is too large");
    else
    if (web_survey_json (http_request_body (req), http_request_body_size (req), &token, &score,
                         &comment, &err))
        s_reply_proto_error (self, req, started, 400, &err);
    else
        s_survey_send (self, req, started, S_API, WEB_ZH, token, score, comment);
    free (token);
    free (comment);
}

static void
s_survey_route (web_t *self, http_request_t *req, int64_t started, bool get, bool post)
{
    const char *path = http_request_path (req);
    if (streq (path, S_API_SURVEY)) {
        if (post)
            s_api_survey (self, req, started);
        else
            s_not_allowed (self, req, started, "POST", true);
        return;
    }
    if (get) {
        s_remember_lang (req);
        const char *token = http_request_query (req, "t");
        char no [COMPLAINT_NO_SIZE], secret [SURVEY_SECRET_HEX + 1];
        //  A check asks intake (guessing is limited as the answers are);
        //  the form is shown only for a link that can still be answered.
        if (s_limited (self, req, started, self->lookup_limit, "survey", S_FORM, s_lang (req)))
            return;
        if (!token || survey_token_split (token, strlen (token), no, secret))
            s_survey_done_page (self, req, started, 404, s_lang (req), WEB_SURVEY_INVALID);
        else
            s_survey_check (self, req, started, s_lang (req), token);
    }
    else
    if (post)
        s_survey_submit (self, req, started);
    else
        s_not_allowed (self, req, started, "GET, POST", false);
}

//  --------------------------------------------------------------------------
//  Routing

static void
s_not_allowed (web_t *self, http_request_t *req, int64_t started, const char *allow, bool api)
{
    http_request_add_header (req, "Allow", allow);
    if (api)
        s_reply_error (self, req, started, 405, "method_not_allowed", "",
                       allow [0] == 'P' ? "use POST" : "use GET");
    else
        s_reply_message (self, req, started, 405, s_lang (req), WEB_T_NOT_FOUND);
}

static void
s_handle (void *arg, http_request_t *req)
{
    web_t *self = (web_t *) arg;
    int64_t started = zclock_usecs ();
    const char *path = http_request_path (req);
    const char *method = http_request_method (req);
    bool get = streq (method, "GET"), post = streq (method, "POST");
    if (streq (path, S_API_SUBMIT)) {
        if (post)
            s_api_submit (self, req, started);
        else
            s_not_allowed (self, req, started, "POST", true);
    }
    else
    if (strncmp (path, S_API_STATUS, strlen (S_API_STATUS)) == 0) {
        if (get)
            s_api_status (self, req, started);
        else
            s_not_allowed (self, req, started, "GET", true);
    }
    else
    if (streq (path, "/")) {
        if (get) {
            s_remember_lang (req);
            s_form_page (self, req, started, 200, s_lang (req), NULL, NULL, NULL, NULL);
        }
        else
        if (post)
            s_form_submit (self, req, started);
        else
            s_not_allowed (self, req, started, "GET, POST", false);
    }
    else
    if (streq (path, "/status")) {
        if (get) {
            s_remember_lang (req);
            char number [40];
            const char *no = http_request_query (req, "no");
            s_status_form_page (self, req, started, 200, s_lang (req),
                                s_number (no, number) ? number : NULL, NULL);
        }
        else
        if (post)
            s_status_submit (self, req, started);
        else
            s_not_allowed (self, req, started, "GET, POST", false);
    }
    else
    if (streq (path, "/survey") || streq (path, S_API_SURVEY))     /* issue 16 (i16-followup) */
        s_survey_route (self, req, started, get, post);
    else
    if (strncmp (path, "/api/", 5) == 0)
        s_reply_error (self, req, started, 404, PROTO_E_NOT_FOUND, "path", "no such resource");
    else
        s_reply_message (self, req, started, 404, s_lang (req), WEB_T_NOT_FOUND);
}

//  --------------------------------------------------------------------------
//  The daemon

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("addr", "COMPLAINTS_WEB_ADDR", "127.0.0.1:8080", "IP:PORT",
                "listen here (loopback: TLS is the reverse proxy's)"),
    DAEMON_STR ("intake", CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT, "ENDPOINT", "intake's ROUTER"),
    DAEMON_STR ("spool", "COMPLAINTS_WEB_SPOOL", "var/spool/web", "DIR",
                "the durable inbox (one web process per folder)"),
    DAEMON_STR ("calendars", "COMPLAINTS_CALENDARS", "deploy/calendars", "DIR",
                "calendars (time zones)"),
    DAEMON_STR ("calendar", "COMPLAINTS_WEB_CALENDAR", "cn", "NAME",
                "the bank's calendar: the zone dates are shown in"),
    DAEMON_LONG ("answer-wait-ms", "COMPLAINTS_WEB_ANSWER_WAIT_MS", 3000, 0, 60000,
                 "wait this long for intake's number before answering 202"),
    DAEMON_LONG ("lookup-timeout-ms", "COMPLAINTS_WEB_LOOKUP_TIMEOUT_MS", 2000, 100, 60000,
                 "per attempt of a status lookup (two attempts, then 503)"),
    DAEMON_LONG ("max-body", "COMPLAINTS_WEB_MAX_BODY", 262144, 1024, 16777216,
                 "bytes of a request body (413 above)"),
    DAEMON_LONG ("max-connections", "COMPLAINTS_WEB_MAX_CONNECTIONS", 256, 1, 100000,
                 "HTTP connections at once"),
    DAEMON_LONG ("per-client-connections", "COMPLAINTS_WEB_PER_CLIENT_CONNECTIONS", 16, 1, 10000,
                 "HTTP connections at once per client address"),
    DAEMON_LONG ("submit-burst", "COMPLAINTS_WEB_SUBMIT_BURST", 10, 1, 1000000,
                 "submissions per client address at once ..."),
    DAEMON_LONG ("submit-refill-ms", "COMPLAINTS_WEB_SUBMIT_REFILL_MS", 6000, 1, 86400000,
                 "... then one more every N ms"),
    DAEMON_LONG ("lookup-burst", "COMPLAINTS_WEB_LOOKUP_BURST", 10, 1, 1000000,
                 "status lookups per client address at once ..."),
    DAEMON_LONG ("lookup-refill-ms", "COMPLAINTS_WEB_LOOKUP_REFILL_MS", 6000, 1, 86400000,
                 "... then one more every N ms"),
    DAEMON_LONG ("max-clients", "COMPLAINTS_WEB_MAX_CLIENTS", 100000, 1, 10000000,
                 "client addresses the rate limits remember"),
    DAEMON_BOOL ("trust-forwarded", "COMPLAINTS_WEB_TRUST_FORWARDED",
                 "behind a reverse proxy on loopback: the client is X-Forwarded-For's last address"),
    DAEMON_LONG ("window", "COMPLAINTS_WEB_WINDOW", 64, 1, 256, "submits in flight to intake"),
    DAEMON_LONG ("spool-writers", "COMPLAINTS_WEB_SPOOL_WRITERS", 8, 0, 64,
                 "threads writing the spool (fsyncs in parallel; 0: in the loop)"),
    DAEMON_LONG ("keep-done-hours", "COMPLAINTS_WEB_KEEP_DONE_HOURS", 168, 1, 100000,
                 "keep acknowledged spool entries this long"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests, exit"),
    DAEMON_BOOL ("verbose", NULL, "with --selftest: every check"),
    DAEMON_END
};

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("web", s_opts, "web --selftest [--verbose]");
    int prc = daemon_parse (daemon, argc, argv);
    if (prc) {
        daemon_destroy (&daemon);
        return prc > 0 ? 0 : 2;
    }
    bool verbose = daemon_bool (daemon, "verbose");
    if (daemon_bool (daemon, "selftest")) {
        int passed = 0;
        int failed = web_api_test (verbose, &passed);
        failed += web_page_test (verbose, &passed);
        failed += web_survey_test (verbose, &passed);      /* issue 16 (i16-followup) */
        printf ("web selftest: %d passed, %d failed\n", passed, failed);
        daemon_destroy (&daemon);
        return failed ? 1 : 0;
    }
    web_t self = { .daemon = daemon, .answer_wait_ms = daemon_long (daemon, "answer-wait-ms"),
                   .max_body = (size_t) daemon_long (daemon, "max-body") };
    conf_error_t cerr;
    self.calendars = calendars_load_dir (daemon_str (daemon, "calendars"), &cerr);
    self.calendar = self.calendars ? calendars_find (self.calendars,
                                                     daemon_str (daemon, "calendar")) : NULL;
    if (!self.calendar) {
        daemon_refuse (daemon, "no calendar %s in %s%s%s", daemon_str (daemon, "calendar"),
                       daemon_str (daemon, "calendars"), self.calendars ? "" : ": ",
                       self.calendars ? "" : cerr.reason);
        calendars_destroy (&self.calendars);
        daemon_destroy (&daemon);
        return 2;
    }
    metrics_t *reg = daemon_metrics (daemon);
    self.m_requests = metrics_counter (reg, "complaints_web_requests_total",
        "HTTP requests answered, by route and status.", "route,status");
    self.m_seconds = metrics_histogram (reg, "complaints_web_request_seconds",
        "From the whole request read to its answer, by route (a submission includes the"
        " spool's fsync and intake's answer).", "route", metrics_latency_buckets,
        metrics_latency_nbuckets);
    self.m_limited = metrics_counter (reg, "complaints_web_rate_limited_total",
        "Requests refused 429 by the per-address limits, by kind.", "kind");
    self.m_outcomes = metrics_counter (reg, "complaints_web_outcomes_total",
        "Spooled submissions intake answered, by outcome.", "outcome");
    if (daemon_start (daemon)) {
        calendars_destroy (&self.calendars);
        daemon_destroy (&daemon);
        return 1;
    }
    char err [300];
    self.spool = spool_new (daemon_str (daemon, "spool"), err, sizeof err);
    if (!self.spool) {
        log_error ("spool_refused", "dir=%s reason=\"%s\"", daemon_str (daemon, "spool"), err);
        calendars_destroy (&self.calendars);
        daemon_destroy (&daemon);
        return 1;
    }
    const char *intake = daemon_str (daemon, "intake");
    intake_client_opts_t sender_opts = { .window = (int) daemon_long (daemon, "window"),
                                         .attempts = 0 };
    intake_client_opts_t lookup_opts = {
        .window = 64, .attempts = 2, .timeout_ms = (int) daemon_long (daemon, "lookup-timeout-ms")
    };
    self.sender_client = intake_client_new (NULL, NULL, intake, &sender_opts, err, sizeof err);
    self.lookup_client = self.sender_client
                       ? intake_client_new (NULL, NULL, intake, &lookup_opts, err, sizeof err)
                       : NULL;
    if (!self.lookup_client) {
        log_error ("intake_refused", "endpoint=%s reason=\"%s\"", intake, err);
        intake_client_destroy (&self.sender_client);
        spool_destroy (&self.spool);
        calendars_destroy (&self.calendars);
        daemon_destroy (&daemon);
        return 2;
    }
    spool_sender_opts_t send_opts = { .window = (int) daemon_long (daemon, "window") };
    self.sender = spool_sender_new (self.spool, self.sender_client, reg, &send_opts,
                                    s_on_outcome, &self);
    if (daemon_long (daemon, "spool-writers") > 0)
        self.writer = spool_writer_new (self.spool, (int) daemon_long (daemon, "spool-writers"),
                                        s_on_written, &self);
    self.csrf = csrf_new (NULL, 4 * 3600);
    self.submit_limit = peer_limit_new ((size_t) daemon_long (daemon, "max-clients"),
                                        daemon_long (daemon, "submit-burst"),
                                        daemon_long (daemon, "submit-refill-ms"));
    self.lookup_limit = peer_limit_new ((size_t) daemon_long (daemon, "max-clients"),
                                        daemon_long (daemon, "lookup-burst"),
                                        daemon_long (daemon, "lookup-refill-ms"));
    self.entries = zhashx_new ();
    zhashx_set_destructor (self.entries, (zhashx_destructor_fn *) s_entry_destroy);
    self.by_key = zhashx_new ();
    self.early = zhashx_new ();
    zhashx_set_destructor (self.early, (zhashx_destructor_fn *) s_early_destroy);
    self.lookups = zlistx_new ();
    zlistx_set_destructor (self.lookups, (zlistx_destructor_fn *) s_lookup_destroy);
    http_limits_t limits = {
        .max_body = self.max_body,
        .max_connections = (unsigned) daemon_long (daemon, "max-connections"),
        .per_client = (unsigned) daemon_long (daemon, "per-client-connections"),
        .trust_forwarded = daemon_bool (daemon, "trust-forwarded"),
    };
    self.http = http_server_new (daemon_str (daemon, "addr"), &limits, s_handle, &self, err,
                                 sizeof err);
    int rc = 0;
    if (!self.http) {
        log_error ("listen_failed", "addr=%s reason=\"%s\"", daemon_str (daemon, "addr"), err);
        rc = 1;
    }
    else {
        daemon_store_up (daemon);       /* no store: "up" is "serving" */
        log_info ("started", "addr=%s port=%d intake=%s spool=%s pending=%zu calendar=%s zone=%s",
                  daemon_str (daemon, "addr"), http_server_port (self.http), intake,
                  daemon_str (daemon, "spool"), spool_count (self.spool),
                  daemon_str (daemon, "calendar"), calendar_timezone (self.calendar));
        spool_sender_kick (self.sender);
    }
    int64_t next_prune = zclock_mono ();
    long keep_s = daemon_long (daemon, "keep-done-hours") * 3600;
    while (self.http && !daemon_stopping (daemon)) {
        zmq_pollitem_t items [4] = {
            { NULL, http_server_fd (self.http), ZMQ_POLLIN, 0 },
            { zsock_resolve (intake_client_sock (self.sender_client)), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (intake_client_sock (self.lookup_client)), 0, ZMQ_POLLIN, 0 },
            { self.writer ? zsock_resolve (spool_writer_sock (self.writer)) : NULL, 0,
              ZMQ_POLLIN, 0 },
        };
        long timeout = 100;             /* the waiters' deadlines, HTTP timeouts */
        long t = intake_client_timeout (self.sender_client);
        if (t >= 0 && t < timeout)
            timeout = t;
        t = intake_client_timeout (self.lookup_client);
        if (t >= 0 && t < timeout)
            timeout = t;
        t = spool_sender_timeout (self.sender);
        if (t < timeout)
            timeout = t;
        daemon_wait (daemon, timeout, items, self.writer ? 4 : 3);
        http_server_run (self.http);
        if (self.writer)
            spool_writer_handle (self.writer);
        intake_client_handle (self.sender_client);
        intake_client_handle (self.lookup_client);
        if (spool_sender_timeout (self.sender) == 0)
            spool_sender_tick (self.sender);
        s_expire_waiters (&self);
        daemon_alive (daemon);
        if (zclock_mono () >= next_prune) {
            spool_prune (self.spool, keep_s);
            next_prune = zclock_mono () + 3600 * 1000;
        }
    }
    //  Stop: every request still waiting is answered 503 (a submission in
    //  it is in the spool and will be sent by the next start), then the
    //  rest. Entries in flight stay in new/.
    log_info ("stopping", "waiting_requests=%zu spool_pending=%zu",
              self.http ? http_server_pending (self.http) : 0, spool_count (self.spool));
    http_server_destroy (&self.http);
    spool_writer_destroy (&self.writer);    /* a put in progress finishes */
    spool_sender_destroy (&self.sender);
    intake_client_destroy (&self.lookup_client);
    intake_client_destroy (&self.sender_client);
    //  Entries still being written are only in by_key.
    for (s_entry_t *e = zhashx_first (self.by_key); e; e = zhashx_next (self.by_key))
        if (!e->written)
            s_entry_destroy (&e);
    zhashx_destroy (&self.by_key);
    zhashx_destroy (&self.entries);
    zhashx_destroy (&self.early);
    zlistx_destroy (&self.lookups);
    peer_limit_destroy (&self.submit_limit);
    peer_limit_destroy (&self.lookup_limit);
    csrf_destroy (&self.csrf);
    spool_destroy (&self.spool);
    calendars_destroy (&self.calendars);
    daemon_destroy (&daemon);
    return rc;
}

/*  hotline_desk.c — the agent desk's HTTP handling (see hotline_desk.h).
 *
 *  Three kinds of request wait for intake while the loop goes on: a
 *  sign-in (its queue request, through the intake client: the token is
 *  judged where every token is), and a call (its spool entry, answered
 *  through spool_sender). Each waits with a deadline; hotline_desk_tick
 *  answers those past it — a sign-in "try again" (503), a call "taken"
 *  (202: it is in the spool and will arrive once).
 *
 *  Sessions. The "desk" cookie holds a random value (csrf_session_new)
 *  from the first page on: the CSRF tokens are bound to it. Signing in
 *  gives a new value (no fixation: a value planted before sign-in is
 *  never the signed-in one) mapped, in memory, to the agent's token. The
 *  token never goes back to the browser and is never logged.
 */
#include "hotline_desk.h"
#include "csrf.h"
#include "hotline_call.h"
#include "hotline_page.h"
#include "http_form.h"
#include "http_server.h"
#include "log.h"
#include "peer_limit.h"
#include "request.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COOKIE          "desk"
#define S_SESSION_MS      (12LL * 3600 * 1000)
#define S_MAX_SESSIONS    10000
#define S_SIGNIN_WAIT_MS  8000
#define S_MAX_FIELDS      32
#define S_MAX_VALUE       (64 * 1024)

typedef struct {
    char token [REQUEST_MAX_TOKEN + 1];
    int64_t expires;
} s_session_t;

typedef struct {
    http_request_t *request;
    http_form_t *form;                  /* the call as posted (shown again on an error) */
    char session [CSRF_SESSION_SIZE];
    char call_id [PROTO_MAX_REF + 1];
    int64_t deadline;
} s_wait_t;

typedef struct _s_signin_t {
    hotline_desk_t *desk;
    http_request_t *request;
    char token [REQUEST_MAX_TOKEN + 1];
    char old_session [CSRF_SESSION_SIZE];
    uint64_t id;                        /* intake_client's */
    int64_t deadline;
} s_signin_t;

struct _hotline_desk_t {
    hotline_desk_opts_t opts;
    char timezone [64];
    http_server_t *http;
    csrf_t *csrf;
    peer_limit_t *posts;
    spool_t *spool;
    intake_client_t *client;
    spool_sender_t **sender;
    zhashx_t *sessions;                 /* session value -> s_session_t */
    zhashx_t *waits;                    /* spool id -> s_wait_t */
    zlist_t *signins;                   /* s_signin_t, oldest first */
};

static void s_handle (void *arg, http_request_t *request);

#define S_CANNOT_CHECK "投诉系统暂时无法核对令牌，请稍后再试 · the complaint system cannot" \
                       " check the token now; try again in a moment"

/* A sign-in done with: its token copy wiped. */
static void
s_signin_free (s_signin_t **s_p)
{
    sodium_memzero ((*s_p)->token, sizeof (*s_p)->token);
    free (*s_p);
    *s_p = NULL;
}

static void
s_wait_free (void **item_p)
{
    s_wait_t *w = (s_wait_t *) *item_p;
    if (w) {
        http_form_destroy (&w->form);
        free (w);
        *item_p = NULL;
    }
}

hotline_desk_t *
hotline_desk_new (const hotline_desk_opts_t *opts, spool_t *spool, intake_client_t *client,
                  spool_sender_t **sender, char *err, size_t err_size)
{
    assert (opts && spool && client && sender);
    hotline_desk_t *self = calloc (1, sizeof *self);
    assert (self);
    self->opts = *opts;
    snprintf (self->timezone, sizeof self->timezone, "%s", opts->timezone);
    self->spool = spool;
    self->client = client;
    self->sender = sender;
    http_limits_t limits = { .max_body = 128 * 1024 };
    self->http = http_server_new (opts->address, &limits, s_handle, self, err, err_size);
    if (!self->http) {
        free (self);
        return NULL;
    }
    self->csrf = csrf_new (NULL, S_SESSION_MS / 1000);
    self->posts = peer_limit_new (10000, opts->rate_burst, opts->rate_refill_ms);
    self->sessions = zhashx_new ();
    zhashx_set_destructor (self->sessions, (zhashx_destructor_fn *) zstr_free);
    self->waits = zhashx_new ();
    zhashx_set_destructor (self->waits, s_wait_free);
    self->signins = zlist_new ();
    return self;
}

void
hotline_desk_destroy (hotline_desk_t **self_p)
{
    assert (self_p);
    hotline_desk_t *self = *self_p;
    if (!self)
        return;
    /* http_server_destroy answers every suspended request 503 */
    http_server_destroy (&self->http);
    s_signin_t *s;
    while ((s = (s_signin_t *) zlist_pop (self->signins))) {
        intake_client_cancel (self->client, s->id);
        s_signin_free (&s);
    }
    zlist_destroy (&self->signins);
    zhashx_destroy (&self->waits);
    zhashx_destroy (&self->sessions);
    peer_limit_destroy (&self->posts);
    csrf_destroy (&self->csrf);
    free (self);
    *self_p = NULL;
}

void
hotline_desk_run (hotline_desk_t *self)
{
    http_server_run (self->http);
}

int
hotline_desk_fd (hotline_desk_t *self)
{
    return http_server_fd (self->http);
}

int
hotline_desk_port (hotline_desk_t *self)
{
    return http_server_port (self->http);
}

/* ---- answering ----------------------------------------------------------- */

/* Send the page in `page` (an open_memstream's buffer) with its status. */
static void
s_send (http_request_t *request, int status, char *page, size_t size)
{
    http_request_add_header (request, "Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
                             " frame-ancestors 'none'");
    http_request_reply (request, status, "text/html; charset=utf-8", page, size);
    free (page);
}

static void
s_set_cookie (http_request_t *request, const char *value)
{
    char cookie [128];
    snprintf (cookie, sizeof cookie, S_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", value);
    http_request_add_header (request, "Set-Cookie", cookie);
}

static void
s_message (http_request_t *request, int status, const char *title, const char *text)
{
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    hotline_page_message (out, title, text);
    fclose (out);
    s_send (request, status, page, size);
}

/* The session's CSRF token, now. */
static void
s_token_for (hotline_desk_t *self, const char *session, char token [CSRF_TOKEN_SIZE])
{
    csrf_token (self->csrf, session, zclock_time () / 1000, token);
}

static void
s_signin_page (hotline_desk_t *self, http_request_t *request, int status, const char *session,
               bool set_cookie, const char *error)
{
    char token [CSRF_TOKEN_SIZE];
    s_token_for (self, session, token);
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    hotline_page_signin (out, token, error);
    fclose (out);
    if (set_cookie)
        s_set_cookie (request, session);
    s_send (request, status, page, size);
}

static void
s_call_page (hotline_desk_t *self, http_request_t *request, int status, const char *session,
             http_form_t *values, const char *field, const char *reason)
{
    char token [CSRF_TOKEN_SIZE];
    s_token_for (self, session, token);
    /* a fresh desk id: the same form posted twice is one complaint */
    unsigned char random [6];
    randombytes_buf (random, sizeof random);
    char hex [13];
    sodium_bin2hex (hex, sizeof hex, random, sizeof random);
    char call_id [40];
    snprintf (call_id, sizeof call_id, "desk-%s", hex);
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    hotline_page_call (out, token, call_id, values, field, reason);
    fclose (out);
    s_send (request, status, page, size);
}

static void
s_redirect_home (http_request_t *request)
{
    http_request_add_header (request, "Location", "/");
    http_request_reply (request, 303, "text/plain; charset=utf-8", "", 0);
}

/* ---- sessions ------------------------------------------------------------ */

/* The agent's token when the session is signed in and fresh; else NULL. */
static const char *
s_signed_in (hotline_desk_t *self, const char *session)
{
    if (!session)
        return NULL;
    s_session_t *s = (s_session_t *) zhashx_lookup (self->sessions, session);
    if (!s)
        return NULL;
    if (s->expires < zclock_time ()) {
        zhashx_delete (self->sessions, session);
        return NULL;
    }
    return s->token;
}

static bool
s_session_ok (const char *session)
{
    if (!session || strlen (session) != CSRF_SESSION_SIZE - 1)
        return false;
    for (const char *p = session; *p; p++)
        if (!strchr ("0123456789abcdef", *p))
            return false;
    return true;
}

/* ---- sign-in ------------------------------------------------------------- */

static int
s_signin_answer (void *arg, zframe_t *reply, int attempts)
{
    (void) attempts;
    s_signin_t *s = (s_signin_t *) arg;
    hotline_desk_t *self = s->desk;
    zlist_remove (self->signins, s);
    bool ok = false;
    char code [32] = "";
    if (reply) {
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        if (msgpack_unpack_next (&msg, (const char *) zframe_data (reply), zframe_size (reply),
                                 NULL) == MSGPACK_UNPACK_SUCCESS
        &&  msg.data.type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *v = proto_map_get (&msg.data, "ok");
            ok = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
            const msgpack_object *e = proto_map_get (&msg.data, "error");
            const msgpack_object *c = e && e->type == MSGPACK_OBJECT_MAP
                                    ? proto_map_get (e, "code") : NULL;
            if (c && c->type == MSGPACK_OBJECT_STR && c->via.str.size < sizeof code) {
                memcpy (code, c->via.str.ptr, c->via.str.size);
                code [c->via.str.size] = 0;
            }
        }
        msgpack_unpacked_destroy (&msg);
    }
    if (ok) {
        if (zhashx_size (self->sessions) >= S_MAX_SESSIONS)
            zhashx_purge (self->sessions);  /* bounded: everyone signs in again */
        char session [CSRF_SESSION_SIZE];
        csrf_session_new (session);
        s_session_t *entry = calloc (1, sizeof *entry);
        assert (entry);
        snprintf (entry->token, sizeof entry->token, "%s", s->token);
        entry->expires = zclock_time () + S_SESSION_MS;
        zhashx_update (self->sessions, session, entry);
        log_info ("agent_signed_in", "client=%s", http_request_client (s->request));
        s_set_cookie (s->request, session);
        s_redirect_home (s->request);
    }
    else
    if (*code && strcmp (code, PROTO_E_UNAVAILABLE) != 0) {
        log_info ("agent_signin_refused", "client=%s code=%s", http_request_client (s->request),
                  code);
        s_signin_page (self, s->request, 401, s->old_session, false,
                       "令牌无效、已吊销或已过期 · the token is unknown, revoked or expired");
    }
    else
        s_signin_page (self, s->request, 503, s->old_session, false, S_CANNOT_CHECK);
    s_signin_free (&s);
    return 0;
}

static void
s_signin (hotline_desk_t *self, http_request_t *request, const char *session, http_form_t *form)
{
    const char *token = http_form_get (form, "token");
    if (!token || !*token || strlen (token) > REQUEST_MAX_TOKEN) {
        s_signin_page (self, request, 422, session, false,
                       "请输入员工令牌 · enter your staff token");
        return;
    }
    s_signin_t *s = calloc (1, sizeof *s);
    assert (s);
    s->desk = self;
    s->request = request;
    snprintf (s->token, sizeof s->token, "%s", token);
    snprintf (s->old_session, sizeof s->old_session, "%s", session);
    s->deadline = zclock_time () + S_SIGNIN_WAIT_MS;
    /* intake judges the token: the agent's own queue, one case */
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    proto_pack_kv_cstr (&pk, "op", "queue");
    proto_pack_kv_cstr (&pk, "token", token);
    proto_pack_kv_cstr (&pk, "scope", "mine");
    proto_pack_kv_int (&pk, "limit", 1);
    zlist_append (self->signins, s);
    s->id = intake_client_send (self->client, buf.data, buf.size, s_signin_answer, s);
    sodium_memzero (buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
}

/* ---- a call -------------------------------------------------------------- */

static void
s_call (hotline_desk_t *self, http_request_t *request, const char *session, const char *token,
        http_form_t **form_p)
{
    http_form_t *form = *form_p;
    hotline_call_t call;
    for (int i = 0; i < HOTLINE_FIELD_COUNT; i++) {
        const char *v = http_form_get (form, hotline_call_field_names [i]);
        call.f [i] = (proto_str_t) { v, v ? strlen (v) : 0 };
    }
    hotline_call_ctx_t ctx = { .now_ms = zclock_time (),
                               .token = (proto_str_t) { token, strlen (token) } };
    hotline_call_error_t err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (hotline_call_submit (&call, &ctx, &buf, &err)) {
        msgpack_sbuffer_destroy (&buf);
        log_info ("call_refused", "client=%s field=%s", http_request_client (request), err.field);
        s_call_page (self, request, 422, session, form, err.field, err.reason);
        return;
    }
    char id [SPOOL_ID_SIZE];
    int rc = spool_put (self->spool, buf.data, buf.size, id);
    sodium_memzero (buf.data, buf.size);        /* a first contact holds the token */
    msgpack_sbuffer_destroy (&buf);
    if (rc) {
        log_error ("spool_failed", "error=\"%s\"", strerror (errno));
        s_message (request, 503, "暂时无法保存 Cannot save now",
                   "来电未能保存，请稍后重试 · the call could not be saved; try again");
        return;
    }
    s_wait_t *w = calloc (1, sizeof *w);
    assert (w);
    w->request = request;
    w->form = form;
    *form_p = NULL;                             /* the wait owns it now */
    snprintf (w->session, sizeof w->session, "%s", session);
    proto_str_t call_id = call.f [HOTLINE_CALL_ID];
    snprintf (w->call_id, sizeof w->call_id, "%.*s", (int) call_id.len, call_id.ptr);
    w->deadline = zclock_time () + self->opts.wait_ms;
    zhashx_update (self->waits, id, w);
    if (*self->sender)
        spool_sender_kick (*self->sender);
}

static void
s_copy_str (const msgpack_object *map, const char *key, char *out, size_t size)
{
    out [0] = 0;
    const msgpack_object *v = map ? proto_map_get (map, key) : NULL;
    if (v && v->type == MSGPACK_OBJECT_STR && v->via.str.size < size) {
        memcpy (out, v->via.str.ptr, v->via.str.size);
        out [v->via.str.size] = 0;
    }
}

void
hotline_desk_outcome (hotline_desk_t *self, const char *id, spool_sender_outcome_t outcome,
                      const msgpack_object *reply)
{
    assert (self && id);
    s_wait_t *w = (s_wait_t *) zhashx_lookup (self->waits, id);
    if (!w)
        return;
    if (outcome == SPOOL_SENDER_ACCEPTED) {
        char number [64], code [64], state [32];
        s_copy_str (reply, "complaint_no", number, sizeof number);
        s_copy_str (reply, "query_code", code, sizeof code);
        s_copy_str (reply, "state", state, sizeof state);
        const msgpack_object *dup = reply ? proto_map_get (reply, "duplicate") : NULL;
        bool duplicate = dup && dup->type == MSGPACK_OBJECT_BOOLEAN && dup->via.boolean;
        char token [CSRF_TOKEN_SIZE];
        s_token_for (self, w->session, token);
        char *page = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&page, &size);
        hotline_page_confirmation (out, token, w->call_id, number, code,
                                   *state ? state : "received", duplicate, zclock_time (),
                                   self->timezone);
        fclose (out);
        log_info ("call_registered", "complaint_no=%s state=%s duplicate=%s", number,
                  *state ? state : "received", duplicate ? "true" : "false");
        s_send (w->request, 201, page, size);
    }
    else {
        const msgpack_object *e = reply ? proto_map_get (reply, "error") : NULL;
        char field [64], message [256];
        s_copy_str (e, "field", field, sizeof field);
        s_copy_str (e, "message", message, sizeof message);
        s_call_page (self, w->request, 422, w->session, w->form, hotline_call_field_of (field),
                     *message ? message : "the complaint system refused the call");
    }
    zhashx_delete (self->waits, id);
}

void
hotline_desk_tick (hotline_desk_t *self, int64_t now_ms)
{
    assert (self);
    zlist_t *late = zlist_new ();
    for (s_wait_t *w = (s_wait_t *) zhashx_first (self->waits); w;
         w = (s_wait_t *) zhashx_next (self->waits))
        if (w->deadline <= now_ms)
            zlist_append (late, (void *) zhashx_cursor (self->waits));
    for (const char *id = (const char *) zlist_first (late); id;
         id = (const char *) zlist_next (late)) {
        s_wait_t *w = (s_wait_t *) zhashx_lookup (self->waits, id);
        char *page = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&page, &size);
        hotline_page_pending (out, NULL, w->call_id);
        fclose (out);
        s_send (w->request, 202, page, size);
        zhashx_delete (self->waits, id);
    }
    zlist_destroy (&late);
    s_signin_t *s = (s_signin_t *) zlist_first (self->signins);
    while (s && s->deadline <= now_ms) {
        zlist_remove (self->signins, s);
        intake_client_cancel (self->client, s->id);
        s_signin_page (self, s->request, 503, s->old_session, false, S_CANNOT_CHECK);
        s_signin_free (&s);
        s = (s_signin_t *) zlist_first (self->signins);
    }
}

/* ---- the handler --------------------------------------------------------- */

static void
s_handle (void *arg, http_request_t *request)
{
    hotline_desk_t *self = (hotline_desk_t *) arg;
    const char *method = http_request_method (request);
    const char *path = http_request_path (request);
    const char *cookie = http_request_cookie (request, S_COOKIE);
    const char *session = s_session_ok (cookie) ? cookie : NULL;
    if (strcmp (method, "GET") == 0 && strcmp (path, "/") == 0) {
        if (s_signed_in (self, session)) {
            s_call_page (self, request, 200, session, NULL, NULL, NULL);
            return;
        }
        char fresh [CSRF_SESSION_SIZE];
        if (!session)
            csrf_session_new (fresh);
        s_signin_page (self, request, 200, session ? session : fresh, !session, NULL);
        return;
    }
    if (strcmp (method, "POST") != 0
    ||  (strcmp (path, "/signin") && strcmp (path, "/signout") && strcmp (path, "/call"))) {
        s_message (request, strcmp (method, "GET") == 0 || strcmp (method, "POST") == 0 ? 404 : 405,
                   "没有这个页面 Not found", "请从首页开始 · start from the desk's first page");
        return;
    }
    long retry_s = 0;
    if (!peer_limit_allows (self->posts, http_request_client (request), zclock_mono (), &retry_s)) {
        char retry [16];
        snprintf (retry, sizeof retry, "%ld", retry_s);
        http_request_add_header (request, "Retry-After", retry);
        s_message (request, 429, "请求过多 Too many requests",
                   "请稍后再试 · please try again in a moment");
        return;
    }
    peer_limit_charge (self->posts, http_request_client (request), zclock_mono ());
    if (http_request_too_large (request)) {
        s_message (request, 413, "内容过长 Too large",
                   "表单超过 128 KB · the form is over 128 KB");
        return;
    }
    proto_error_t err = { 0 };
    http_form_t *form = http_form_parse (http_request_body (request),
                                         http_request_body_size (request), S_MAX_FIELDS,
                                         S_MAX_VALUE, &err);
    if (!form) {
        char text [400];
        snprintf (text, sizeof text, "%s: %s", err.field, err.message);
        s_message (request, 400, "表单有误 Bad form", text);
        return;
    }
    if (!session || !csrf_verify (self->csrf, session, http_form_get (form, "csrf"),
                                  zclock_time () / 1000)) {
        log_info ("csrf_refused", "client=%s path=%s", http_request_client (request), path);
        s_message (request, 403, "页面已过期 Page expired",
                   "请重新打开首页再提交 · open the desk's first page again, then post");
        http_form_destroy (&form);
        return;
    }
    if (strcmp (path, "/signin") == 0)
        s_signin (self, request, session, form);
    else
    if (strcmp (path, "/signout") == 0) {
        zhashx_delete (self->sessions, session);
        s_redirect_home (request);
    }
    else {
        const char *token = s_signed_in (self, session);
        if (!token)
            s_signin_page (self, request, 401, session, false,
                           "请先登录 · sign in first");
        else
            s_call (self, request, session, token, &form);
    }
    http_form_destroy (&form);
}

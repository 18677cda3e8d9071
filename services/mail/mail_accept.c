/*  mail_accept.c — parse, store durably, answer (see mail_accept.h).
 *
 *  Everything written here is written before the channel hears "250": the
 *  spool entry by spool_put, the kept messages by spool_file_put (the same
 *  tmp name, fsync, rename, fsync of the folder). Kept files are named by
 *  the time of receipt in ns and a counter, so a folder lists in arrival
 *  order and two messages never share a name.
 *
 *  What is logged names the message by its spool ID, verdict and code,
 *  never its sender or words (common/privacy.h: the log is not a place for
 *  customer data).
 */
#include "mail_accept.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct _mail_accept_t {
    char *quarantine, *automatic, *replies;
    spool_t *spool;
    mail_limits_t limits;
    uint32_t counter;
    metric_t *m_messages;
    mail_evidence_t *evidence;      /* issue 16 (i16-mailev); not owned */
};

void
mail_accept_set_evidence (mail_accept_t *self, mail_evidence_t *evidence)
{
    assert (self);
    self->evidence = evidence;
}

static char *
s_folder (const char *dir, const char *name, char *err, size_t err_size)
{
    char *path = NULL;
    if (asprintf (&path, "%s/%s", dir, name) < 0)
        return NULL;
    if (mkdir (path, 0700) && errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", path, strerror (errno));
        free (path);
        return NULL;
    }
    return path;
}

mail_accept_t *
mail_accept_new (const char *dir, spool_t *spool, const mail_limits_t *limits,
                 metrics_t *metrics, char *err, size_t err_size)
{
    assert (dir && spool && limits && err);
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
        return NULL;
    }
    mail_accept_t *self = (mail_accept_t *) zmalloc (sizeof *self);
    self->spool = spool;
    self->limits = *limits;
    self->quarantine = s_folder (dir, "quarantine", err, err_size);
    self->automatic = self->quarantine ? s_folder (dir, "automatic", err, err_size) : NULL;
    self->replies = self->automatic ? s_folder (dir, "replies", err, err_size) : NULL;
    if (!self->replies) {
        mail_accept_destroy (&self);
        return NULL;
    }
    if (metrics)
        self->m_messages = metrics_counter (metrics, "complaints_mail_messages_total",
            "Messages taken by the mail adapter, by source (maildir, lmtp) and result "
            "(complaint, reply, automatic, unparsable, tempfail).", "source,result");
    return self;
}

void
mail_accept_destroy (mail_accept_t **self_p)
{
    assert (self_p);
    mail_accept_t *self = *self_p;
    if (!self)
        return;
    free (self->quarantine);
    free (self->automatic);
    free (self->replies);
    free (self);
    *self_p = NULL;
}

static void
s_name (mail_accept_t *self, char *out, size_t size)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    snprintf (out, size, "%020" PRIu64 "-%d-%06" PRIu32,
              (uint64_t) now.tv_sec * 1000000000u + (uint64_t) now.tv_nsec, (int) getpid (),
              self->counter++);
}

/* The message, and a text file beside it, into folder. 0 or -1 (errno). */
static int
s_keep_as (mail_accept_t *self, const char *folder, const char *given, const char *data,
           size_t size, const char *suffix, const char *text, char *name, size_t name_size)
{
    char base [96], file [128];
    if (given)
        snprintf (base, sizeof base, "%s", given);
    else
        s_name (self, base, sizeof base);
    snprintf (name, name_size, "%s.eml", base);
    //  The note first: a message never sits in the folder without its reason.
    if (text) {
        snprintf (file, sizeof file, "%s.%s", base, suffix);
        if (spool_file_put (folder, file, text, strlen (text)))
            return -1;
    }
    if (spool_file_put (folder, name, data, size)) {
        int saved = errno;
        if (text) {
            char path [PATH_MAX];
            snprintf (path, sizeof path, "%s/%s", folder, file);
            unlink (path);
        }
        errno = saved;
        return -1;
    }
    return 0;
}

static int
s_keep (mail_accept_t *self, const char *folder, const char *data, size_t size,
        const char *suffix, const char *text, char *name, size_t name_size)
{
    return s_keep_as (self, folder, NULL, data, size, suffix, text, name, name_size);
}

static void s_tempfail (mail_verdict_t *v, const char *what, int err);

/* A reply on a known case: its intake request into the spool first (the
 * spool ID names it), then the message itself into replies/ under that ID,
 * so a refusal by intake can move it to quarantine (mail_accept_outcome).
 * Killed between the two, or the second write failing (451: the MTA sends
 * it again), the request is sent anyway and the next copy is a duplicate
 * at intake. A reply whose case is unknown (an old notifier Message-ID
 * without the number, a wrong check digit) goes to quarantine: 550. */
static const char *
s_take_reply (mail_accept_t *self, const mail_message_t *m, const char *data, size_t size,
              const char *source, mail_verdict_t *v, char *name, size_t name_size)
{
    if (!m->complaint_no [0]) {
        char reason [512];
        snprintf (reason, sizeof reason, "code=unknown_case\nfield=%s\nreason=the reply "
                  "names a message of ours (%s) that does not carry a complaint number\n"
                  "source=%s\n", m->field, m->replied_id ? m->replied_id : "",
                  source);
        if (s_keep (self, self->quarantine, data, size, "reason", reason, name, name_size)) {
            s_tempfail (v, "quarantine", errno);
            return "tempfail";
        }
        v->code = 550;
        snprintf (v->text, sizeof v->text, "5.1.0 the reply names no case we can find "
                  "(unknown_case, %s): write the complaint number in the subject", m->field);
        return "reply";
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int packed = mail_message_reply_pack (m, &buf);
    int put = packed ? -1 : spool_put (self->spool, buf.data, buf.size, v->spool_id);
    msgpack_sbuffer_destroy (&buf);
    if (put) {
        s_tempfail (v, "spool", packed ? EINVAL : errno);
        return "tempfail";
    }
    char meta [512];
    snprintf (meta, sizeof meta, "code=%s\ncomplaint_no=%s\nreplied_message_id=%s\n"
              "message_id=%s\nspool_id=%s\nsource=%s\n", m->code, m->complaint_no,
              m->replied_id ? m->replied_id : "", m->message_id ? m->message_id : "",
              v->spool_id, source);
    if (s_keep_as (self, self->replies, v->spool_id, data, size, "meta", meta, name,
                   name_size)) {
        s_tempfail (v, "replies", errno);
        return "tempfail";
    }
    v->code = 250;
    snprintf (v->text, sizeof v->text, "2.0.0 accepted as the customer's reply on case %s "
              "(queued as %s)", m->complaint_no, v->spool_id);
    return "reply";
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_tempfail (mail_verdict_t *v, const char *what, int err)
{
    v->code = 451;
    snprintf (v->text, sizeof v->text, "4.3.0 the message could not be stored (%s: %s); "
              "try again later", what, strerror (err));
}

void
mail_accept_take (mail_accept_t *self, const char *data, size_t size, const char *source,
                  mail_verdict_t *v)
{
    assert (self && v);
    memset (v, 0, sizeof *v);
    mail_message_t *m = mail_message_parse (data, size, &self->limits);
    v->kind = m->kind;
    const char *result = mail_message_kind_name (m->kind);
    char name [128] = "";
    if (m->kind == MAIL_COMPLAINT) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        if (mail_message_submit_pack (m, s_now_ms (), &buf)) {
            //  The parser called it a complaint but could not pack it: a bug,
            //  and the message must not be lost over it.
            m->kind = MAIL_UNPARSABLE;
            v->kind = MAIL_UNPARSABLE;
            snprintf (m->reason, sizeof m->reason, "the submit could not be built");
            m->code = "internal";
        }
        else
        if (spool_put (self->spool, buf.data, buf.size, v->spool_id)) {
            s_tempfail (v, "spool", errno);
            result = "tempfail";
        }
        else {
            v->code = 250;
            snprintf (v->text, sizeof v->text, "2.0.0 accepted as a complaint (queued as %s)",
                      v->spool_id);
        }
        msgpack_sbuffer_destroy (&buf);
    }
    if (m->kind == MAIL_REPLY)
        result = s_take_reply (self, m, data, size, source, v, name, sizeof name);
    else
    if (m->kind == MAIL_AUTOMATIC) {
        char meta [256];
        snprintf (meta, sizeof meta, "code=%s\nsource=%s\n", m->code, source);
        if (s_keep (self, self->automatic, data, size, "meta", meta, name, sizeof name)) {
            s_tempfail (v, "automatic", errno);
            result = "tempfail";
        }
        else {
            v->code = 250;
            snprintf (v->text, sizeof v->text, "2.0.0 kept; automatic mail (%s) is not a "
                      "complaint", m->code);
        }
    }
    else
    if (m->kind == MAIL_UNPARSABLE) {
        char reason [512];
        snprintf (reason, sizeof reason, "code=%s\nfield=%s\nreason=%s\nsource=%s\n",
                  m->code, m->field, m->reason, source);
        if (s_keep (self, self->quarantine, data, size, "reason", reason, name, sizeof name)) {
            s_tempfail (v, "quarantine", errno);
            result = "tempfail";
        }
        else {
            bool too_large = streq (m->code, MAIL_E_TOO_LARGE);
            v->code = too_large ? 552 : 550;
            snprintf (v->text, sizeof v->text, "%s the message cannot be read (%s%s%s): %s",
                      too_large ? "5.3.4" : "5.6.0", m->code, *m->field ? ", " : "", m->field,
                      m->reason);
        }
    }
    /* issue 16 (i16-mailev): the attachments kept under the entry's ID,
     * sent as evidence once intake has answered it (mail_evidence.h). */
    if (v->code == 250 && *v->spool_id && m->n_attachments && self->evidence
    &&  (m->kind == MAIL_COMPLAINT || m->kind == MAIL_REPLY)
    &&  mail_evidence_keep (self->evidence, v->spool_id, data, size)) {
        s_tempfail (v, "evidence", errno);
        result = "tempfail";
    }
    if (v->code == 451)
        log_warn ("mail_not_stored", "source=%s kind=%s reason=\"%s\"", source,
                  mail_message_kind_name (m->kind), v->text);
    else
        log_info ("mail_taken", "source=%s kind=%s code=%s spool_id=%s kept=%s", source,
                  mail_message_kind_name (m->kind), m->code ? m->code : "",
                  *v->spool_id ? v->spool_id : "-", *name ? name : "-");
    if (self->m_messages)
        metric_add_at (self->m_messages, (const char *[]) { source, result }, 1);
    mail_message_destroy (&m);
}

void
mail_accept_outcome (mail_accept_t *self, const char *id, bool rejected,
                     const msgpack_object *reply)
{
    assert (self && id);
    char eml [PATH_MAX], meta [PATH_MAX];
    snprintf (eml, sizeof eml, "%s/%s.eml", self->replies, id);
    snprintf (meta, sizeof meta, "%s/%s.meta", self->replies, id);
    if (!rejected || access (eml, F_OK) != 0)
        return;                 /* a complaint, or a reply recorded: nothing to move */
    const msgpack_object *error = reply ? proto_map_get (reply, "error") : NULL;
    proto_str_t code = { "", 0 }, field = { "", 0 }, message = { "", 0 };
    proto_error_t err = { 0 };
    if (error && error->type == MSGPACK_OBJECT_MAP) {
        proto_get_str (error, "code", "code", false, 0, 64, &code, &err);
        proto_get_str (error, "field", "field", false, 0, 64, &field, &err);
        proto_get_str (error, "message", "message", false, 0, 400, &message, &err);
    }
    char reason [768], file [SPOOL_ID_SIZE + 16];
    snprintf (reason, sizeof reason, "code=%.*s\nfield=%.*s\nreason=%.*s\nsource=intake\n"
              "spool_id=%s\n", (int) code.len, code.ptr ? code.ptr : "", (int) field.len,
              field.ptr ? field.ptr : "", (int) message.len, message.ptr ? message.ptr : "", id);
    snprintf (file, sizeof file, "%s.reason", id);
    char to [PATH_MAX];
    snprintf (to, sizeof to, "%s/%s.eml", self->quarantine, id);
    //  The reason first, then the message: quarantine never holds a
    //  message without its reason; replies/ keeps it until it is moved.
    if (spool_file_put (self->quarantine, file, reason, strlen (reason)) || rename (eml, to)) {
        log_warn ("reply_not_quarantined", "spool_id=%s reason=\"%s\"", id, strerror (errno));
        return;
    }
    unlink (meta);
    log_warn ("reply_refused", "spool_id=%s code=%.*s field=%.*s kept=quarantine", id,
              (int) code.len, code.ptr ? code.ptr : "", (int) field.len,
              field.ptr ? field.ptr : "");
}

char *
mail_read_file (const char *path, size_t max, size_t *size)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file)
        return NULL;
    size_t cap = 64 * 1024, len = 0;
    char *data = malloc (cap);
    while (data) {
        if (len == cap) {
            cap *= 2;
            char *bigger = realloc (data, cap);
            if (!bigger) {
                free (data);
                data = NULL;
                break;
            }
            data = bigger;
        }
        size_t want = cap - len;
        if (len + want > max + 1)
            want = max + 1 - len;
        size_t got = fread (data + len, 1, want, file);
        len += got;
        if (got == 0 || len > max)
            break;
    }
    bool failed = ferror (file);
    if (file != stdin)
        fclose (file);
    if (failed) {
        free (data);
        errno = EIO;
        return NULL;
    }
    *size = len;
    return data;
}

/*  mail_evidence.c — an e-mail's attachments to intake, after the
 *  acknowledgement, crash-safe (see mail_evidence.h for the steps and why).
 *
 *  The bytes are not copied out of the message at step 1: the message file
 *  is the one durable copy (and already the thing the parser reads), so
 *  step 2 parses it again with keep_attachments. A 10 MiB message is
 *  parsed twice; mail that carries attachments is a small share of a
 *  complaint office's mail, and nothing else would need a second format.
 *
 *  The parts go through the spool like the submit, so they inherit all of
 *  its guarantees: in new/ until intake answers, resent after a restart,
 *  refused-for-good answers kept in rejected/ for an operator.
 */
#include "mail_evidence.h"
#include "log.h"
#include "request.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _mail_evidence_t {
    char *folder;                   /* DIR/evidence */
    spool_t *spool;
    mail_limits_t limits;
};

mail_evidence_t *
mail_evidence_new (const char *dir, spool_t *spool, const mail_limits_t *limits, char *err,
                   size_t err_size)
{
    assert (dir && spool && limits && err);
    mail_evidence_t *self = (mail_evidence_t *) zmalloc (sizeof *self);
    if (asprintf (&self->folder, "%s/evidence", dir) < 0) {
        free (self);
        return NULL;
    }
    if (mkdir (self->folder, 0700) && errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", self->folder, strerror (errno));
        mail_evidence_destroy (&self);
        return NULL;
    }
    self->spool = spool;
    self->limits = *limits;
    self->limits.keep_attachments = true;
    return self;
}

void
mail_evidence_destroy (mail_evidence_t **self_p)
{
    assert (self_p);
    mail_evidence_t *self = *self_p;
    if (!self)
        return;
    free (self->folder);
    free (self);
    *self_p = NULL;
}

int
mail_evidence_keep (mail_evidence_t *self, const char *spool_id, const void *data, size_t size)
{
    assert (self && spool_id && data);
    char name [SPOOL_ID_SIZE + 8];
    snprintf (name, sizeof name, "%s.eml", spool_id);
    return spool_file_put (self->folder, name, data, size);
}

/* A name intake keeps (evidence_request.c's rule): no control characters,
 * no '/' or '\', at most 255 characters (cut at a character's start),
 * never empty, "." or "..". */
static void
s_clean_name (const char *given, size_t index, char *out, size_t out_size)
{
    size_t len = 0, chars = 0;
    for (const unsigned char *p = (const unsigned char *) given; *p && len + 1 < out_size; p++) {
        bool lead = (*p & 0xC0) != 0x80;
        if (lead && chars == REQUEST_EVIDENCE_NAME_CHARS)
            break;
        chars += lead;
        out [len++] = *p < 0x20 || *p == 0x7F || *p == '/' || *p == '\\' ? '_' : (char) *p;
    }
    //  A character cut by the buffer's end: drop its lead and tail bytes.
    while (len > 0 && ((unsigned char) out [len - 1] & 0x80)) {
        size_t start = len - 1;
        while (start > 0 && ((unsigned char) out [start] & 0xC0) == 0x80)
            start--;
        unsigned char lead = (unsigned char) out [start];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (len - start == need)
            break;
        len = start;
    }
    out [len] = 0;
    if (len == 0 || strcmp (out, ".") == 0 || strcmp (out, "..") == 0)
        snprintf (out, out_size, "attachment-%zu", index);
}

/* type/subtype of RFC 6838's restricted names, else octet-stream. */
static const char *
s_clean_type (const char *given)
{
    const char *slash = given ? strchr (given, '/') : NULL;
    size_t len = given ? strlen (given) : 0;
    bool ok = slash && len >= 3 && len <= REQUEST_EVIDENCE_MAX_TYPE && slash != given
              && slash [1] && isalnum ((unsigned char) given [0])
              && isalnum ((unsigned char) slash [1]);
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum ((unsigned char) given [i]) || strchr ("!#$&-^_.+", given [i])
             || given + i == slash;
    return ok ? given : "application/octet-stream";
}

/* The item's identity at intake: "<ref>#N" (ref: the Message-ID, else the
 * message's hash), within the field's 998 bytes. */
static void
s_source (const char *ref, size_t index, char *out, size_t out_size)
{
    if (strlen (ref) + 24 < REQUEST_EVIDENCE_MAX_SOURCE)
        snprintf (out, out_size, "%s#%zu", ref, index);
    else {
        unsigned char hash [crypto_hash_sha256_BYTES];
        char hex [sizeof hash * 2 + 1];
        crypto_hash_sha256 (hash, (const unsigned char *) ref, strlen (ref));
        sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
        snprintf (out, out_size, "sha256:%s#%zu", hex, index);
    }
}

/* One request into the spool (not yet synced). 0, or -1 (errno). */
static int
s_put (mail_evidence_t *self, msgpack_sbuffer *buf, const evidence_add_t *e)
{
    msgpack_sbuffer_clear (buf);
    evidence_add_pack (buf, e);
    char id [SPOOL_ID_SIZE];
    return spool_put_unsynced (self->spool, buf->data, buf->size, id);
}

/* Every attachment of the message in eml, in parts, into the spool for
 * complaint_no. Returns the parts spooled, or -1 (errno) when one could
 * not be written: then the .eml stays and the whole is done again later. */
static long
s_spool_parts (mail_evidence_t *self, const char *eml, const char *complaint_no)
{
    size_t size = 0;
    zchunk_t *chunk = zchunk_slurp (eml, 0);
    if (!chunk)
        return -1;
    size = zchunk_size (chunk);
    mail_message_t *m = mail_message_parse (zchunk_data (chunk), size, &self->limits);
    zchunk_destroy (&chunk);
    long parts = 0;
    int failed = 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (size_t i = 0; i < m->n_attachments && !failed; i++) {
        const mail_attachment_t *a = &m->attachments [i];
        if (a->size == 0) {
            log_info ("evidence_empty", "attachment=%zu reason=\"no bytes: nothing to keep\"",
                      i + 1);
            continue;
        }
        if (!a->data && !a->over_limit)
            continue;               /* not kept by the parser: cannot happen */
        char name [REQUEST_EVIDENCE_MAX_NAME + 1], source [REQUEST_EVIDENCE_MAX_SOURCE + 1];
        char refused [REQUEST_EVIDENCE_MAX_REFUSED + 1];
        s_clean_name (a->filename ? a->filename : "", i + 1, name, sizeof name);
        s_source (m->ref ? m->ref : "unknown", i + 1, source, sizeof source);
        evidence_add_t e = { .kind = "email_attachment",
                             .name = { name, strlen (name) },
                             .source = { source, strlen (source) },
                             .size = (int64_t) a->size };
        snprintf (e.complaint_no, sizeof e.complaint_no, "%s", complaint_no);
        snprintf (e.media_type, sizeof e.media_type, "%s", s_clean_type (a->content_type));
        snprintf (e.sha256, sizeof e.sha256, "%s", a->sha256);
        if (a->over_limit) {
            //  Over this adapter's own limit: the case records it as not
            //  kept, with why; the bytes stay in the message only.
            snprintf (refused, sizeof refused, "the attachment is %zu bytes, over the mail"
                      " adapter's limit of %zu bytes (--max-attachment)", a->size,
                      self->limits.max_attachment);
            e.refused = (proto_str_t) { refused, strlen (refused) };
            if (s_put (self, &buf, &e))
                failed = errno;
            else
                parts++;
            continue;
        }
        for (size_t off = 0; off < a->size; off += MAIL_EVIDENCE_PART) {
            size_t len = a->size - off < MAIL_EVIDENCE_PART ? a->size - off : MAIL_EVIDENCE_PART;
            e.offset = (int64_t) off;
            e.content = (proto_str_t) { (const char *) a->data + off, len };
            if (s_put (self, &buf, &e)) {
                failed = errno;
                break;
            }
            parts++;
        }
    }
    msgpack_sbuffer_destroy (&buf);
    mail_message_destroy (&m);
    if (!failed && spool_sync (self->spool))
        failed = errno;
    if (failed) {
        errno = failed;
        return -1;
    }
    return parts;
}

size_t
mail_evidence_outcome (mail_evidence_t *self, const char *id, bool accepted,
                       const msgpack_object *reply)
{
    assert (self && id);
    char eml [PATH_MAX];
    snprintf (eml, sizeof eml, "%s/%s.eml", self->folder, id);
    if (access (eml, F_OK) != 0)
        return 0;                   /* no attachments, or done before */
    const msgpack_object *no = reply ? proto_map_get (reply, "complaint_no") : NULL;
    char complaint_no [COMPLAINT_NO_SIZE] = "";
    if (no && no->type == MSGPACK_OBJECT_STR && no->via.str.size < sizeof complaint_no)
        snprintf (complaint_no, sizeof complaint_no, "%.*s", (int) no->via.str.size,
                  no->via.str.ptr);
    if (!accepted || !*complaint_no) {
        char to [PATH_MAX];
        snprintf (to, sizeof to, "%s/%s.rejected", self->folder, id);
        if (rename (eml, to))
            log_warn ("evidence_not_moved", "spool_id=%s reason=\"%s\"", id, strerror (errno));
        log_warn ("evidence_not_sent", "spool_id=%s reason=%s kept=evidence/%s.rejected", id,
                  accepted ? "no_complaint_no" : "entry_refused", id);
        return 0;
    }
    long parts = s_spool_parts (self, eml, complaint_no);
    if (parts < 0) {
        //  Left in evidence/: the next start (or the next outcome) tries again.
        log_warn ("evidence_not_spooled", "spool_id=%s complaint_no=%s reason=\"%s\"", id,
                  complaint_no, strerror (errno));
        return 0;
    }
    //  Only after the parts are durable: a crash before this line spools
    //  them again, and intake answers the copies as duplicates.
    unlink (eml);
    log_info ("evidence_spooled", "spool_id=%s complaint_no=%s parts=%ld", id, complaint_no,
              parts);
    return (size_t) parts;
}

size_t
mail_evidence_resume (mail_evidence_t *self)
{
    assert (self);
    zlist_t *names = spool_names (self->folder, 100000);
    size_t parts = 0;
    for (char *name = (char *) zlist_first (names); name; name = (char *) zlist_next (names)) {
        size_t len = strlen (name);
        if (len < 5 || strcmp (name + len - 4, ".eml") != 0 || len - 4 >= SPOOL_ID_SIZE)
            continue;
        char id [SPOOL_ID_SIZE];
        snprintf (id, sizeof id, "%.*s", (int) (len - 4), name);
        bool rejected = false;
        zchunk_t *answer = spool_answer (self->spool, id, &rejected);
        if (!answer)
            continue;               /* still in new/: its outcome will come */
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        proto_error_t err = { 0 };
        const msgpack_object *reply = NULL;
        if (proto_unpack (zchunk_data (answer), zchunk_size (answer), 1024 * 1024,
                          PROTO_MAX_DEPTH, &msg, &err) == 0
        &&  msg.data.type == MSGPACK_OBJECT_MAP)
            reply = &msg.data;
        parts += mail_evidence_outcome (self, id, !rejected && reply, reply);
        msgpack_unpacked_destroy (&msg);
        zchunk_destroy (&answer);
    }
    zlist_destroy (&names);
    if (parts)
        log_info ("evidence_resumed", "parts=%zu", parts);
    return parts;
}

/* ---- self-test ------------------------------------------------------------ */

#include <sys/stat.h>

static void
s_check (bool verbose, int *passed, int *failed, bool ok, const char *what)
{
    if (ok)
        (*passed)++;
    else
        (*failed)++;
    if (verbose || !ok)
        printf (" * mail_evidence: %s: %s\n", what, ok ? "ok" : "FAILED");
}

void
mail_evidence_test (bool verbose, int *passed, int *failed)
{
    char name [REQUEST_EVIDENCE_MAX_NAME + 1];
    s_clean_name ("../账单.pdf", 1, name, sizeof name);
    s_check (verbose, passed, failed, strcmp (name, ".._账单.pdf") == 0, "name: no path");
    s_clean_name ("", 3, name, sizeof name);
    s_check (verbose, passed, failed, strcmp (name, "attachment-3") == 0, "name: none given");
    char longer [1200] = "";
    for (int i = 0; i < 300; i++)
        strcat (longer, "票");
    s_clean_name (longer, 1, name, sizeof name);
    s_check (verbose, passed, failed, strlen (name) == 255 * 3, "name: 255 characters");
    s_check (verbose, passed, failed, strcmp (s_clean_type ("application/pdf"),
             "application/pdf") == 0 && strcmp (s_clean_type ("pdf"),
             "application/octet-stream") == 0, "media type");

    //  A message with two attachments, one over a part: kept, then spooled
    //  in parts once its submit is answered.
    char dir [] = "/tmp/mail_evidence_test_XXXXXX";
    char err [256], spool_dir [PATH_MAX];
    bool made = mkdtemp (dir) != NULL;
    snprintf (spool_dir, sizeof spool_dir, "%s/spool", dir);
    spool_t *spool = made ? spool_new (spool_dir, err, sizeof err) : NULL;
    mail_limits_t limits = mail_limits_default ();
    mail_evidence_t *self = spool ? mail_evidence_new (dir, spool, &limits, err, sizeof err)
                                  : NULL;
    s_check (verbose, passed, failed, self != NULL, "a spool and evidence/ in a temporary folder");
    if (!self) {
        spool_destroy (&spool);
        return;
    }
    size_t big = MAIL_EVIDENCE_PART + 100;
    char *b64 = malloc (big * 2);
    char *raw = malloc (big);
    memset (raw, 'z', big);
    sodium_bin2base64 (b64, big * 2, (unsigned char *) raw, big, sodium_base64_VARIANT_ORIGINAL);
    free (raw);
    char *mail = malloc (big * 2 + 1024);
    sprintf (mail, "From: a@example.com\nTo: b@example.com\nMessage-ID: <m1@example.com>\n"
             "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
             "--b\nContent-Type: text/plain\n\nwords\n--b\nContent-Type: application/pdf\n"
             "Content-Disposition: attachment; filename=a.pdf\n\n%%PDF-1.4\n--b\n"
             "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
             "Content-Disposition: attachment; filename=big.bin\n\n%s\n--b--\n", b64);
    free (b64);
    char id [SPOOL_ID_SIZE];
    s_check (verbose, passed, failed, spool_put (spool, "s", 1, id) == 0
             && mail_evidence_keep (self, id, mail, strlen (mail)) == 0, "kept");
    free (mail);
    //  Not answered yet: resume leaves it.
    s_check (verbose, passed, failed, mail_evidence_resume (self) == 0, "resume waits");
    //  Answered (as if before a crash): resume spools 1 + 2 parts.
    msgpack_sbuffer reply;
    msgpack_sbuffer_init (&reply);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_cstr (&pk, "complaint_no", "202611230000427");
    int done = spool_done (spool, id, reply.data, reply.size);
    msgpack_sbuffer_destroy (&reply);
    s_check (verbose, passed, failed, done == 0, "the submit answered");
    s_check (verbose, passed, failed, mail_evidence_resume (self) == 3 && spool_count (spool) == 3,
             "resume after the answer: every part spooled");
    s_check (verbose, passed, failed, mail_evidence_resume (self) == 0, "once");
    //  Each part is a request intake decodes, and covers its item.
    zlist_t *ids = spool_pending (spool, 10);
    int64_t covered = 0;
    bool decoded = true;
    for (char *e = (char *) zlist_first (ids); e; e = (char *) zlist_next (ids)) {
        zchunk_t *c = spool_read (spool, e);
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        request_t req;
        proto_error_t perr = { 0 };
        if (request_decode (zchunk_data (c), zchunk_size (c), &msg, &req, &perr) == 0
        &&  req.op == REQUEST_EVIDENCE_ADD && req.u.evidence_add.source.ptr) {
            if (proto_str_eq (req.u.evidence_add.source, "m1@example.com#2"))
                covered += (int64_t) req.u.evidence_add.content.len;
        }
        else
            decoded = false;
        msgpack_unpacked_destroy (&msg);
        zchunk_destroy (&c);
    }
    zlist_destroy (&ids);
    s_check (verbose, passed, failed, decoded && covered == (int64_t) big,
             "parts decode as evidence_add and cover the item");

    //  Over the adapter's own limit: one request, refused, no bytes.
    mail_evidence_destroy (&self);
    limits.max_attachment = 1000;
    self = mail_evidence_new (dir, spool, &limits, err, sizeof err);
    ids = spool_pending (spool, 10);
    for (char *e = (char *) zlist_first (ids); e; e = (char *) zlist_next (ids))
        spool_done (spool, e, NULL, 0);
    zlist_destroy (&ids);
    char *small = malloc (big * 2 + 1024);
    sprintf (small, "From: a@example.com\nTo: b@example.com\nMessage-ID: <m2@example.com>\n"
             "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
             "--b\nContent-Type: text/plain\n\nwords\n--b\nContent-Type: application/pdf\n"
             "Content-Disposition: attachment; filename=a.pdf\n\n%%PDF-1.4\n--b\n"
             "Content-Type: application/octet-stream\n"
             "Content-Disposition: attachment; filename=big.bin\n\n%02000d\n--b--\n", 0);
    char id2 [SPOOL_ID_SIZE];
    int kept = spool_put (spool, "s", 1, id2) == 0
               && mail_evidence_keep (self, id2, small, strlen (small)) == 0;
    free (small);
    msgpack_sbuffer_init (&reply);
    msgpack_packer_init (&pk, &reply, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    proto_pack_kv_bool (&pk, "ok", true);
    proto_pack_kv_cstr (&pk, "complaint_no", "202611230000427");
    kept = kept && spool_done (spool, id2, reply.data, reply.size) == 0;
    msgpack_sbuffer_destroy (&reply);
    size_t sent = kept ? mail_evidence_resume (self) : 0;
    int refusals = 0;
    ids = spool_pending (spool, 10);
    for (char *e = (char *) zlist_first (ids); e; e = (char *) zlist_next (ids)) {
        zchunk_t *c = spool_read (spool, e);
        msgpack_unpacked msg;
        msgpack_unpacked_init (&msg);
        request_t req;
        proto_error_t perr = { 0 };
        if (c && request_decode (zchunk_data (c), zchunk_size (c), &msg, &req, &perr) == 0
        &&  req.op == REQUEST_EVIDENCE_ADD && req.u.evidence_add.refused.ptr
        &&  !req.u.evidence_add.content.ptr && req.u.evidence_add.size == 2000)
            refusals++;
        msgpack_unpacked_destroy (&msg);
        zchunk_destroy (&c);
    }
    zlist_destroy (&ids);
    s_check (verbose, passed, failed, sent == 2 && refusals == 1,
             "over the adapter's limit: one refusal, no bytes; the other attachment sent");
    mail_evidence_destroy (&self);
    mail_evidence_destroy (&self);
    spool_destroy (&spool);
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
}

/*  main.c — the e-mail channel adapter (issue 14, section 3), first part:
 *  the parser as a tool.
 *
 *      mail --parse FILE       read one RFC 5322 message (FILE "-": stdin)
 *      mail --selftest [--verbose]
 *
 *  `--parse` prints one JSON object on stdout: the verdict (kind, code,
 *  field, reason), the headers read, the body text, the attachments as
 *  evidence metadata, and for a new complaint the intake submit it would
 *  send (as JSON). Exit status: 0 for a complaint, a reply or automatic
 *  mail; 3 for an unparsable message (its reason also on stderr: the
 *  daemon quarantines those); 1 when the file cannot be read; 2 for bad
 *  flags. The output holds the customer's name, address and words: it is
 *  for an operator looking at a message already in their hands, never a
 *  log (common/privacy.h).
 *
 *  Everything about reading a message is mail_message.c's; this file only
 *  reads the bytes and prints. The limits are flags (and environment
 *  variables) so the daemon and the tool apply the same ones.
 *
 *  What comes next (a later change, built on mail_message_parse): the
 *  daemon loop — watch the Maildir var/mail/inbox and listen for LMTP on
 *  loopback, write each accepted message to the spool (fsync) before
 *  answering the MTA, then submit with the Lazy Pirate pattern (the
 *  Message-ID is the ref), record replies on their case, drop automatic
 *  mail, and move unparsable mail to a quarantine folder with the reason.
 */
#include "mail_message.h"
#include "daemon.h"
#include "msgpack_json.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static const daemon_opt_t s_opts [] = {
    DAEMON_STR ("parse", NULL, NULL, "FILE",
                "read one message (\"-\": stdin), print the result as JSON and exit"),
    DAEMON_LONG ("now", NULL, 0, 0, 4102444800000L,
                 "with --parse: the time of receipt in unix ms (default: the clock); "
                 "Date: is used as received_at only within 7 days before it"),
    DAEMON_LONG ("max-message", "COMPLAINTS_MAIL_MAX_MESSAGE", 10485760, 1024, 104857600,
                 "bytes of one whole message"),
    DAEMON_LONG ("max-attachment", "COMPLAINTS_MAIL_MAX_ATTACHMENT", 8388608, 0, 104857600,
                 "decoded bytes of one attachment"),
    DAEMON_LONG ("max-attachments", "COMPLAINTS_MAIL_MAX_ATTACHMENTS", 20, 0, 1000,
                 "attachments in one message"),
    DAEMON_LONG ("max-parts", "COMPLAINTS_MAIL_MAX_PARTS", 64, 1, 10000,
                 "MIME parts in one message, containers included"),
    DAEMON_LONG ("max-depth", "COMPLAINTS_MAIL_MAX_DEPTH", 8, 1, 64,
                 "nesting of multiparts and attached messages"),
    DAEMON_BOOL ("selftest", NULL, "run the self-tests and exit"),
    DAEMON_BOOL ("verbose", NULL, "with --selftest: one line per check"),
    DAEMON_END
};

//  The whole input, at most max + 1 bytes: one byte over is enough for the
//  parser to refuse it by size without reading a huge file to its end.
static char *
s_read_input (const char *path, size_t max, size_t *size)
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
        return NULL;
    }
    *size = len;
    return data;
}

static json_t *
s_str_or_null (const char *s)
{
    return s ? json_string (s) : json_null ();
}

static json_t *
s_to_json (const mail_message_t *m, int64_t now_ms)
{
    json_t *out = json_object ();
    json_object_set_new (out, "kind", json_string (mail_message_kind_name (m->kind)));
    json_object_set_new (out, "code", json_string (m->code ? m->code : ""));
    json_object_set_new (out, "field", json_string (m->field));
    json_object_set_new (out, "reason", json_string (m->reason));
    json_object_set_new (out, "ref", s_str_or_null (m->ref));
    json_object_set_new (out, "message_id", s_str_or_null (m->message_id));
    json_t *from = json_object ();
    json_object_set_new (from, "name", s_str_or_null (m->from_name));
    json_object_set_new (from, "address", s_str_or_null (m->from_addr));
    json_object_set_new (out, "from", from);
    json_object_set_new (out, "to", s_str_or_null (m->to));
    json_object_set_new (out, "date_ms", m->has_date ? json_integer (m->date_ms) : json_null ());
    json_object_set_new (out, "subject", s_str_or_null (m->subject));
    json_object_set_new (out, "in_reply_to", s_str_or_null (m->in_reply_to));
    json_t *refs = json_array ();
    for (size_t i = 0; i < m->n_references; i++)
        json_array_append_new (refs, json_string (m->references [i]));
    json_object_set_new (out, "references", refs);
    json_object_set_new (out, "body", s_str_or_null (m->body));
    json_object_set_new (out, "body_from_html", json_boolean (m->body_from_html));
    json_object_set_new (out, "body_charset", s_str_or_null (m->body_charset));
    json_object_set_new (out, "parts", json_integer (m->n_parts));
    json_t *attachments = json_array ();
    for (size_t i = 0; i < m->n_attachments; i++) {
        const mail_attachment_t *a = &m->attachments [i];
        json_array_append_new (attachments,
            json_pack ("{s:s, s:s, s:I, s:s}", "filename", a->filename,
                       "content_type", a->content_type, "size", (json_int_t) a->size,
                       "sha256", a->sha256));
    }
    json_object_set_new (out, "attachments", attachments);
    json_object_set_new (out, "complaint_no",
                         m->kind == MAIL_REPLY && *m->complaint_no ? json_string (m->complaint_no)
                                                                   : json_null ());
    json_object_set_new (out, "replied_message_id", s_str_or_null (m->replied_id));
    json_t *submit = json_null ();
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (mail_message_submit_pack (m, now_ms, &buf) == 0) {
        proto_error_t err;
        json_t *decoded = msgpack_json_decode (buf.data, buf.size, PROTO_MAX_MESSAGE,
                                             PROTO_MAX_DEPTH, &err);
        if (decoded) {
            json_decref (submit);
            submit = decoded;
        }
    }
    msgpack_sbuffer_destroy (&buf);
    json_object_set_new (out, "submit", submit);
    return out;
}

static int
s_parse_file (daemon_t *daemon, const char *path)
{
    mail_limits_t limits = mail_limits_default ();
    limits.max_message     = (size_t) daemon_long (daemon, "max-message");
    limits.max_attachment  = (size_t) daemon_long (daemon, "max-attachment");
    limits.max_attachments = (int) daemon_long (daemon, "max-attachments");
    limits.max_parts       = (int) daemon_long (daemon, "max-parts");
    limits.max_depth       = (int) daemon_long (daemon, "max-depth");
    int64_t now_ms = daemon_long (daemon, "now");
    if (now_ms == 0) {
        struct timeval tv;
        gettimeofday (&tv, NULL);
        now_ms = (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
    }
    size_t size = 0;
    char *data = s_read_input (path, limits.max_message, &size);
    if (!data) {
        fprintf (stderr, "mail: cannot read %s: %s\n", path, strerror (errno));
        return 1;
    }
    mail_message_t *m = mail_message_parse (data, size, &limits);
    free (data);
    json_t *out = s_to_json (m, now_ms);
    json_dumpf (out, stdout, JSON_INDENT (2));
    printf ("\n");
    json_decref (out);
    int rc = 0;
    if (m->kind == MAIL_UNPARSABLE) {
        fprintf (stderr, "mail: %s: unparsable: %s (%s): %s\n", path, m->code, m->field, m->reason);
        rc = 3;
    }
    mail_message_destroy (&m);
    return rc;
}

int
main (int argc, char **argv)
{
    daemon_t *daemon = daemon_new ("mail", s_opts,
                                   "mail --parse FILE|- [--now MS] [--max-... N]\n"
                                   "mail --selftest [--verbose]");
    int rc = daemon_parse (daemon, argc, argv);
    if (rc) {
        daemon_destroy (&daemon);
        return rc > 0 ? 0 : 2;
    }
    g_mime_init ();
    if (daemon_bool (daemon, "selftest")) {
        int passed = 0, failed = 0;
        mail_message_test (daemon_bool (daemon, "verbose"), &passed, &failed);
        printf ("mail selftest: %d passed, %d failed\n", passed, failed);
        rc = failed ? 1 : 0;
    }
    else if (daemon_str (daemon, "parse"))
        rc = s_parse_file (daemon, daemon_str (daemon, "parse"));
    else {
        //  The daemon loop is the next change; say so rather than idle.
        rc = daemon_refuse (daemon, "nothing to do: give --parse FILE (the daemon loop is not "
                                    "built yet)") ? 2 : 0;
    }
    g_mime_shutdown ();
    daemon_destroy (&daemon);
    return rc;
}

/*  evidence_cmd.c — `complaintctl evidence add|get`: a case's evidence
 *  (intake `evidence_add`, `evidence_get`; PROTOCOL.md "evidence").
 *
 *      evidence add NO FILE [--kind document] [--type MEDIA/TYPE] [--name NAME]
 *      evidence add NO --kind recording_ref --reference REF --name NAME [--type audio/mpeg]
 *      evidence get NO SEQ > FILE
 *
 *  Staff only: COMPLAINTS_TOKEN is required, and intake decides who may
 *  (the note's rule: someone whose scope holds the case). The file is read
 *  whole, bounded at twice the per-item limit so a wrong file is refused
 *  here; intake refuses anything over the limit naming the field. The media
 *  type, when not given, is guessed from the file's extension (a short
 *  table; else application/octet-stream). `get` writes the bytes to stdout
 *  and nothing else (a recording_ref: its reference and a newline).
 */
#include "ctl.h"
#include "curve.h"
#include "cfg.h"
#include "evidence_request.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl evidence add COMPLAINT_NO FILE [--kind document] [--type T]\n"
        "                                 [--name NAME]\n"
        "       complaintctl evidence add COMPLAINT_NO --kind recording_ref --reference REF\n"
        "                                 --name NAME [--type audio/mpeg]\n"
        "       complaintctl evidence get COMPLAINT_NO SEQ > FILE\n"
        "\n"
        "Hands a document (at most %d bytes; a case holds at most 10 MiB) or a call\n"
        "recording's reference in on a case, or writes one item's bytes to stdout.\n"
        "`complaintctl show` lists a case's evidence. Needs %s.\n"
        "\n"
        "  --kind K           document (default) or recording_ref\n"
        "  --type T           media type (default: from the file's extension)\n"
        "  --name NAME        the name kept (default: the file's base name)\n"
        "  --reference REF    the recording system's id or URI (recording_ref)\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        REQUEST_EVIDENCE_MAX_BYTES, STAFF_TOKEN_ENV, CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

static const char *
s_guess_type (const char *name)
{
    static const char *const table [] = {
        "pdf", "application/pdf", "jpg", "image/jpeg", "jpeg", "image/jpeg",
        "png", "image/png", "gif", "image/gif", "txt", "text/plain", "eml", "message/rfc822",
        "mp3", "audio/mpeg", "wav", "audio/wav", "doc", "application/msword",
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", NULL
    };
    const char *dot = strrchr (name, '.');
    for (size_t i = 0; dot && table [i]; i += 2)
        if (strcasecmp (dot + 1, table [i]) == 0)
            return table [i + 1];
    return "application/octet-stream";
}

/* The whole file, at most `max` bytes; NULL (message printed) otherwise. */
static char *
s_read_file (const char *path, size_t max, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "complaintctl evidence: cannot read %s\n", path);
        return NULL;
    }
    char *data = malloc (max + 1);
    size_t n = data ? fread (data, 1, max + 1, file) : 0;
    bool failed = !data || ferror (file);
    fclose (file);
    if (failed || n > max || n == 0) {
        fprintf (stderr, "complaintctl evidence: %s is %s\n", path,
                 failed ? "unreadable" : n == 0 ? "empty" : "too large to be evidence");
        free (data);
        return NULL;
    }
    *size = n;
    return data;
}

static int
s_add (const ctl_intake_call_t *call, const char *number, const char *path, const char *kind,
       const char *type, const char *name, const char *reference)
{
    evidence_add_t e = { .token = { call->token, strlen (call->token) } };
    snprintf (e.complaint_no, sizeof e.complaint_no, "%s", number);
    snprintf (e.kind, sizeof e.kind, "%s", kind);
    char *data = NULL;
    if (path) {
        size_t size = 0;
        data = s_read_file (path, 2 * REQUEST_EVIDENCE_MAX_BYTES, &size);
        if (!data)
            return CTL_EXIT_USAGE;
        e.content = (proto_str_t) { data, size };
        if (!name) {
            const char *slash = strrchr (path, '/');
            name = slash ? slash + 1 : path;
        }
    }
    if (reference)
        e.reference = (proto_str_t) { reference, strlen (reference) };
    e.name = (proto_str_t) { name, strlen (name) };
    snprintf (e.media_type, sizeof e.media_type, "%s", type ? type : s_guess_type (name));
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    evidence_add_pack (&buf, &e);
    free (data);
    json_t *reply = NULL;
    int rc = ctl_intake_call ("evidence add", call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    printf ("evidence #%" JSON_INTEGER_FORMAT " on %s: %" JSON_INTEGER_FORMAT
                " bytes, sha256 %s%s\n",
                json_integer_value (json_object_get (reply, "seq")), number,
                json_integer_value (json_object_get (reply, "size")),
                json_string_value (json_object_get (reply, "sha256")),
                json_is_true (json_object_get (reply, "duplicate"))
                ? " (already kept: nothing stored again)" : "");
    json_decref (reply);
    return rc;
}

static int
s_get (const ctl_intake_call_t *call, const char *number, const char *seq_text)
{
    char *end = NULL;
    long long seq = strtoll (seq_text, &end, 10);
    if (*end || seq < 1 || seq > INT32_MAX) {
        fprintf (stderr, "complaintctl evidence get: SEQ must be a number from 1\n");
        return CTL_EXIT_USAGE;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    evidence_get_pack (&buf, number, call->token, seq);
    zframe_t *frame = NULL;
    msgpack_unpacked msg;
    msgpack_unpacked_init (&msg);
    //  The bytes come back as a bin: read as msgpack, not through JSON.
    int rc = ctl_request (CURVE_INTAKE, call->endpoint, &buf, call->timeout_ms, &frame, &msg);
    msgpack_sbuffer_destroy (&buf);
    if (rc == CTL_EXIT_OK) {
        const msgpack_object *content = proto_map_get (&msg.data, "content");
        const msgpack_object *ref = proto_map_get (&msg.data, "reference");
        if (!ctl_reply_ok (&msg.data)) {
            ctl_reply_print_error ("evidence get", &msg.data);
            rc = CTL_EXIT_REPLY;
        }
        else
        if (content && content->type == MSGPACK_OBJECT_BIN)
            rc = fwrite (content->via.bin.ptr, 1, content->via.bin.size, stdout)
                 == content->via.bin.size ? CTL_EXIT_OK : CTL_EXIT_USAGE;
        else
        if (ref && ref->type == MSGPACK_OBJECT_STR)
            printf ("%.*s\n", (int) ref->via.str.size, ref->via.str.ptr);
        else {
            fprintf (stderr, "complaintctl evidence get: the reply holds no content\n");
            rc = CTL_EXIT_REPLY;
        }
        fflush (stdout);
    }
    msgpack_unpacked_destroy (&msg);
    zframe_destroy (&frame);
    return rc;
}

int
ctl_evidence (int argc, char **argv)
{
    enum { O_KIND = 256, O_TYPE, O_NAME, O_REFERENCE, O_INTAKE, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "kind", required_argument, NULL, O_KIND },
        { "type", required_argument, NULL, O_TYPE },
        { "name", required_argument, NULL, O_NAME },
        { "reference", required_argument, NULL, O_REFERENCE },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *kind = "document", *type = NULL, *name = NULL, *reference = NULL;
    const char *endpoint = NULL, *timeout_text = NULL;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_KIND: kind = optarg; break;
            case O_TYPE: type = optarg; break;
            case O_NAME: name = optarg; break;
            case O_REFERENCE: reference = optarg; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl evidence --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    int left = argc - optind;
    const char *verb = left > 0 ? argv [optind] : "";
    bool add = strcmp (verb, "add") == 0, get = strcmp (verb, "get") == 0;
    bool recording = strcmp (kind, "recording_ref") == 0;
    if ((!add && !get) || (get && left != 3)
    ||  (add && (recording ? left != 2 || !reference || !name : left != 3 || reference))) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;         /* issue 16 follow-up (adapters2) */
    int rc = ctl_intake_call_begin ("evidence", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (get)
        return s_get (&call, argv [optind + 1], argv [optind + 2]);
    return s_add (&call, argv [optind + 1], recording ? NULL : argv [optind + 2], kind, type,
                  name, reference);
}

/*  options.c — small helpers the subcommands share for settings and output.
 *
 *  Each subcommand parses its own flags with getopt_long (so a misspelt flag
 *  is a usage error, exit 2, not silently ignored); what it does not get from
 *  a flag it takes from the environment (12-factor), then from the default
 *  in common/cfg.h. Output is JSON through jansson, flushed after every
 *  value so `complaintctl tail | consumer` sees each event as it happens.
 */
#include "ctl.h"
#include "cfg.h"
#include "curve.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "local_time.h"
#include "staff_token.h"

const char *
ctl_setting (const char *flag_value, const char *env, const char *def)
{
    if (flag_value)
        return flag_value;
    const char *value = env ? getenv (env) : NULL;
    return value && *value ? value : def;
}

//  The store's conninfo for the commands that read it (clock, notifications,
//  optout): --pg, else COMPLAINTS_CTL_PG, else COMPLAINTS_PG, else "" (libpq's
//  PG* variables). The tool has a variable of its own, as each daemon has,
//  because it logs in as its own role (complaints_ctl, docs/security.md):
//  one host's environment holds every service's conninfo side by side.
const char *
ctl_pg_conninfo (const char *flag_value)
{
    const char *own = ctl_setting (flag_value, "COMPLAINTS_CTL_PG", NULL);
    return own ? own : ctl_setting (NULL, CFG_ENV_PG, "");
}

int
ctl_parse_long (const char *flag, const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol (text, &end, 10);
    if (errno || end == text || *end || n < min || n > max) {
        fprintf (stderr, "complaintctl: %s needs a whole number between %ld and %ld, not \"%s\"\n",
                 flag, min, max, text);
        return -1;
    }
    *out = n;
    return 0;
}

int
ctl_timeout_ms (const char *flag_value, long *timeout_ms)
{
    const char *text = ctl_setting (flag_value, "COMPLAINTS_TIMEOUT_MS", NULL);
    *timeout_ms = CTL_TIMEOUT_MS;
    return text ? ctl_parse_long ("--timeout-ms", text, 1, 3600 * 1000, timeout_ms) : 0;
}

void
ctl_print_json (const json_t *json, bool pretty)
{
    size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER
                 | (pretty ? JSON_INDENT (2) : JSON_COMPACT);
    json_dumpf (json, stdout, flags);
    fputc ('\n', stdout);
    fflush (stdout);
}

const char *
ctl_staff_token (const char *what, bool required, bool *bad)
{
    const char *token = getenv (STAFF_TOKEN_ENV);
    *bad = false;
    if (!token || !*token) {
        if (required)
            fprintf (stderr, "complaintctl %s: set %s to your staff token "
                     "(issued by `complaintctl token new STAFF_ID`)\n", what, STAFF_TOKEN_ENV);
        return NULL;
    }
    if (!staff_token_valid (token, strlen (token))) {
        fprintf (stderr, "complaintctl %s: %s is not a staff token "
                 "(64 lowercase hexadecimal characters)\n", what, STAFF_TOKEN_ENV);
        *bad = true;
        return NULL;
    }
    return token;
}

int
ctl_intake_call_begin (const char *what, const char *endpoint, const char *timeout_text,
                       ctl_intake_call_t *call)
{
    bool bad;
    call->token = ctl_staff_token (what, true, &bad);
    if (bad || !call->token)
        return CTL_EXIT_USAGE;
    long timeout_ms;
    if (ctl_timeout_ms (timeout_text, &timeout_ms))
        return CTL_EXIT_USAGE;
    call->timeout_ms = (int) timeout_ms;
    call->endpoint = ctl_setting (endpoint, CFG_ENV_INTAKE, CFG_INTAKE_ENDPOINT);
    return CTL_EXIT_OK;
}

int
ctl_intake_call (const char *what, const ctl_intake_call_t *call, const msgpack_sbuffer *buf,
                 json_t **reply)
{
    *reply = NULL;
    int rc = ctl_request_json (CURVE_INTAKE, call->endpoint, buf, call->timeout_ms, reply);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (ctl_json_ok (*reply))
        return CTL_EXIT_OK;
    rc = ctl_reply_json_error (what, *reply);
    json_decref (*reply);
    *reply = NULL;
    return rc;
}

const char *
ctl_bank_zone (void)
{
    const char *zone = getenv (CFG_ENV_TIMEZONE);
    return zone && *zone ? zone : CFG_TIMEZONE;
}


const char *
ctl_time_in (int64_t ms, const char *zone, char *buf, size_t size)
{
    char *saved = local_time_zone_enter (zone ? zone : ctl_bank_zone ());
    local_time_format (ms, buf, size);
    local_time_zone_leave (saved);
    return buf;
}


//  "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM") is a wall-clock time in the
//  zone; a date alone is the end of that day there (a reply due "by
//  2026-12-20" is due until 23:59:59.999 of it). mktime resolves the
//  wall-clock time with the zone's rules, daylight saving included.
int
ctl_time_parse (const char *flag, const char *text, const char *zone, int64_t *ms)
{
    int y, mo, d, h = 23, mi = 59, n = 0;
    char sep = 0;
    bool date_only = sscanf (text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && text [n] == 0;
    bool ok = date_only
           || (sscanf (text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) == 6
               && (sep == ' ' || sep == 'T') && text [n] == 0);
    if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || y < 2000
    ||  y > 2099) {
        fprintf (stderr, "complaintctl: %s must be YYYY-MM-DD or \"YYYY-MM-DD HH:MM\" "
                 "(in %s), not \"%s\"\n", flag, zone ? zone : ctl_bank_zone (), text);
        return -1;
    }
    char *saved = local_time_zone_enter (zone ? zone : ctl_bank_zone ());
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = date_only ? 59 : 0, .tm_isdst = -1 };
    time_t secs = mktime (&tm);
    local_time_zone_leave (saved);
    *ms = (int64_t) secs * 1000 + (date_only ? 999 : 0);
    return 0;
}

/* issue 16 (i16-mailev): the zone a case's times are shown in (its
 * calendar's, case_zone.c); NULL: the bank's. */
static const char *s_shown_zone;

const char *
ctl_show_zone (const char *zone)
{
    s_shown_zone = zone;
    return zone ? zone : ctl_bank_zone ();
}

const char *
ctl_shown_zone (void)
{
    return s_shown_zone;
}

static const char *
s_format_json (const json_t *value, bool deadline, char *buf, size_t size)
{
    if (json_is_string (value))
        return json_string_value (value);
    if (!json_is_integer (value) && !json_is_real (value))
        return "-";
    char *saved = local_time_zone_enter (s_shown_zone ? s_shown_zone : ctl_bank_zone ());
    int64_t ms = (int64_t) json_number_value (value);
    if (deadline)
        local_time_format_deadline (ms, buf, size);
    else
        local_time_format (ms, buf, size);
    local_time_zone_leave (saved);
    return buf;
}

const char *
ctl_format_time (const json_t *value, char *buf, size_t size)
{
    return s_format_json (value, false, buf, size);
}

const char *
ctl_format_deadline (const json_t *value, char *buf, size_t size)
{
    return s_format_json (value, true, buf, size);
}

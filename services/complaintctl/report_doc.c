/*  report_doc.c — `complaintctl report --format html|pdf --out FILE`: the
 *  bulletin as a document people read, fetched from the analytics
 *  daemon's HTTP side (docs/analytics.md "Bulletin").
 *
 *  The document is made in one place, the daemon (services/analytics/
 *  dashboard.c): the same charts as the dashboard, the same small-cell
 *  rules as the text report. This command only asks for it:
 *    html  GET /bulletin?... with libcurl, checked (200, text/html) and
 *          written to FILE (through FILE.tmp and a rename: never half a file);
 *    pdf   the same GET first (so a bad parameter is the daemon's named
 *          error, not a PDF of an error page), then headless Chromium
 *          prints that URL to FILE (`chromium --headless --no-sandbox
 *          --print-to-pdf=FILE URL`, A4 as the page's @page says, no
 *          header or footer), with a private, throw-away profile folder.
 *  Chromium is COMPLAINTS_CHROMIUM (default "chromium", from PATH).
 */
#include "ctl.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define S_MAX_DOCUMENT  (16 * 1024 * 1024)

typedef struct {
    char *data;
    size_t size;
} s_buffer_t;

static size_t
s_write (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_buffer_t *buf = (s_buffer_t *) arg;
    size_t n = size * nmemb;
    if (buf->size + n > S_MAX_DOCUMENT)
        return 0;                       /* bounded: curl fails the transfer */
    char *grown = (char *) realloc (buf->data, buf->size + n + 1);
    if (!grown)
        return 0;
    memcpy (grown + buf->size, ptr, n);
    buf->data = grown;
    buf->size += n;
    buf->data [buf->size] = 0;
    return n;
}

/*  GET url into buf. CTL_EXIT_OK on 200 text/html; the daemon's own error
 *  text on stderr otherwise. */
static int
s_fetch (const char *url, long timeout_ms, s_buffer_t *buf)
{
    CURL *curl = curl_easy_init ();
    if (!curl)
        return CTL_EXIT_UNREACHABLE;
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform (curl);
    long status = 0;
    char *type = NULL;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo (curl, CURLINFO_CONTENT_TYPE, &type);
    bool html = type && strncmp (type, "text/html", 9) == 0;
    curl_easy_cleanup (curl);
    if (rc != CURLE_OK) {
        fprintf (stderr, "complaintctl report: %s: %s\n", url, curl_easy_strerror (rc));
        return CTL_EXIT_UNREACHABLE;
    }
    if (status != 200 || !html) {
        fprintf (stderr, "complaintctl report: %s answered %ld: %s", url, status,
                 buf->data ? buf->data : "\n");
        return status == 503 ? CTL_EXIT_UNREACHABLE : CTL_EXIT_REPLY;
    }
    return CTL_EXIT_OK;
}

static int
s_write_file (const char *path, const s_buffer_t *buf)
{
    char tmp [4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *file = fopen (tmp, "wb");
    if (!file || fwrite (buf->data, 1, buf->size, file) != buf->size || fclose (file) != 0
    ||  rename (tmp, path) != 0) {
        fprintf (stderr, "complaintctl report: cannot write %s: %s\n", path, strerror (errno));
        unlink (tmp);
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

/*  chromium --headless --no-sandbox --print-to-pdf=OUT URL, waited for. */
static int
s_print_pdf (const char *url, const char *path, long timeout_ms)
{
    const char *chromium = getenv ("COMPLAINTS_CHROMIUM");
    if (!chromium || !*chromium)
        chromium = "chromium";
    char profile [] = "/tmp/complaintctl-chromium-XXXXXX";
    if (!mkdtemp (profile)) {
        fprintf (stderr, "complaintctl report: cannot make a profile folder: %s\n",
                 strerror (errno));
        return CTL_EXIT_USAGE;
    }
    char tmp [4096], pdf_flag [4200], profile_flag [128];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    snprintf (pdf_flag, sizeof pdf_flag, "--print-to-pdf=%s", tmp);
    snprintf (profile_flag, sizeof profile_flag, "--user-data-dir=%s", profile);
    char *argv [] = { (char *) chromium, (char *) "--headless", (char *) "--no-sandbox",
                      (char *) "--disable-gpu", (char *) "--no-pdf-header-footer",
                      (char *) "--no-first-run", profile_flag, pdf_flag, (char *) url, NULL };
    unlink (tmp);
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    //  Chromium talks a lot on stderr; keep ours for our own errors.
    posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp (&pid, chromium, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    //  A browser that hangs is stopped: it gets timeout_ms, and at least a
    //  minute (starting Chromium on a busy machine takes seconds).
    int status = 0;
    int64_t deadline = zclock_mono () + (timeout_ms > 60000 ? timeout_ms : 60000);
    bool killed = false;
    while (rc == 0) {
        pid_t done = waitpid (pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR))
            break;
        if (!killed && zclock_mono () > deadline) {
            kill (pid, SIGKILL);
            killed = true;
            fprintf (stderr, "complaintctl report: %s did not finish in time; stopped\n",
                     chromium);
        }
        zclock_sleep (50);
    }
    char cleanup [256];
    snprintf (cleanup, sizeof cleanup, "rm -rf '%s'", profile);
    if (system (cleanup) != 0)
        fprintf (stderr, "complaintctl report: could not remove %s\n", profile);
    struct stat st;
    if (rc != 0) {
        fprintf (stderr, "complaintctl report: cannot run %s: %s (install chromium, or set "
                 "COMPLAINTS_CHROMIUM)\n", chromium, strerror (rc));
        return CTL_EXIT_USAGE;
    }
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || stat (tmp, &st) != 0
    ||  st.st_size < 5) {
        fprintf (stderr, "complaintctl report: %s did not print %s (exit %d)\n", chromium, url,
                 WIFEXITED (status) ? WEXITSTATUS (status) : -1);
        unlink (tmp);
        return CTL_EXIT_REPLY;
    }
    if (rename (tmp, path) != 0) {
        fprintf (stderr, "complaintctl report: cannot write %s: %s\n", path, strerror (errno));
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

int
ctl_report_document (const char *format, const char *out, const char *http,
                     const ctl_day_t *from, const ctl_day_t *to, const char *lang,
                     int min_cell, long timeout_ms)
{
    if (strcmp (http, "off") == 0) {
        fprintf (stderr, "complaintctl report: --http is off: the bulletin is served by the "
                 "analytics daemon's --http address\n");
        return CTL_EXIT_USAGE;
    }
    char url [512];
    int len = snprintf (url, sizeof url, "%s%s/bulletin?lang=%s",
                        strncmp (http, "http://", 7) == 0 ? "" : "http://", http, lang);
    if (from)
        len += snprintf (url + len, sizeof url - (size_t) len, "&from=%04d-%02d-%02d",
                         from->year, from->month, from->day);
    if (to)
        len += snprintf (url + len, sizeof url - (size_t) len, "&to=%04d-%02d-%02d",
                         to->year, to->month, to->day);
    if (min_cell > 0)
        len += snprintf (url + len, sizeof url - (size_t) len, "&min_cell=%d", min_cell);
    if (len >= (int) sizeof url) {
        fprintf (stderr, "complaintctl report: --http is too long\n");
        return CTL_EXIT_USAGE;
    }
    s_buffer_t buf = { NULL, 0 };
    int rc = s_fetch (url, timeout_ms, &buf);
    if (rc == CTL_EXIT_OK)
        rc = strcmp (format, "html") == 0 ? s_write_file (out, &buf)
                                          : s_print_pdf (url, out, timeout_ms);
    free (buf.data);
    if (rc == CTL_EXIT_OK)
        fprintf (stderr, "complaintctl report: %s written from %s\n", out, url);
    return rc;
}

/*  metrics.c — Prometheus metrics and their HTTP endpoint (see metrics.h).
 *
 *  Storage. A family is a small array of series, each keyed by its label
 *  pairs already rendered (`channel="sms",state="sent"`): the key is what
 *  the scrape prints, so the render copies it and never formats labels
 *  again, and a lookup is a string compare over a handful of series. The
 *  label values come from the daemon's own vocabulary (error codes,
 *  channels, states), never from a client, so the number of series is
 *  small; METRICS_SERIES_MAX stops a bug from growing it without end.
 *
 *  Histograms keep per-bucket counts (not cumulative) so an observation
 *  touches one bucket; the render adds them up, which is what makes
 *  le="+Inf" equal _count by construction.
 */
#include "metrics.h"
#include "log.h"

#include <assert.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_type_t;

typedef struct {
    char *key;                  /* rendered label pairs; "" without labels */
    double value;               /* counter, gauge; a histogram's sum */
    uint64_t count;             /* histogram observations */
    uint64_t *buckets;          /* histogram: per bucket, not cumulative */
} s_series_t;

struct metric_t {
    metrics_t *owner;
    s_type_t type;
    char *name, *help;
    char *label_names [METRICS_LABELS_MAX];
    size_t nlabels;
    double *bounds;
    size_t nbounds;
    s_series_t *series;
    size_t nseries, capacity;
    bool overflow_logged;
    metric_t *next;
};

struct metrics_t {
    pthread_mutex_t lock;
    metric_t *first, *last;
    struct MHD_Daemon *httpd;
    int port;
    metrics_health_fn *health;
    void *health_arg;
};

const double metrics_latency_buckets [] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
const size_t metrics_latency_nbuckets = sizeof metrics_latency_buckets / sizeof (double);
const double metrics_size_buckets [] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000
};
const size_t metrics_size_nbuckets = sizeof metrics_size_buckets / sizeof (double);

//  --------------------------------------------------------------------------
//  A growing text buffer for the render

typedef struct {
    char *data;
    size_t size, alloc;
} s_buf_t;

static void
s_buf_printf (s_buf_t *buf, const char *fmt, ...)
{
    while (true) {
        va_list args;
        va_start (args, fmt);
        size_t room = buf->alloc - buf->size;
        int n = vsnprintf (buf->data + buf->size, room, fmt, args);
        va_end (args);
        assert (n >= 0);
        if ((size_t) n < room) {
            buf->size += (size_t) n;
            return;
        }
        buf->alloc = buf->alloc * 2 + (size_t) n + 1;
        buf->data = realloc (buf->data, buf->alloc);
        assert (buf->data);
    }
}

/* A sample value: integers print as integers, infinities as the format
 * spells them. */
static void
s_buf_number (s_buf_t *buf, double v)
{
    if (isinf (v))
        s_buf_printf (buf, "%s", v > 0 ? "+Inf" : "-Inf");
    else
    if (isnan (v))
        s_buf_printf (buf, "NaN");
    else
        s_buf_printf (buf, "%.15g", v);
}

//  --------------------------------------------------------------------------
//  Declaring families

metrics_t *
metrics_new (void)
{
    metrics_t *self = calloc (1, sizeof *self);
    assert (self);
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    assert (self_p);
    metrics_t *self = *self_p;
    if (!self)
        return;
    //  Stop the HTTP thread first: it may be rendering right now.
    if (self->httpd)
        MHD_stop_daemon (self->httpd);
    metric_t *m = self->first;
    while (m) {
        metric_t *next = m->next;
        for (size_t i = 0; i < m->nseries; i++) {
            free (m->series [i].key);
            free (m->series [i].buckets);
        }
        for (size_t i = 0; i < m->nlabels; i++)
            free (m->label_names [i]);
        free (m->series);
        free (m->bounds);
        free (m->name);
        free (m->help);
        free (m);
        m = next;
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

static s_series_t *s_series (metric_t *self, const char *key);

static metric_t *
s_declare (metrics_t *self, s_type_t type, const char *name, const char *help,
           const char *labels, const double *bounds, size_t nbounds)
{
    assert (self && name && help);
    metric_t *m = calloc (1, sizeof *m);
    assert (m);
    m->owner = self;
    m->type = type;
    m->name = strdup (name);
    m->help = strdup (help);
    assert (m->name && m->help);
    if (labels && *labels) {
        char *copy = strdup (labels);
        assert (copy);
        char *save = NULL;
        for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
            assert (m->nlabels < METRICS_LABELS_MAX);
            m->label_names [m->nlabels] = strdup (tok);
            assert (m->label_names [m->nlabels]);
            m->nlabels++;
        }
        free (copy);
    }
    if (type == S_HISTOGRAM) {
        assert (bounds && nbounds > 0);
        m->bounds = malloc (nbounds * sizeof (double));
        assert (m->bounds);
        memcpy (m->bounds, bounds, nbounds * sizeof (double));
        m->nbounds = nbounds;
    }
    pthread_mutex_lock (&self->lock);
    if (self->last)
        self->last->next = m;
    else
        self->first = m;
    self->last = m;
    //  Without labels the one series exists from the start: 0, not absent.
    if (m->nlabels == 0)
        s_series (m, "");
    pthread_mutex_unlock (&self->lock);
    return m;
}

metric_t *
metrics_counter (metrics_t *self, const char *name, const char *help, const char *labels)
{
    return s_declare (self, S_COUNTER, name, help, labels, NULL, 0);
}

metric_t *
metrics_gauge (metrics_t *self, const char *name, const char *help, const char *labels)
{
    return s_declare (self, S_GAUGE, name, help, labels, NULL, 0);
}

metric_t *
metrics_histogram (metrics_t *self, const char *name, const char *help, const char *labels,
                   const double *bounds, size_t nbounds)
{
    return s_declare (self, S_HISTOGRAM, name, help, labels, bounds, nbounds);
}

//  --------------------------------------------------------------------------
//  Updating series

/* The label pairs as the format writes them: name="value", with \, " and
 * newline escaped. Truncated values would merge series, so a key that does
 * not fit is refused (NULL). */
static const char *
s_key (metric_t *self, const char *const values [], char *key, size_t size)
{
    size_t at = 0;
    key [0] = 0;
    for (size_t i = 0; i < self->nlabels; i++) {
        const char *v = values && values [i] ? values [i] : "";
        int n = snprintf (key + at, size - at, "%s%s=\"", i ? "," : "", self->label_names [i]);
        if (n < 0 || (size_t) n >= size - at)
            return NULL;
        at += (size_t) n;
        for (; *v; v++) {
            const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n" : NULL;
            size_t len = esc ? strlen (esc) : 1;
            if (at + len + 2 >= size)
                return NULL;
            if (esc)
                memcpy (key + at, esc, len);
            else
                key [at] = *v;
            at += len;
        }
        key [at++] = '"';
        key [at] = 0;
    }
    return key;
}

/* Find or create the series; the caller holds the lock. NULL when the
 * family is full. */
static s_series_t *
s_series (metric_t *self, const char *key)
{
    for (size_t i = 0; i < self->nseries; i++)
        if (strcmp (self->series [i].key, key) == 0)
            return &self->series [i];
    if (self->nseries >= METRICS_SERIES_MAX) {
        if (!self->overflow_logged)
            log_error ("metric_series_overflow", "metric=%s max=%d", self->name,
                       METRICS_SERIES_MAX);
        self->overflow_logged = true;
        return NULL;
    }
    if (self->nseries == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 4;
        self->series = realloc (self->series, self->capacity * sizeof *self->series);
        assert (self->series);
    }
    s_series_t *s = &self->series [self->nseries++];
    memset (s, 0, sizeof *s);
    s->key = strdup (key);
    assert (s->key);
    if (self->type == S_HISTOGRAM) {
        s->buckets = calloc (self->nbounds, sizeof (uint64_t));
        assert (s->buckets);
    }
    return s;
}

typedef enum { S_ADD, S_SET, S_OBSERVE } s_op_t;

static void
s_update (metric_t *self, const char *const values [], double value, s_op_t op)
{
    assert (self);
    assert ((op == S_OBSERVE) == (self->type == S_HISTOGRAM));
    char buf [512];
    const char *key = s_key (self, values, buf, sizeof buf);
    if (!key)
        return;
    pthread_mutex_lock (&self->owner->lock);
    s_series_t *s = s_series (self, key);
    if (s) {
        if (op == S_ADD)
            s->value += value;
        else
        if (op == S_SET)
            s->value = value;
        else {
            s->value += value;
            s->count++;
            //  Values above the last bound are only in +Inf (= count).
            for (size_t i = 0; i < self->nbounds; i++)
                if (value <= self->bounds [i]) {
                    s->buckets [i]++;
                    break;
                }
        }
    }
    pthread_mutex_unlock (&self->owner->lock);
}

void metric_add (metric_t *self, double value) { s_update (self, NULL, value, S_ADD); }
void metric_set (metric_t *self, double value) { s_update (self, NULL, value, S_SET); }
void metric_observe (metric_t *self, double value) { s_update (self, NULL, value, S_OBSERVE); }

void
metric_add_at (metric_t *self, const char *const values [], double value)
{
    s_update (self, values, value, S_ADD);
}

void
metric_set_at (metric_t *self, const char *const values [], double value)
{
    s_update (self, values, value, S_SET);
}

void
metric_observe_at (metric_t *self, const char *const values [], double value)
{
    s_update (self, values, value, S_OBSERVE);
}

double
metric_value_at (metric_t *self, const char *const values [])
{
    assert (self);
    char buf [512];
    const char *key = s_key (self, values, buf, sizeof buf);
    double value = 0;
    pthread_mutex_lock (&self->owner->lock);
    for (size_t i = 0; key && i < self->nseries; i++)
        if (strcmp (self->series [i].key, key) == 0)
            value = self->type == S_HISTOGRAM ? (double) self->series [i].count
                                              : self->series [i].value;
    pthread_mutex_unlock (&self->owner->lock);
    return value;
}

//  --------------------------------------------------------------------------
//  The text format

/* HELP text escapes only backslash and newline. */
static void
s_render_help (s_buf_t *buf, const char *help)
{
    for (; *help; help++)
        if (*help == '\\')
            s_buf_printf (buf, "\\\\");
        else
        if (*help == '\n')
            s_buf_printf (buf, "\\n");
        else
            s_buf_printf (buf, "%c", *help);
}

static void
s_render_histogram (s_buf_t *buf, metric_t *m, s_series_t *s)
{
    const char *sep = *s->key ? "," : "";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < m->nbounds; i++) {
        cumulative += s->buckets [i];
        s_buf_printf (buf, "%s_bucket{%s%sle=\"", m->name, s->key, sep);
        s_buf_number (buf, m->bounds [i]);
        s_buf_printf (buf, "\"} %llu\n", (unsigned long long) cumulative);
    }
    s_buf_printf (buf, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", m->name, s->key, sep,
                  (unsigned long long) s->count);
    s_buf_printf (buf, "%s_sum%s%s%s ", m->name, *s->key ? "{" : "", s->key, *s->key ? "}" : "");
    s_buf_number (buf, s->value);
    s_buf_printf (buf, "\n%s_count%s%s%s %llu\n", m->name, *s->key ? "{" : "", s->key,
                  *s->key ? "}" : "", (unsigned long long) s->count);
}

char *
metrics_render (metrics_t *self)
{
    assert (self);
    s_buf_t buf = { NULL, 0, 0 };
    buf.alloc = 4096;
    buf.data = malloc (buf.alloc);
    assert (buf.data);
    buf.data [0] = 0;
    static const char *types [] = { "counter", "gauge", "histogram" };
    pthread_mutex_lock (&self->lock);
    for (metric_t *m = self->first; m; m = m->next) {
        s_buf_printf (&buf, "# HELP %s ", m->name);
        s_render_help (&buf, m->help);
        s_buf_printf (&buf, "\n# TYPE %s %s\n", m->name, types [m->type]);
        for (size_t i = 0; i < m->nseries; i++) {
            s_series_t *s = &m->series [i];
            if (m->type == S_HISTOGRAM)
                s_render_histogram (&buf, m, s);
            else {
                s_buf_printf (&buf, "%s%s%s%s ", m->name, *s->key ? "{" : "", s->key,
                              *s->key ? "}" : "");
                s_buf_number (&buf, s->value);
                s_buf_printf (&buf, "\n");
            }
        }
    }
    pthread_mutex_unlock (&self->lock);
    return buf.data;
}

//  --------------------------------------------------------------------------
//  The HTTP endpoint

static enum MHD_Result
s_respond (struct MHD_Connection *conn, unsigned int status, const char *type, char *body)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (strlen (body), body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response (conn, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_http (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
        const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version; (void) upload_data; (void) upload_data_size; (void) con_cls;
    metrics_t *self = (metrics_t *) cls;
    const char *text = "text/plain; charset=utf-8";
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
        return s_respond (conn, MHD_HTTP_METHOD_NOT_ALLOWED, text,
                          strdup ("only GET and HEAD\n"));
    if (strcmp (url, "/metrics") == 0)
        return s_respond (conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                          metrics_render (self));
    if (strcmp (url, "/healthz") == 0) {
        char reason [256] = "";
        if (self->health && self->health (self->health_arg, reason, sizeof reason)) {
            char *body = malloc (strlen (reason) + 2);
            assert (body);
            sprintf (body, "%s\n", *reason ? reason : "unhealthy");
            return s_respond (conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, body);
        }
        return s_respond (conn, MHD_HTTP_OK, text, strdup ("ok\n"));
    }
    return s_respond (conn, MHD_HTTP_NOT_FOUND, text, strdup ("not found: /metrics, /healthz\n"));
}

int
metrics_serve (metrics_t *self, int port, metrics_health_fn *health, void *health_arg)
{
    assert (self);
    assert (!self->httpd);
    if (port == 0)
        return 0;
    self->health = health;
    self->health_arg = health_arg;
    //  Loopback only: metrics name instances and counts, which is nobody's
    //  business off the host; a scraper elsewhere goes through a port map.
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    //  MHD_USE_AUTO: epoll or poll, never select (a daemon may hold fds past 1024).
    self->httpd = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
                                    (uint16_t) port, NULL, NULL, s_http, self,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1,
                                    MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 16,
                                    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 10,
                                    MHD_OPTION_END);
    if (!self->httpd) {
        log_error ("metrics_bind_failed", "address=127.0.0.1 port=%d", port);
        return -1;
    }
    self->port = port;
    log_info ("metrics_listening", "address=127.0.0.1 port=%d", port);
    return 0;
}

int
metrics_serve_port (metrics_t *self)
{
    assert (self);
    return self->port;
}

//  --------------------------------------------------------------------------

/* Self-test checks run under NDEBUG too: they are the test, not a guard. */
#define S_CHECK(expr) do { if (!(expr)) { \
    fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
    abort (); } } while (0)

void
metrics_test (bool verbose)
{
    if (verbose)
        printf (" * metrics: ");
    metrics_t *m = metrics_new ();
    metric_t *req = metrics_counter (m, "t_requests_total", "Requests.", NULL);
    metric_t *err = metrics_counter (m, "t_errors_total", "Errors by code.", "code");
    metric_t *del = metrics_counter (m, "t_deliveries_total", "Deliveries.", "channel,state");
    metric_t *lag = metrics_gauge (m, "t_lag", "Lag with a \\ and a\nnewline.", NULL);
    double bounds [] = { 0.01, 0.1, 1 };
    metric_t *lat = metrics_histogram (m, "t_seconds", "Latency.", "op", bounds, 3);
    metric_t *plain = metrics_histogram (m, "t_batch", "Batch.", NULL, metrics_size_buckets,
                                         metrics_size_nbuckets);

    metric_add (req, 1);
    metric_add (req, 2);
    metric_add_at (err, (const char *[]) { "invalid_field" }, 1);
    metric_add_at (err, (const char *[]) { "invalid_field" }, 1);
    metric_add_at (err, (const char *[]) { "a\"b\\c\nd" }, 1);
    metric_add_at (del, (const char *[]) { "email", "sent" }, 3);
    metric_set (lag, 42);
    metric_set (lag, 7.5);
    metric_observe_at (lat, (const char *[]) { "pass" }, 0.005);
    metric_observe_at (lat, (const char *[]) { "pass" }, 0.05);
    metric_observe_at (lat, (const char *[]) { "pass" }, 0.05);
    metric_observe_at (lat, (const char *[]) { "pass" }, 5);
    metric_observe (plain, 3);

    S_CHECK (metric_value_at (req, NULL) == 3);
    S_CHECK (metric_value_at (err, (const char *[]) { "invalid_field" }) == 2);
    S_CHECK (metric_value_at (err, (const char *[]) { "other" }) == 0);
    S_CHECK (metric_value_at (lat, (const char *[]) { "pass" }) == 4);

    char *text = metrics_render (m);
    if (verbose)
        printf ("\n%s", text);
    S_CHECK (strstr (text, "# HELP t_requests_total Requests.\n# TYPE t_requests_total counter\n"
                          "t_requests_total 3\n"));
    S_CHECK (strstr (text, "t_errors_total{code=\"invalid_field\"} 2\n"));
    S_CHECK (strstr (text, "t_errors_total{code=\"a\\\"b\\\\c\\nd\"} 1\n"));
    S_CHECK (strstr (text, "t_deliveries_total{channel=\"email\",state=\"sent\"} 3\n"));
    S_CHECK (strstr (text, "# HELP t_lag Lag with a \\\\ and a\\nnewline.\n"));
    S_CHECK (strstr (text, "# TYPE t_lag gauge\nt_lag 7.5\n"));
    S_CHECK (strstr (text, "# TYPE t_seconds histogram\n"
                          "t_seconds_bucket{op=\"pass\",le=\"0.01\"} 1\n"
                          "t_seconds_bucket{op=\"pass\",le=\"0.1\"} 3\n"
                          "t_seconds_bucket{op=\"pass\",le=\"1\"} 3\n"
                          "t_seconds_bucket{op=\"pass\",le=\"+Inf\"} 4\n"
                          "t_seconds_sum{op=\"pass\"} 5.105\n"
                          "t_seconds_count{op=\"pass\"} 4\n"));
    S_CHECK (strstr (text, "t_batch_bucket{le=\"2\"} 0\nt_batch_bucket{le=\"5\"} 1\n"));
    S_CHECK (strstr (text, "t_batch_sum 3\nt_batch_count 1\n"));
    free (text);

    //  A family is bounded: series past the limit are dropped, not grown.
    for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
        char code [16];
        snprintf (code, sizeof code, "c%d", i);
        metric_add_at (err, (const char *[]) { code }, 1);
    }
    S_CHECK (metric_value_at (err, (const char *[]) { "c0" }) == 1);
    S_CHECK (metric_value_at (err, (const char *[]) { "c300" }) == 0);

    S_CHECK (metrics_serve (m, 0, NULL, NULL) == 0);     /* 0: off */
    S_CHECK (metrics_serve_port (m) == 0);
    metrics_destroy (&m);
    metrics_destroy (&m);
    S_CHECK (m == NULL);
    if (verbose)
        printf ("OK\n");
}

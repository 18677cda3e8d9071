/*  metrics.h — counters, gauges and histograms a daemon exports to
 *  Prometheus, and the loopback HTTP endpoint that serves them.
 *
 *  A registry holds metric families, each declared once at start-up with
 *  its name, help text, type and label names (at most METRICS_LABELS_MAX):
 *
 *      metrics_t *m = metrics_new ();
 *      metric_t *errors = metrics_counter (m, "complaints_intake_errors_total",
 *                                          "Requests answered with an error, by code.", "code");
 *      metric_add_at (errors, (const char *[]) { "invalid_field" }, 1);
 *
 *  A series (one combination of label values) comes into being the first
 *  time it is touched; a family without labels has its one series from the
 *  start, so a scrape shows 0 rather than nothing. metrics_render writes
 *  the Prometheus text exposition format 0.0.4: # HELP and # TYPE before
 *  each family, histograms as cumulative _bucket{le=...} lines ending with
 *  le="+Inf" (= _count), then _sum and _count.
 *
 *  Threads. Every update and the render take the registry's mutex: intake
 *  counts from its writer threads, and the HTTP endpoint renders from
 *  libmicrohttpd's own thread. An update is a few nanoseconds under an
 *  uncontended lock, far below a store round trip.
 *
 *  The endpoint (metrics_serve): libmicrohttpd with its internal polling
 *  thread, bound to 127.0.0.1 only (scrapers run on the host, or reach it
 *  through the orchestrator's port mapping); GET /metrics renders the
 *  registry, GET /healthz asks the caller's health function: 200 "ok", or
 *  503 with the reason. Anything else is 404, any other method 405.
 *
 *  Interface:
 *      metrics_new / metrics_destroy
 *      metrics_counter, metrics_gauge, metrics_histogram   declare a family
 *      metric_add, metric_set, metric_observe              unlabelled series
 *      metric_add_at, metric_set_at, metric_observe_at     labelled series
 *      metric_value_at                                     read one back (tests)
 *      metrics_render                                      text format 0.0.4
 *      metrics_serve / metrics_serve_port                  the HTTP endpoint
 *      metrics_test                                        self-test
 */
#ifndef METRICS_H_INCLUDED
#define METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define METRICS_LABELS_MAX   3
#define METRICS_SERIES_MAX   256     /* per family: label values are ours, never a client's */

typedef struct metrics_t metrics_t;
typedef struct metric_t metric_t;

/* The answer of /healthz: 0 healthy; -1 with a one-line reason. Runs on
 * the HTTP thread: it must only read what is safe to read from there. */
typedef int (metrics_health_fn) (void *arg, char *reason, size_t size);

/* Latency buckets in seconds for store round trips (1 ms .. 10 s). */
extern const double metrics_latency_buckets [];
extern const size_t metrics_latency_nbuckets;
/* Size buckets for batches (1 .. 10000). */
extern const double metrics_size_buckets [];
extern const size_t metrics_size_nbuckets;

metrics_t *metrics_new (void);
void metrics_destroy (metrics_t **self_p);

/* labels: comma-separated label names ("channel,state"), or NULL. */
metric_t *metrics_counter (metrics_t *self, const char *name, const char *help,
                           const char *labels);
metric_t *metrics_gauge (metrics_t *self, const char *name, const char *help,
                         const char *labels);
/* bounds: the upper bounds of the buckets, ascending, without +Inf. */
metric_t *metrics_histogram (metrics_t *self, const char *name, const char *help,
                             const char *labels, const double *bounds, size_t nbounds);

void metric_add (metric_t *self, double value);
void metric_set (metric_t *self, double value);
void metric_observe (metric_t *self, double value);
/* values: one per label name of the family, in their order. */
void metric_add_at (metric_t *self, const char *const values [], double value);
void metric_set_at (metric_t *self, const char *const values [], double value);
void metric_observe_at (metric_t *self, const char *const values [], double value);
/* A counter's or gauge's value (a histogram's count); 0 when never touched. */
double metric_value_at (metric_t *self, const char *const values []);

/* The whole registry in the text format; the caller frees the string. */
char *metrics_render (metrics_t *self);

/* Serve /metrics and /healthz on 127.0.0.1:port (port 0: do nothing).
 * health may be NULL (always healthy). 0, or -1 when the port could not
 * be bound (logged). */
int metrics_serve (metrics_t *self, int port, metrics_health_fn *health, void *health_arg);
/* The port served, 0 when not serving. */
int metrics_serve_port (metrics_t *self);

void metrics_test (bool verbose);

#endif

/*  bench_util.h — what the benchmark programs of tests/bench/ share: a
 *  store connection that must work, a statement that must succeed, a
 *  scalar, and the order statistics their figures are made of.
 *
 *  A benchmark is a small program that prints figures (STYLE.md, libzmq's
 *  perf tools): on a store error there is nothing to measure, so these
 *  print the server's message, prefixed with the program's name, and exit
 *  (3: no connection, 1: a statement failed).
 *
 *  Interface:
 *      bench_pg_connect    PQconnectdb, or exit 3
 *      bench_pg_must       PQexecParams (text), or exit 1
 *      bench_pg_scalar     the first column of the first row as int64 (0: none)
 *      bench_cmp_double    qsort's comparison of doubles, ascending
 *      bench_quantile      the q-quantile of n sorted values (nearest rank)
 */
#ifndef BENCH_UTIL_H_INCLUDED
#define BENCH_UTIL_H_INCLUDED

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

PGconn   *bench_pg_connect (const char *program, const char *conninfo);
PGresult *bench_pg_must (const char *program, PGconn *conn, const char *sql, int n,
                         const char *const *values);
int64_t   bench_pg_scalar (const char *program, PGconn *conn, const char *sql);
int       bench_cmp_double (const void *a, const void *b);
double    bench_quantile (const double *sorted, size_t n, double q);

#endif

/*  bench_util.c — see bench_util.h. */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>

PGconn *
bench_pg_connect (const char *program, const char *conninfo)
{
    PGconn *conn = PQconnectdb (conninfo ? conninfo : "");
    if (PQstatus (conn) != CONNECTION_OK) {
        fprintf (stderr, "%s: cannot connect: %s", program, PQerrorMessage (conn));
        exit (3);
    }
    return conn;
}

PGresult *
bench_pg_must (const char *program, PGconn *conn, const char *sql, int n,
               const char *const *values)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf (stderr, "%s: %s\n  in: %.200s\n", program, PQresultErrorMessage (res), sql);
        exit (1);
    }
    return res;
}

int64_t
bench_pg_scalar (const char *program, PGconn *conn, const char *sql)
{
    PGresult *res = bench_pg_must (program, conn, sql, 0, NULL);
    int64_t v = PQntuples (res) && !PQgetisnull (res, 0, 0) ? atoll (PQgetvalue (res, 0, 0)) : 0;
    PQclear (res);
    return v;
}

int
bench_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double
bench_quantile (const double *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t i = (size_t) (q * (double) n);
    return sorted [i < n ? i : n - 1];
}

/*  jrt.h — China's JR/T 0169-2018 complaint classification codes
 *  (金融消费者投诉统计分类及编码 银行业金融机构), carried beside our own
 *  taxonomy for regulatory statistics.
 *
 *  The standard classifies on three axes: A the channel (办理渠道), B the
 *  business type (业务类别) and C the cause (投诉原因). A code table file
 *  (deploy/routing/jrt0169.conf) declares the codes and maps our channels,
 *  business lines and causes onto them:
 *
 *      code     A0302  "电子渠道-电话"
 *      channel  hotline           A0302
 *      business cards             B03
 *      cause    service_attitude  C01
 *
 *  Loading checks that every code is declared once, on the right axis, and
 *  that every channel, business line and cause is mapped exactly once. The
 *  code numbers follow the published summaries of the standard, not its
 *  full text: they must be checked against the standard before regulatory
 *  reporting (docs/routing.md).
 *
 *  Interface: jrt_load, jrt_channel, jrt_business, jrt_cause, jrt_destroy,
 *  jrt_test
 */
#ifndef JRT_H_INCLUDED
#define JRT_H_INCLUDED

#include "rules.h"

typedef struct _jrt_t jrt_t;

jrt_t *jrt_load (const char *path, conf_error_t *err);
void jrt_destroy (jrt_t **self_p);
/* The code for our id, or NULL (never for a valid id once loaded). */
const char *jrt_channel (const jrt_t *self, const char *channel);
const char *jrt_business (const jrt_t *self, const char *business_line);
const char *jrt_cause (const jrt_t *self, const char *cause);
int jrt_test (bool verbose, const char *shipped, int *passed);

#endif

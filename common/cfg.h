/*  cfg.h — 12-factor configuration: every setting is a flag and an
 *  environment variable, the flag winning. Flags are `--name value` or
 *  `--name=value`.
 *
 *      const char *ep = cfg_str (argc, argv, "--endpoint", "COMPLAINTS_INTAKE_ENDPOINT",
 *                                CFG_INTAKE_ENDPOINT);
 *
 *  The defaults for endpoints every service must agree on live here, once.
 *
 *  The daemons declare their flags through common/daemon.h (usage, refusal
 *  of unknown flags); these helpers remain for the small tools (the
 *  benchmarks). cfg_long keeps the default, with a message, when the value
 *  is not a number.
 */
#ifndef CFG_H_INCLUDED
#define CFG_H_INCLUDED

#include <stdbool.h>

#define CFG_INTAKE_ENDPOINT       "tcp://127.0.0.1:5550"
#define CFG_BUS_PUB_ENDPOINT      "tcp://127.0.0.1:5560"
#define CFG_BUS_REPLAY_ENDPOINT   "tcp://127.0.0.1:5561"
#define CFG_ANALYTICS_ENDPOINT    "tcp://127.0.0.1:5570"
/* The analytics dashboard (HTTP, IPv4:PORT or "off"); not 5580: make up's
 * HTTP sink is there. */
#define CFG_ANALYTICS_HTTP        "127.0.0.1:5571"
/* The bank's calendar zone: times shown to people are in it, with the zone
 * written ("2026-12-05 16:34 +08:00"). */
#define CFG_TIMEZONE              "Asia/Shanghai"

#define CFG_ENV_PG                "COMPLAINTS_PG"          /* libpq conninfo; "" = PG* vars */
#define CFG_ENV_INTAKE            "COMPLAINTS_INTAKE_ENDPOINT"
#define CFG_ENV_BUS_PUB           "COMPLAINTS_BUS_PUB_ENDPOINT"
#define CFG_ENV_BUS_REPLAY        "COMPLAINTS_BUS_REPLAY_ENDPOINT"
#define CFG_ENV_ANALYTICS         "COMPLAINTS_ANALYTICS_ENDPOINT"
#define CFG_ENV_ANALYTICS_HTTP    "COMPLAINTS_ANALYTICS_HTTP"
#define CFG_ENV_TIMEZONE          "COMPLAINTS_TIMEZONE"

const char *cfg_str (int argc, char **argv, const char *flag, const char *env, const char *def);
long        cfg_long (int argc, char **argv, const char *flag, const char *env, long def);
bool        cfg_flag (int argc, char **argv, const char *flag);

#endif

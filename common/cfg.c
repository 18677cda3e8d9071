/*  cfg.c — flags and environment variables (see cfg.h). */
#include "cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
cfg_str (int argc, char **argv, const char *flag, const char *env, const char *def)
{
    size_t flen = strlen (flag);
    for (int i = 1; i < argc; i++) {
        if (strncmp (argv [i], flag, flen) != 0)
            continue;
        if (argv [i][flen] == '=')
            return argv [i] + flen + 1;
        if (argv [i][flen] == 0 && i + 1 < argc)
            return argv [i + 1];
    }
    const char *value = env ? getenv (env) : NULL;
    return value && *value ? value : def;
}

long
cfg_long (int argc, char **argv, const char *flag, const char *env, long def)
{
    const char *value = cfg_str (argc, argv, flag, env, NULL);
    if (!value)
        return def;
    char *end = NULL;
    long n = strtol (value, &end, 10);
    if (!end || *end) {
        //  Library code never exits: the caller keeps the default, told why.
        fprintf (stderr, "invalid number for %s: %s (using %ld)\n", flag, value, def);
        return def;
    }
    return n;
}

bool
cfg_flag (int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp (argv [i], flag) == 0)
            return true;
    return false;
}

/*  task_show.c — a case's tasks and rectification items in `show` (see
 *  task_show.h). */
#include "task_show.h"
#include "ctl.h"

#include <stdio.h>

static const char *
s_str (const json_t *o, const char *key, const char *absent)
{
    const char *v = json_string_value (json_object_get (o, key));
    return v ? v : absent;
}

void
task_show_print (const json_t *tasks)
{
    size_t count = json_array_size (tasks);
    if (count == 0)
        return;
    printf ("\ntasks (%zu):\n", count);
    size_t i;
    json_t *t;
    json_array_foreach (tasks, i, t) {
        char due [64], ended [64];
        printf ("  #%" JSON_INTEGER_FORMAT "  %s  %s%s%s  %s  due %s  given by %s",
                json_integer_value (json_object_get (t, "id")), s_str (t, "kind", "?"),
                s_str (t, "department", "?"), json_object_get (t, "owner") ? " owner " : "",
                s_str (t, "owner", ""), s_str (t, "state", "?"),
                ctl_format_deadline (json_object_get (t, "due_at"), due, sizeof due),
                s_str (t, "given_by", "?"));
        json_int_t chases = json_integer_value (json_object_get (t, "chases"));
        if (chases > 0)
            printf ("  chased %" JSON_INTEGER_FORMAT "x", chases);
        if (json_object_get (t, "ended_at")) {
            ctl_format_time (json_object_get (t, "ended_at"), ended, sizeof ended);
            if (json_object_get (t, "replied_by"))
                printf ("  answered by %s %s", s_str (t, "replied_by", "?"), ended);
            else
                printf ("  ended %s", ended);
        }
        printf ("\n      asked: %s\n", s_str (t, "asked", ""));
        if (json_object_get (t, "reply"))
            printf ("      reply: %s\n", s_str (t, "reply", ""));
    }
}

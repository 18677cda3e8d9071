/*  lifecycle_cmd.c — `complaintctl lifecycle`: the case state machine as
 *  the code has it.
 *
 *  Prints proto/lifecycle.c's table, the one intake enforces: for each
 *  action the states it may start from, the state it leads to, the roles
 *  that may take it, its required and optional fields and the event it
 *  emits. --dot prints the Graphviz diagram (lifecycle_print_dot), which is
 *  how docs/lifecycle.dot is made:
 *
 *      complaintctl lifecycle --dot > docs/lifecycle.dot
 *      dot -Tsvg docs/lifecycle.dot > docs/lifecycle.svg
 *
 *  --json prints one JSON line per action, for tools. Needs no server.
 */
#include "ctl.h"
#include "lifecycle.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl lifecycle [--dot | --json]\n"
        "\n"
        "Prints the case lifecycle from proto/lifecycle.c: per action, the states it\n"
        "starts from, the state it leads to (\"(same)\": the state does not change), the\n"
        "roles that may take it (H handler, S supervisor, O complaint office, M manager),\n"
        "its required and optional fields, and its event.\n"
        "\n"
        "  --dot              the Graphviz diagram instead (docs/lifecycle.dot)\n"
        "  --json             one JSON line per action instead\n");
}

static uint32_t
s_open_states (void)
{
    uint32_t open = 0;
    for (int s = 0; s < STATE_COUNT; s++)
        if (lifecycle_state_open ((case_state_t) s))
            open |= STATE_BIT (s);
    return open;
}

/* "assigned, accepted", "any open", "any open except received, resolved" */
static void
s_states_text (uint32_t states, char *buf, size_t size)
{
    uint32_t open = s_open_states ();
    if (states == open) {
        snprintf (buf, size, "any open");
        return;
    }
    uint32_t list = states;
    size_t used = 0;
    buf [0] = 0;
    /* most of the open states: say which are left out */
    if ((states & ~open) == 0 && __builtin_popcount (open & ~states) <= 2
    &&  __builtin_popcount (states) > 2) {
        list = open & ~states;
        used = (size_t) snprintf (buf, size, "any open except ");
    }
    bool first = true;
    for (int s = 0; s < STATE_COUNT && used < size; s++)
        if (list & STATE_BIT (s)) {
            int n = snprintf (buf + used, size - used, "%s%s", first ? "" : ", ",
                              lifecycle_state_name ((case_state_t) s));
            if (n < 0)
                break;
            used += (size_t) n;
            first = false;
        }
}

static void
s_fields_text (unsigned fields, char *buf, size_t size)
{
    size_t used = 0;
    snprintf (buf, size, "-");
    for (int i = 0; i < FIELD_COUNT_BITS && used < size; i++)
        if (fields & (1u << i)) {
            int n = snprintf (buf + used, size - used, "%s%s", used ? "," : "",
                              lifecycle_field_name ((action_field_t) (1u << i)));
            if (n < 0)
                break;
            used += (size_t) n;
        }
}

static const staff_role_t s_roles [] = {
    ROLE_HANDLER, ROLE_SUPERVISOR, ROLE_COMPLAINT_OFFICE, ROLE_MANAGER
};
static const char s_role_letters [] = "HSOM";

static void
s_print_table (void)
{
    size_t count;
    const lifecycle_action_t *actions = lifecycle_actions (&count);
    printf ("%-17s %-36s %-18s %-5s %-24s %-22s %s\n",
            "action", "from", "to", "roles", "required", "optional", "event");
    for (size_t i = 0; i < count; i++) {
        const lifecycle_action_t *a = &actions [i];
        char from [256], required [128], optional [128], roles [8] = "";
        s_states_text (a->from, from, sizeof from);
        s_fields_text (a->required, required, sizeof required);
        s_fields_text (a->optional, optional, sizeof optional);
        size_t r = 0;
        for (size_t j = 0; j < sizeof s_roles / sizeof s_roles [0]; j++)
            if (a->roles & s_roles [j])
                roles [r++] = s_role_letters [j];
        roles [r] = 0;
        printf ("%-17s %-36s %-18s %-5s %-24s %-22s %s\n", a->name, from,
                a->to == LIFECYCLE_SAME ? "(same)" : lifecycle_state_name (a->to),
                roles, required, optional, a->event);
    }
    printf ("\nreceived -> assigned is the router's (action \"assign\", actor router:<name>).\n"
            "Final states: ");
    bool first = true;
    for (int s = 0; s < STATE_COUNT; s++)
        if (!lifecycle_state_open ((case_state_t) s)) {
            printf ("%s%s", first ? "" : ", ", lifecycle_state_name ((case_state_t) s));
            first = false;
        }
    printf (".\n");
    fflush (stdout);
}

static json_t *
s_fields_json (unsigned fields)
{
    json_t *array = json_array ();
    for (int i = 0; i < FIELD_COUNT_BITS; i++)
        if (fields & (1u << i))
            json_array_append_new (array,
                                   json_string (lifecycle_field_name ((action_field_t) (1u << i))));
    return array;
}

static void
s_print_json (void)
{
    size_t count;
    const lifecycle_action_t *actions = lifecycle_actions (&count);
    for (size_t i = 0; i < count; i++) {
        const lifecycle_action_t *a = &actions [i];
        json_t *from = json_array (), *roles = json_array ();
        for (int s = 0; s < STATE_COUNT; s++)
            if (a->from & STATE_BIT (s))
                json_array_append_new (from, json_string (lifecycle_state_name ((case_state_t) s)));
        for (size_t j = 0; j < sizeof s_roles / sizeof s_roles [0]; j++)
            if (a->roles & s_roles [j])
                json_array_append_new (roles, json_string (lifecycle_role_name (s_roles [j])));
        json_t *line = json_pack ("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s}",
            "action", a->name, "from", from,
            "to", a->to == LIFECYCLE_SAME ? json_null () : json_string (lifecycle_state_name (a->to)),
            "roles", roles, "required", s_fields_json (a->required),
            "optional", s_fields_json (a->optional), "event", a->event, "summary", a->summary);
        ctl_print_json (line, false);
        json_decref (line);
    }
}

int
ctl_lifecycle (int argc, char **argv)
{
    enum { O_DOT = 256, O_JSON, O_HELP };
    static const struct option options [] = {
        { "dot", no_argument, NULL, O_DOT },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    bool dot = false, json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case O_DOT: dot = true; break;
            case O_JSON: json_out = true; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl lifecycle --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc || (dot && json_out)) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    if (dot) {
        lifecycle_print_dot (stdout);
        fflush (stdout);
    }
    else if (json_out)
        s_print_json ();
    else
        s_print_table ();
    return CTL_EXIT_OK;
}

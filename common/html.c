/*  html.c — text into HTML (see html.h). */
#include "html.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

void
html_escape_n (FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; text && i < len; i++)
        switch (text [i]) {
            case '&': fputs ("&amp;", out); break;
            case '<': fputs ("&lt;", out); break;
            case '>': fputs ("&gt;", out); break;
            case '"': fputs ("&quot;", out); break;
            case '\'': fputs ("&#39;", out); break;
            default: fputc (text [i], out);
        }
}

void
html_escape (FILE *out, const char *text)
{
    if (text)
        html_escape_n (out, text, strlen (text));
}

#include "selftest.h"

void
html_test (bool verbose)
{
    (void) verbose;
    printf (" * html: ");
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    html_escape (out, "<a href=\"x\">'中' & </a>");
    html_escape (out, NULL);
    html_escape_n (out, "<b>", 2);
    fclose (out);
    assert (streq (text, "&lt;a href=&quot;x&quot;&gt;&#39;中&#39; &amp; &lt;/a&gt;&lt;b"));
    free (text);
    printf ("OK\n");
}

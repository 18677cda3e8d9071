/*  report_cmd.c — `complaintctl report`: the management summary of a
 *  period, as plain text, in Chinese or English.
 *
 *  The shape is the half-yearly bulletin the banking association's rules
 *  ask for (seed 004, 第八條 (四): 《客戶投訴情況通報》): how many
 *  complaints, classified by business line, cause and channel, how timely
 *  the answers were, how satisfied the customers, what was decided. Every
 *  figure comes from three `kpi` answers over the same period (by
 *  business_line, by cause, by channel; the whole is in each), so the
 *  report says what `complaintctl kpi` says.
 *
 *  Small cells (issue 12 §5). A published count could point at one
 *  customer — "the one wealth-product complaint at outlet X". So:
 *    - a count from 1 to K−1 is printed "<K" (0 identifies nobody and is
 *      printed as 0), and its share with it;
 *    - a rate over fewer than K cases is not printed, nor whether it met
 *      its target;
 *    - secondary suppression: when a breakdown hides exactly one cell, the
 *      total and the others would give it away, so the smallest other
 *      published cell is withheld too ("x");
 *    - amounts are printed only when at least K cases carry money.
 *  K is --min-cell (COMPLAINTS_REPORT_MIN_CELL, default 5). The footer
 *  says all this in the report's language.
 *
 *  Names. Business lines, causes and channels print by their names in the
 *  report's language (names.c: deploy/routing/labels.conf), not as the
 *  router's ids.
 *
 *  --format html|pdf --out FILE: the same bulletin as a document with
 *  charts, made by the analytics daemon's HTTP side (report_doc.c).
 */
#include "ctl.h"
#include "small_cells.h"
#include "cfg.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LABEL             32      /* columns of a line's label */

typedef enum {
    T_TITLE, T_PERIOD, T_AS_OF,
    T_S1, T_RECEIVED, T_ACCEPTED, T_REJECTED, T_WITHDRAWN, T_RESOLVED, T_CLOSED,
    T_REVIEWED, T_REOPENED, T_ESCALATED, T_MAJOR,
    T_S2, T_S3, T_S4, T_BUSINESS_LINE, T_CAUSE, T_CHANNEL, T_COMPLAINTS, T_SHARE,
    T_UNASSIGNED, T_NONE,
    T_S5, T_S6, T_TARGET, T_MET, T_MISSED, T_OF, T_HIDDEN_RATE, T_NO_CASES,
    T_P50_ANSWER, T_P50_RESOLVE, T_SATISFIED, T_NOT_SATISFIED,
    T_S7, T_EXPLANATION, T_ERROR_CORRECTED, T_REFUND, T_COMPENSATION, T_APOLOGY,
    T_PROCESS_CHANGE, T_AMOUNT, T_AMOUNT_HIDDEN,
    T_FOOT1, T_FOOT2, T_FOOT3, T_FOOT4,
    /* issue 16 follow-up (analytics2) */
    T_GOODWILL, T_SCORE1, T_SCORE2, T_SCORE3, T_SCORE4, T_SCORE5, T_S8, T_VALID, T_INVALID,
    T_COUNT
} s_text_t;

/* [en, zh] */
static const char *const s_texts [T_COUNT][2] = {
    [T_TITLE] = { "Complaint bulletin", "客户投诉情况通报" },
    [T_PERIOD] = { "Period: complaints received %s .. %s (%s)",
                   "统计期间：%s 至 %s 受理的投诉（%s）" },
    [T_AS_OF] = { "Figures as of event %lld of the stream", "数据截至事件流第 %lld 号事件" },
    [T_S1] = { "1. Complaints", "一、投诉总体情况" },
    [T_RECEIVED] = { "received", "收到投诉" },
    [T_ACCEPTED] = { "accepted", "已受理" },
    [T_REJECTED] = { "not accepted", "不予受理" },
    [T_WITHDRAWN] = { "withdrawn by the customer", "客户撤回" },
    [T_RESOLVED] = { "resolved", "已处理" },
    [T_CLOSED] = { "closed", "已办结" },
    [T_REVIEWED] = { "reviewed", "复核" },
    [T_REOPENED] = { "reopened", "重新处理" },
    [T_ESCALATED] = { "escalated", "升级处理" },
    [T_MAJOR] = { "major complaints", "重大投诉" },
    [T_S2] = { "2. By business line", "二、按业务类别分类" },
    [T_S3] = { "3. By cause", "三、按投诉原因分类" },
    [T_S4] = { "4. By channel", "四、按受理渠道分类" },
    [T_BUSINESS_LINE] = { "business line", "业务类别" },
    [T_CAUSE] = { "cause", "投诉原因" },
    [T_CHANNEL] = { "channel", "受理渠道" },
    [T_COMPLAINTS] = { "complaints", "件数" },
    [T_SHARE] = { "share", "占比" },
    [T_UNASSIGNED] = { "(not yet classified)", "（尚未分类）" },
    [T_NONE] = { "(no complaints in the period)", "（本期无投诉）" },
    [T_S5] = { "5. Timeliness", "五、处理时效" },
    [T_S6] = { "6. Satisfaction", "六、客户满意度" },
    [T_TARGET] = { "target", "目标" },
    [T_MET] = { "met", "达标" },
    [T_MISSED] = { "MISSED", "未达标" },
    [T_OF] = { "over %s cases", "基数 %s 件" },
    [T_HIDDEN_RATE] = { "not shown (fewer than %d cases)", "不予公布（不足 %d 件）" },
    [T_NO_CASES] = { "no cases", "无" },
    [T_P50_ANSWER] = { "median time to the first answer", "首次答复时间中位数" },
    [T_P50_RESOLVE] = { "median time to resolution", "处理完成时间中位数" },
    [T_SATISFIED] = { "satisfied", "满意" },
    [T_NOT_SATISFIED] = { "not satisfied", "不满意" },
    [T_S7] = { "7. Outcomes", "七、处理结果" },
    [T_EXPLANATION] = { "explanation", "解释说明" },
    [T_ERROR_CORRECTED] = { "error corrected", "差错更正" },
    [T_REFUND] = { "refund", "退款" },
    [T_COMPENSATION] = { "compensation", "赔偿" },
    [T_APOLOGY] = { "apology", "道歉" },
    [T_PROCESS_CHANGE] = { "process change", "流程改进" },
    [T_AMOUNT] = { "amounts refunded or paid", "退款及赔偿金额" },
    [T_AMOUNT_HIDDEN] = { "not shown (fewer than %d cases with an amount)",
                          "不予公布（涉及金额的投诉不足 %d 件）" },
    [T_FOOT1] = { "Small cells: a count below %d is shown as \"<%d\", a rate over fewer than",
                  "小数据保护：少于 %d 件的数字显示为“<%d”，基数少于 %d 件的比率不予公布，" },
    [T_FOOT2] = { "%d cases is not shown, and \"x\" marks a cell withheld so that a hidden one",
                  "“x”表示为防止由合计反推被隐去的数字而一并隐去的数字，" },
    [T_FOOT3] = { "cannot be worked out from the total: with so few cases a customer could",
                  "以免据此识别出投诉客户（最小公布数 %d，--min-cell）。" },
    [T_FOOT4] = { "be recognised (minimum cell %d, --min-cell).", "" },
    /* issue 16 follow-up (analytics2) */
    [T_GOODWILL] = { "goodwill / extra service", "善意补偿/额外服务" },
    [T_SCORE1] = { "survey score 1 (very dissatisfied)", "调查评分 1（非常不满意）" },
    [T_SCORE2] = { "survey score 2", "调查评分 2" },
    [T_SCORE3] = { "survey score 3", "调查评分 3" },
    [T_SCORE4] = { "survey score 4", "调查评分 4" },
    [T_SCORE5] = { "survey score 5 (very satisfied)", "调查评分 5（非常满意）" },
    [T_S8] = { "8. Valid complaints", "八、有效投诉认定" },
    [T_VALID] = { "determined valid", "认定为有效投诉" },
    [T_INVALID] = { "determined not valid", "认定为无效投诉" },
};

typedef struct {
    bool zh;
    int k;                          /* the smallest count published */
    ctl_names_t *names;
} s_report_t;

static const char *
s_t (const s_report_t *r, s_text_t t)
{
    return s_texts [t][r->zh ? 1 : 0];
}

static long long
s_count (const json_t *kpi, const char *key)
{
    return (long long) json_integer_value (json_object_get (kpi, key));
}

/*  A count as it may be published. */
static const char *
s_cell (const s_report_t *r, long long n, char *buf, size_t size)
{
    return ctl_small_cell (n, r->k, buf, size);
}

/*  Text padded to `width` columns (s_pad: left-aligned, s_rpad: right):
 *  CJK characters take two columns and three bytes, so printf's byte
 *  widths would misalign them. */
static int
s_columns (const char *text)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        if ((*p & 0xC0) != 0x80)
            cols += *p >= 0xE3 ? 2 : 1;         /* U+3000 and up: wide */
    return cols;
}

static void
s_pad (const char *text, int width)
{
    fputs (text, stdout);
    for (int i = s_columns (text); i < width; i++)
        putchar (' ');
}

static void
s_rpad (const char *text, int width)
{
    for (int i = s_columns (text); i < width; i++)
        putchar (' ');
    fputs (text, stdout);
}

static void
s_line (const s_report_t *r, s_text_t label, long long n)
{
    char buf [32];
    printf ("   ");
    s_pad (s_t (r, label), S_LABEL);
    printf ("%10s\n", s_cell (r, n, buf, sizeof buf));
}

/*  A breakdown: one row per group, most complaints first, with its share. */
static void
s_breakdown (const s_report_t *r, s_text_t section, s_text_t dim, const char *kind,
             const json_t *reply)
{
    printf ("\n%s\n", s_t (r, section));
    const json_t *groups = json_object_get (reply, "groups");
    long long total = s_count (json_object_get (reply, "kpi"), "received");
    size_t n = json_array_size (groups);
    if (n == 0 || total == 0) {
        printf ("   %s\n", s_t (r, T_NONE));
        return;
    }
    small_cells_row_t *rows = (small_cells_row_t *) calloc (n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        const json_t *g = json_array_get (groups, i);
        const char *key = json_string_value (json_object_get (g, "key"));
        rows [i].key = key && *key ? ctl_names_get (r->names, kind, key, r->zh ? "zh" : "en")
                                   : s_t (r, T_UNASSIGNED);
        rows [i].n = s_count (json_object_get (g, "kpi"), "received");
    }
    small_cells_sort (rows, n);
    small_cells_apply (rows, n, r->k);
    printf ("   ");
    s_pad (s_t (r, dim), S_LABEL);
    s_rpad (s_t (r, T_COMPLAINTS), 11);
    s_rpad (s_t (r, T_SHARE), 9);
    printf ("\n");
    for (size_t i = 0; i < n; i++) {
        char cell [32], share [32];
        if (rows [i].withheld) {
            snprintf (cell, sizeof cell, "x");
            snprintf (share, sizeof share, "x");
        }
        else if (rows [i].hidden) {
            s_cell (r, rows [i].n, cell, sizeof cell);
            snprintf (share, sizeof share, "x");
        }
        else {
            s_cell (r, rows [i].n, cell, sizeof cell);
            snprintf (share, sizeof share, "%.1f%%", 100.0 * (double) rows [i].n / (double) total);
        }
        printf ("   ");
        s_pad (rows [i].key, S_LABEL);
        printf ("%11s%9s\n", cell, share);
    }
    free (rows);
}

/*  One KPI: its rate, target and status, and the counts it is made of —
 *  or, over fewer than K cases, that it is not shown. */
static void
s_rate (const s_report_t *r, const json_t *kpi, const json_t *targets, size_t i)
{
    const char *name = ctl_rate_name (i);
    const json_t *rate = json_object_get (kpi, name);
    const json_t *target = json_object_get (targets, name);
    int64_t num, den;
    ctl_rate_counts (kpi, name, &num, &den);
    printf ("   ");
    s_pad (ctl_rate_label (i, r->zh ? "zh" : "en"), S_LABEL);
    if (den <= 0 || !json_is_number (rate)) {
        printf (" %s\n", s_t (r, T_NO_CASES));
        return;
    }
    if (den < r->k) {
        printf (" ");
        printf (s_t (r, T_HIDDEN_RATE), r->k);
        printf ("\n");
        return;
    }
    //  The base only: the numerator follows from rate x base, so printing
    //  it as "<K" would hide nothing and say less.
    char rtext [32], ttext [32], b [32], of [80];
    snprintf (of, sizeof of, s_t (r, T_OF), s_cell (r, den, b, sizeof b));
    int met = ctl_rate_met (rate, target);
    printf (" %8s", ctl_rate_text (rate, rtext, sizeof rtext));
    if (met >= 0)
        printf ("  %s %s %s", s_t (r, T_TARGET), ctl_rate_text (target, ttext, sizeof ttext),
                s_t (r, met ? T_MET : T_MISSED));
    printf ("  (%s)\n", of);
}

/*  A bucket bound as people say it: "≤ 1 h", "≤ 15 d". */
static void
s_median (const s_report_t *r, s_text_t label, const json_t *time_to, const char *which)
{
    const json_t *t = json_object_get (time_to, which);
    long long cases = s_count (t, "cases");
    const json_t *p50 = json_object_get (t, "p50_ms");
    printf ("   ");
    s_pad (s_t (r, label), S_LABEL);
    if (cases == 0)
        printf (" %s\n", s_t (r, T_NO_CASES));
    else if (cases < r->k)
        printf (" %s\n", r->zh ? "不予公布" : "not shown");
    else if (!json_is_integer (p50))
        printf (" > 90 %s\n", r->zh ? "天" : "d");
    else {
        long long h = (long long) json_integer_value (p50) / 3600000;
        if (h < 48)
            printf (" <= %lld %s\n", h, r->zh ? "小时" : "h");
        else
            printf (" <= %lld %s\n", h / 24, r->zh ? "天" : "d");
    }
}

static void
s_print (const s_report_t *r, int64_t from, int64_t to, const json_t *by_line,
         const json_t *by_cause, const json_t *by_channel)
{
    const json_t *kpi = json_object_get (by_line, "kpi");
    const json_t *targets = json_object_get (by_line, "targets");
    char t0 [48], t1 [48];
    long long as_of = (long long) json_integer_value (json_object_get (by_channel, "as_of_seq"));
    printf ("%s\n\n", s_t (r, T_TITLE));
    printf (s_t (r, T_PERIOD), ctl_zone_time (from, t0, sizeof t0),
            ctl_zone_time (to, t1, sizeof t1),
            json_string_value (json_object_get (by_line, "zone")));
    printf ("\n");
    printf (s_t (r, T_AS_OF), as_of);
    printf ("\n\n%s\n", s_t (r, T_S1));
    static const struct { s_text_t label; const char *key; } overview [] = {
        { T_RECEIVED, "received" }, { T_ACCEPTED, "accepted" }, { T_REJECTED, "rejected" },
        { T_WITHDRAWN, "withdrawn" }, { T_RESOLVED, "resolved" }, { T_CLOSED, "closed" },
        { T_REVIEWED, "reviewed" }, { T_REOPENED, "reopened" }, { T_ESCALATED, "escalated" },
        { T_MAJOR, "major" },
    };
    for (size_t i = 0; i < sizeof overview / sizeof overview [0]; i++)
        s_line (r, overview [i].label, s_count (kpi, overview [i].key));

    s_breakdown (r, T_S2, T_BUSINESS_LINE, "business_line", by_line);
    s_breakdown (r, T_S3, T_CAUSE, "cause", by_cause);
    s_breakdown (r, T_S4, T_CHANNEL, "channel", by_channel);

    printf ("\n%s\n", s_t (r, T_S5));
    for (size_t i = 0; i < ctl_rate_count (); i++)
        if (strcmp (ctl_rate_name (i), "satisfaction_rate") != 0
        &&  strcmp (ctl_rate_name (i), "valid_rate") != 0)
            s_rate (r, kpi, targets, i);
    const json_t *time_to = json_object_get (kpi, "time_to");
    s_median (r, T_P50_ANSWER, time_to, "answer");
    s_median (r, T_P50_RESOLVE, time_to, "resolve");

    printf ("\n%s\n", s_t (r, T_S6));
    for (size_t i = 0; i < ctl_rate_count (); i++)
        if (strcmp (ctl_rate_name (i), "satisfaction_rate") == 0)
            s_rate (r, kpi, targets, i);
    s_line (r, T_SATISFIED, s_count (kpi, "satisfied"));
    s_line (r, T_NOT_SATISFIED, s_count (kpi, "not_satisfied"));
    /* issue 16 follow-up (analytics2): the survey's score distribution */
    static const struct { s_text_t label; const char *key; } scores [] = {
        { T_SCORE1, "score_1" }, { T_SCORE2, "score_2" }, { T_SCORE3, "score_3" },
        { T_SCORE4, "score_4" }, { T_SCORE5, "score_5" },
    };
    for (size_t i = 0; i < sizeof scores / sizeof scores [0]; i++)
        s_line (r, scores [i].label, s_count (kpi, scores [i].key));

    printf ("\n%s\n", s_t (r, T_S7));
    static const struct { s_text_t label; const char *key; } outcomes [] = {
        { T_EXPLANATION, "outcome_explanation" }, { T_ERROR_CORRECTED, "outcome_error_corrected" },
        { T_REFUND, "outcome_refund" }, { T_COMPENSATION, "outcome_compensation" },
        { T_APOLOGY, "outcome_apology" }, { T_PROCESS_CHANGE, "outcome_process_change" },
        { T_GOODWILL, "outcome_goodwill" },     /* issue 16 follow-up (analytics2) */
    };
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes [0]; i++)
        s_line (r, outcomes [i].label, s_count (kpi, outcomes [i].key));
    long long money = s_count (kpi, "outcome_refund") + s_count (kpi, "outcome_compensation");
    long long cents = s_count (kpi, "amount_cents");
    printf ("   ");
    s_pad (s_t (r, T_AMOUNT), S_LABEL);
    if (money >= r->k || (money == 0 && cents == 0))
        printf (" %lld.%02lld\n", cents / 100, cents % 100);
    else {
        printf (" ");
        printf (s_t (r, T_AMOUNT_HIDDEN), r->k);
        printf ("\n");
    }

    /* issue 16 follow-up (analytics2): 有效投诉认定 */
    printf ("\n%s\n", s_t (r, T_S8));
    for (size_t i = 0; i < ctl_rate_count (); i++)
        if (strcmp (ctl_rate_name (i), "valid_rate") == 0)
            s_rate (r, kpi, targets, i);
    s_line (r, T_VALID, s_count (kpi, "determined_valid"));
    s_line (r, T_INVALID, s_count (kpi, "determined_invalid"));

    printf ("\n--\n");
    if (r->zh) {
        printf (s_t (r, T_FOOT1), r->k, r->k, r->k);
        printf ("\n%s\n", s_t (r, T_FOOT2));
        printf (s_t (r, T_FOOT3), r->k);
        printf ("\n");
    }
    else {
        printf (s_t (r, T_FOOT1), r->k, r->k);
        printf ("\n");
        printf (s_t (r, T_FOOT2), r->k);
        printf ("\n%s\n", s_t (r, T_FOOT3));
        printf (s_t (r, T_FOOT4), r->k);
        printf ("\n");
    }
    fflush (stdout);
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl report [--from DAY] [--to DAY] [--lang zh|en] [--min-cell K]\n"
        "                           [OPTIONS]\n"
        "\n"
        "The management summary of the complaints received from --from to --to (days in\n"
        "the bank's zone, both included; default the last 30 days, today included), as\n"
        "text: counts, by business line, cause and channel, timeliness, satisfaction,\n"
        "outcomes (the bulletin of seed 004). Counts below K are shown as \"<K\", rates\n"
        "over fewer than K cases are not shown.\n"
        "\n"
        "  --format F         text (default), html or pdf: the bulletin with charts from\n"
        "                     the daemon's --http side (default period: the last 183 days)\n"
        "  --out FILE         where html or pdf is written (required with them)\n"
        "  --http ADDR        the daemon's HTTP address (COMPLAINTS_ANALYTICS_HTTP,\n"
        "                     default %s); pdf runs headless chromium\n", CFG_ANALYTICS_HTTP);
    ctl_aopts_usage (out, CTL_AUSAGE_PERIOD | CTL_AUSAGE_LANG | CTL_AUSAGE_MIN_CELL);
}

/*  --format, --out, --http: the bulletin as a document (report_doc.c). */
typedef struct {
    const char *format, *out, *http;
} s_document_t;

enum { O_FORMAT = 256, O_OUT, O_HTTP };

static int
s_option (void *arg, int opt, const char *value)
{
    s_document_t *doc = (s_document_t *) arg;
    if (opt == O_FORMAT)
        doc->format = value;
    else
    if (opt == O_OUT)
        doc->out = value;
    else
        doc->http = value;
    return 0;
}

int
ctl_report (int argc, char **argv)
{
    static const struct option options [] = {
        CTL_AOPT_PERIOD, CTL_AOPT_LANG, CTL_AOPT_MIN_CELL, CTL_AOPT_ENDPOINT,
        { "format", required_argument, NULL, O_FORMAT },
        { "out", required_argument, NULL, O_OUT },
        { "http", required_argument, NULL, O_HTTP },
        { NULL, 0, NULL, 0 }
    };
    ctl_aopts_t o;
    s_document_t doc = { "text", NULL, NULL };
    int rc = ctl_aopts_parse (&o, "report", argc, argv, options, s_usage, s_option, &doc);
    if (rc != CTL_EXIT_OK)
        return rc == CTL_AOPT_STOP ? CTL_EXIT_OK : rc;
    s_report_t r = { .zh = strcmp (o.lang, "zh") == 0, .k = o.min_cell };
    if (strcmp (doc.format, "text") != 0) {
        if (strcmp (doc.format, "html") != 0 && strcmp (doc.format, "pdf") != 0) {
            fprintf (stderr, "complaintctl report: --format must be text, html or pdf, "
                     "not \"%s\"\n", doc.format);
            return CTL_EXIT_USAGE;
        }
        if (!doc.out || !*doc.out) {
            fprintf (stderr, "complaintctl report: --format %s needs --out FILE\n", doc.format);
            return CTL_EXIT_USAGE;
        }
        //  K only when given (flag or environment): else the daemon's own.
        bool k_given = ctl_setting (o.min_cell_text, CTL_MIN_CELL_ENV, NULL) != NULL;
        return ctl_report_document (doc.format, doc.out, ctl_setting (doc.http,
                                    CFG_ENV_ANALYTICS_HTTP, CFG_ANALYTICS_HTTP),
                                    o.has_from ? &o.from_day : NULL,
                                    o.has_to ? &o.to_day : NULL, o.lang, k_given ? r.k : 0,
                                    o.timeout_ms);
    }
    int64_t from, to;
    rc = ctl_aopts_period (&o, "report", &from, &to);
    if (rc != CTL_EXIT_OK)
        return rc;
    static const char *const dims [3] = { "business_line", "cause", "channel" };
    json_t *answers [3] = { NULL, NULL, NULL };
    for (int i = 0; i < 3 && rc == CTL_EXIT_OK; i++)
        rc = ctl_analytics_ask ("report", o.endpoint, (int) o.timeout_ms, "kpi", from, to, dims [i],
                                NULL, NULL, &answers [i]);
    if (rc == CTL_EXIT_OK) {
        r.names = ctl_names_load ();
        s_print (&r, from, to, answers [0], answers [1], answers [2]);
        ctl_names_destroy (&r.names);
    }
    for (int i = 0; i < 3; i++)
        json_decref (answers [i]);
    return rc;
}

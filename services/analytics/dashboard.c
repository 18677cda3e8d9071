/*  dashboard.c — the dashboard and the bulletin as HTML with inline SVG
 *  (see dashboard.h; docs/analytics.md "Dashboard" and "Bulletin").
 *
 *  How a page is made. The parameters are checked first, each against its
 *  own rule, and the first bad one is the 400 answer, named. Then every
 *  figure the page needs is asked for — `kpi`, `series` and `hotspots`
 *  requests packed by analytics_request_pack, answered by
 *  analytics_query_answer, the answers turned into JSON (msgpack_json) —
 *  and only when all have answered is the page written, top to bottom,
 *  into a memory stream. A store failure anywhere is a 503 and no half
 *  page.
 *
 *  The two pages differ in who reads them. The dashboard is for the
 *  complaint office on the bank's own network (loopback by default):
 *  exact counts, open cases by number, the at-risk list. The bulletin is
 *  the document that is published (seed 004, 第八條 (四)): it follows
 *  complaintctl report's small-cell rules to the letter — a count from 1
 *  to K-1 is "<K", a rate over fewer than K cases is not shown, when a
 *  breakdown hides exactly one cell the smallest other one is withheld
 *  too ("x", so the hidden one cannot be had from the total), amounts only
 *  over K cases with money — and carries no complaint numbers.
 *
 *  Times are the bank's: every instant is printed with calendar_format_local
 *  ("2026-12-05 20:30 +08:00 Sat") and the zone's name is in the header.
 *  The page loads nothing: no script, no font, no image from anywhere; the
 *  fonts are the reader's own (Noto Sans CJK where it is installed).
 */
#include "dashboard.h"
#include "analytics_query.h"
#include "analytics_request.h"
#include "dashboard_store.h"
#include "msgpack_json.h"
#include "small_cells.h"
#include "svg_chart.h"

#include <czmq.h>
#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY_MS        86400000LL
#define S_RISK_ROWS     50          /* at-risk cases listed (all are counted) */
#define S_BULLETIN_DAYS 183         /* the default period: about half a year */
#define S_BULLETIN_MAX  731         /* days a bulletin may span */

//  --------------------------------------------------------------------------
//  Words, in English and Chinese: [text][0 en, 1 zh].

typedef enum {
    T_DASHBOARD, T_BULLETIN, T_PERIOD, T_AS_OF, T_ZONE, T_OTHER_LANG, T_KPIS, T_TARGET,
    T_MET, T_MISSED, T_NO_TARGET, T_CASES, T_NO_CASES, T_COUNTS, T_TRENDS, T_RECEIVED_DAY,
    T_RATES_DAY, T_HEAT, T_HEAT_NOTE, T_AT_RISK, T_AT_RISK_DEF, T_AT_RISK_NONE, T_OVERDUE,
    T_DUE_IN, T_HOTSPOTS, T_HOTSPOTS_NONE, T_NO, T_DEPARTMENT, T_BRANCH, T_CAUSE, T_STATE,
    T_PRIORITY, T_RECEIVED_AT, T_DUE, T_LEFT, T_BREACHES, T_KIND, T_RULE, T_BUSINESS_LINE,
    T_CHANNEL, T_COUNT, T_WINDOW, T_OPENED, T_LAST, T_CLEARED, T_OPEN_NOW, T_MEDIAN_ANSWER,
    T_MEDIAN_RESOLVE, T_SOURCE, T_S1, T_S2, T_S3, T_S4, T_S5, T_S6, T_S7, T_S8, T_COMPLAINTS,
    T_SHARE, T_HIDDEN_RATE, T_MONTHLY, T_SATISFIED, T_NOT_SATISFIED, T_AMOUNT, T_AMOUNT_HIDDEN,
    T_SMALL_CELLS, T_NONE, T_HOURS, T_DAYS, T_HOTSPOTS_PERIOD, T_COUNT_TEXT,
    /* issue 16 follow-up (analytics2) */
    T_SCORES, T_SCORE, T_SCORE_MEAN, T_S9, T_VALID, T_INVALID, T_VALID_HEAD
} s_text_t;

static const char *const s_texts [][2] = {
    [T_DASHBOARD] = { "Complaints dashboard", "客户投诉管理看板" },
    [T_BULLETIN] = { "Complaint bulletin", "客户投诉情况通报" },
    [T_PERIOD] = { "Complaints received", "统计期间（受理时间）" },
    [T_AS_OF] = { "Figures as of event", "数据截至事件" },
    [T_ZONE] = { "times in", "时间均为" },
    [T_OTHER_LANG] = { "中文", "English" },
    [T_KPIS] = { "Key indicators against targets", "关键指标与目标" },
    [T_TARGET] = { "target", "目标" },
    [T_MET] = { "met", "达标" },
    [T_MISSED] = { "missed", "未达标" },
    [T_NO_TARGET] = { "no target", "无目标" },
    [T_CASES] = { "cases", "件" },
    [T_NO_CASES] = { "no cases", "无数据" },
    [T_COUNTS] = { "Counts", "投诉数量" },
    [T_TRENDS] = { "Trends per day", "每日趋势" },
    [T_RECEIVED_DAY] = { "Complaints received per day", "每日收到投诉" },
    [T_RATES_DAY] = { "Rates per day of receipt", "按受理日的比率" },
    [T_HEAT] = { "Branch x cause: complaints received", "网点 × 投诉原因：收到投诉" },
    [T_HEAT_NOTE] = { "The busiest branches and causes of the period; a row's and a column's "
                      "totals are the kpi answer by branch and by cause.",
                      "本期投诉最多的网点与原因；行合计、列合计即按网点、按原因的 kpi 结果。" },
    [T_AT_RISK] = { "Cases at risk of breaching", "临近时限的投诉" },
    [T_AT_RISK_DEF] = { "Open and not yet decided (no resolution, no rejection), whose 15-day "
                        "decision deadline (on the bank's calendar) has passed or falls within "
                        "the next %d hours; most urgent first.",
                        "尚未作出处理决定（未处理、未不予受理）且仍未结的投诉，其 15 日处理时限"
                        "（按本行工作日历）已过或将在 %d 小时内届满；最紧急的在前。" },
    [T_AT_RISK_NONE] = { "No case at risk.", "没有临近时限的投诉。" },
    [T_OVERDUE] = { "overdue", "已逾期" },
    [T_DUE_IN] = { "due within %d h", "%d 小时内到期" },
    [T_HOTSPOTS] = { "Open hot spots", "当前热点" },
    [T_HOTSPOTS_NONE] = { "No hot spot is open.", "当前没有热点。" },
    [T_NO] = { "complaint", "投诉编号" },
    [T_DEPARTMENT] = { "department", "部门" },
    [T_BRANCH] = { "branch", "网点" },
    [T_CAUSE] = { "cause", "投诉原因" },
    [T_STATE] = { "state", "状态" },
    [T_PRIORITY] = { "priority", "优先级" },
    [T_RECEIVED_AT] = { "received", "受理时间" },
    [T_DUE] = { "15-day deadline", "15日时限" },
    [T_LEFT] = { "left", "剩余" },
    [T_BREACHES] = { "SLA breaches", "超时次数" },
    [T_KIND] = { "kind", "类型" },
    [T_RULE] = { "rule", "规则" },
    [T_BUSINESS_LINE] = { "business line", "业务类别" },
    [T_CHANNEL] = { "channel", "受理渠道" },
    [T_COUNT] = { "count", "件数" },
    [T_WINDOW] = { "window", "窗口" },
    [T_OPENED] = { "opened", "发现时间" },
    [T_LAST] = { "last complaint", "最近投诉" },
    [T_CLEARED] = { "cleared", "解除时间" },
    [T_OPEN_NOW] = { "open", "未解除" },
    [T_MEDIAN_ANSWER] = { "median time to the first answer", "首次答复时间中位数" },
    [T_MEDIAN_RESOLVE] = { "median time to resolution", "处理完成时间中位数" },
    [T_SOURCE] = { "Every figure is the analytics daemon's kpi, series or hotspots answer "
                   "(docs/analytics.md).",
                   "所有数字均来自分析服务的 kpi、series、hotspots 查询结果（docs/analytics.md）。" },
    [T_S1] = { "1. Complaints", "一、投诉总体情况" },
    [T_S2] = { "2. By business line", "二、按业务类别分类" },
    [T_S3] = { "3. By cause", "三、按投诉原因分类" },
    [T_S4] = { "4. By channel", "四、按受理渠道分类" },
    [T_S5] = { "5. Timeliness", "五、处理时效" },
    [T_S6] = { "6. Satisfaction", "六、客户满意度" },
    [T_S7] = { "7. Hot spots", "七、投诉热点" },
    [T_S8] = { "8. Outcomes", "八、处理结果" },
    /* issue 16 follow-up (analytics2) */
    [T_S9] = { "9. Valid complaints", "九、有效投诉认定" },
    [T_SCORES] = { "Survey scores (1 very dissatisfied .. 5 very satisfied)",
                   "满意度调查评分（1 非常不满意 … 5 非常满意）" },
    [T_SCORE] = { "score %d", "%d 分" },
    [T_SCORE_MEAN] = { "mean score", "平均分" },
    [T_VALID] = { "determined valid", "认定为有效投诉" },
    [T_INVALID] = { "determined not valid", "认定为无效投诉" },
    [T_VALID_HEAD] = { "Valid-complaint determinations", "有效投诉认定" },
    [T_COMPLAINTS] = { "complaints", "件数" },
    [T_SHARE] = { "share", "占比" },
    [T_HIDDEN_RATE] = { "not shown (fewer than %d cases)", "不予公布（不足 %d 件）" },
    [T_MONTHLY] = { "Complaints received per month", "每月收到投诉" },
    [T_SATISFIED] = { "satisfied", "满意" },
    [T_NOT_SATISFIED] = { "not satisfied", "不满意" },
    [T_AMOUNT] = { "amounts refunded or paid", "退款及赔偿金额" },
    [T_AMOUNT_HIDDEN] = { "not shown (fewer than %d cases with an amount)",
                          "不予公布（涉及金额的投诉不足 %d 件）" },
    [T_SMALL_CELLS] = { "Small cells: a count below %d is shown as \"<%d\", a rate over fewer "
                        "than %d cases is not shown, and \"x\" (\"–\" in a chart) marks a count "
                        "withheld so that a hidden one cannot be worked out from the total: with "
                        "so few cases a customer could be recognised.",
                        "小数据保护：少于 %d 件的数字显示为“<%d”，基数少于 %d 件的比率不予公布；"
                        "“x”（图中为“–”）表示为防止由合计反推被隐去的数字而一并隐去的数字，"
                        "以免据此识别出投诉客户。" },
    [T_NONE] = { "(no complaints in the period)", "（本期无投诉）" },
    [T_HOURS] = { "h", "小时" },
    [T_DAYS] = { "d", "天" },
    [T_HOTSPOTS_PERIOD] = { "Hot spots open during the period (docs/analytics.md \"Hot spots\").",
                            "本期内出现或仍未解除的热点（同一网点同类问题反复发生等）。" },
    [T_COUNT_TEXT] = { "", "" },
};

/*  Names of the classification's keys (the router's vocabulary). */
static const struct {
    const char *key, *en, *zh;
} s_names [] = {
    { "accounts_deposits", "accounts and deposits", "存款与账户" },
    { "loans", "loans", "贷款" },
    { "cards", "cards", "银行卡" },
    { "payments_transfers", "payments and transfers", "支付结算" },
    { "wealth_insurance", "wealth and insurance", "理财与保险" },
    { "ebanking_app", "e-banking and app", "电子银行" },
    { "fees_charges", "fees and charges", "收费" },
    { "service_attitude", "service attitude", "服务态度" },
    { "system_fault", "system fault", "系统故障" },
    { "efficiency_process", "efficiency and process", "效率与流程" },
    { "staff_misconduct", "staff misconduct", "员工行为" },
    { "information_disclosure", "information disclosure", "信息披露" },
    { "product_terms_pricing", "product terms and pricing", "产品条款与定价" },
    { "fraud_security", "fraud and security", "欺诈与安全" },
    { "counter", "counter", "柜面" },
    { "hotline", "hotline", "客服热线" },
    { "web", "web", "网站" },
    { "app", "mobile app", "手机应用" },
    { "wechat", "WeChat", "微信" },
    { "sms", "SMS", "短信" },
    { "email", "e-mail", "电子邮件" },
    { "letter", "letter", "信函" },
    { "regulator", "regulator referral", "监管转办" },
    { "other", "other", "其他" },
    { "outlet", "same branch, same cause", "同一网点同类问题" },
    { "repeat_customer", "repeat complainant", "重复投诉" },
    { "surge", "surge", "激增" },
    { "received", "received", "已登记" },
    { "assigned", "assigned", "已分派" },
    { "accepted", "accepted", "已受理" },
    { "investigating", "investigating", "调查中" },
    { "awaiting_customer", "awaiting the customer", "待客户补充" },
    /* issue 16 (i16-integrate): the other open states an at-risk case may
     * be in (vetting's proposed among them) */
    { "proposed", "proposed, awaiting vetting", "方案待审核" },
    { "resolved", "resolved", "已处理" },
    { "under_review", "under review", "复核中" },
    { "reopened", "reopened", "重新处理" },
};


static const struct {
    const char *key, *en, *zh;
} s_counts [] = {
    { "received", "received", "收到投诉" },
    { "accepted", "accepted", "已受理" },
    { "rejected", "not accepted", "不予受理" },
    { "withdrawn", "withdrawn", "客户撤回" },
    { "resolved", "resolved", "已处理" },
    { "closed", "closed", "已办结" },
    { "reviewed", "reviewed", "复核" },
    { "reopened", "reopened", "重新处理" },
    { "escalated", "escalated", "升级处理" },
    { "major", "major complaints", "重大投诉" },
    { "breached_resolution", "resolution deadline breached", "处理超时" },
};
#define S_NCOUNTS (sizeof s_counts / sizeof s_counts [0])

static const struct {
    const char *key, *en, *zh;
} s_outcomes [] = {
    { "outcome_explanation", "explanation", "解释说明" },
    { "outcome_error_corrected", "error corrected", "差错更正" },
    { "outcome_refund", "refund", "退款" },
    { "outcome_compensation", "compensation", "赔偿" },
    { "outcome_apology", "apology", "道歉" },
    { "outcome_process_change", "process change", "流程改进" },
    { "outcome_goodwill", "goodwill / extra service", "善意补偿/额外服务" },  /* analytics2 */
};
#define S_NOUTCOMES (sizeof s_outcomes / sizeof s_outcomes [0])

typedef struct {
    const dashboard_env_t *env;
    bool zh;
    int k;                          /* the bulletin's smallest count; 0: exact */
    FILE *out;
    const char *code;               /* the first query's error, if any */
} s_page_t;

static const char *
s_t (const s_page_t *p, s_text_t t)
{
    return s_texts [t][p->zh ? 1 : 0];
}

static const char *
s_name (const s_page_t *p, const char *key)
{
    if (!key || !*key)
        return p->zh ? "（尚未分类）" : "(not yet classified)";
    for (size_t i = 0; i < sizeof s_names / sizeof s_names [0]; i++)
        if (strcmp (s_names [i].key, key) == 0)
            return p->zh ? s_names [i].zh : s_names [i].en;
    return key;
}

static const char *
s_rate_label (const s_page_t *p, const char *name)
{
    for (size_t i = 0; i < analytics_nrates; i++)
        if (strcmp (analytics_rates [i].name, name) == 0)
            return p->zh ? analytics_rates [i].zh : analytics_rates [i].en;
    return name;
}

static void
s_esc (s_page_t *p, const char *text)
{
    svg_chart_escape (p->out, text);
}

static long long
s_int (const json_t *obj, const char *key)
{
    return (long long) json_integer_value (json_object_get (obj, key));
}

static bool
s_small (const s_page_t *p, long long n)
{
    return p->k > 0 && n > 0 && n < p->k;
}

//  --------------------------------------------------------------------------
//  Replies

static void
s_reply_text (dashboard_reply_t *reply, int status, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char *text = zsys_vprintf (fmt, args);
    va_end (args);
    reply->status = status;
    reply->content_type = "text/plain; charset=utf-8";
    reply->body = text;
    reply->size = text ? strlen (text) : 0;
}

/*  A parameter's value as it may be echoed: printable ASCII, cut short. */
static const char *
s_echo (const char *value, char *buf, size_t size)
{
    size_t i = 0;
    for (; value [i] && i + 1 < size && i < 40; i++)
        buf [i] = value [i] >= 0x20 && value [i] < 0x7f && value [i] != '"' ? value [i] : '?';
    buf [i] = 0;
    return buf;
}

static void
s_bad (dashboard_reply_t *reply, const char *name, const char *value, const char *rule)
{
    char echo [48];
    if (value)
        s_reply_text (reply, 400, "invalid_field %s: %s, not \"%s\"\n", name, rule,
                      s_echo (value, echo, sizeof echo));
    else
        s_reply_text (reply, 400, "invalid_field %s: %s\n", name, rule);
}

void
dashboard_reply_free (dashboard_reply_t *reply)
{
    if (reply) {
        free (reply->body);
        reply->body = NULL;
        reply->size = 0;
    }
}

//  --------------------------------------------------------------------------
//  Parameters

static int
s_long (const char *text, long min, long max, long *value)
{
    if (!text || !*text || strlen (text) > 9)
        return -1;
    long v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
    }
    if (v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

/*  "YYYY-MM-DD", a real day of 2000-2099, as calendar days. */
static int
s_day (const char *text, int32_t *days)
{
    int y, m, d, n = 0;
    if (strlen (text) != 10 || text [4] != '-' || text [7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text [i] < '0' || text [i] > '9'))
            return -1;
    if (sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return -1;
    if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int32_t v = calendar_date_days (y, m, d);
    int yy, mm, dd;
    calendar_days_date (v, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return -1;                      /* 2026-02-30 */
    *days = v;
    return 0;
}

/*  00:00 of a local day, as unix ms. */
static int64_t
s_day_start (const calendar_t *calendar, int32_t days)
{
    char text [16];
    calendar_date_text (days, text, sizeof text);
    int64_t ms = 0;
    calendar_parse_local (calendar, text, &ms);
    return ms;
}

/*  Only the parameters a route knows, each at most once. */
static int
s_params_check (const dashboard_param_t *params, size_t n, const char *const *known,
                dashboard_reply_t *reply)
{
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp (*k, params [i].name) == 0;
        char echo [48], list [128] = "";
        if (!ok) {
            for (const char *const *k = known; *k; k++)
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s",
                          k == known ? "" : ", ", *k);
            s_reply_text (reply, 400, "invalid_field %s: not a parameter of this page "
                          "(it takes %s)\n", s_echo (params [i].name, echo, sizeof echo), list);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp (params [j].name, params [i].name) == 0) {
                s_bad (reply, params [i].name, NULL, "given more than once");
                return -1;
            }
        if (!params [i].value) {
            s_bad (reply, params [i].name, NULL, "has no value");
            return -1;
        }
        if (strlen (params [i].value) > DASHBOARD_MAX_VALUE) {
            s_bad (reply, params [i].name, NULL, "longer than 64 bytes");
            return -1;
        }
    }
    return 0;
}

static const char *
s_param (const dashboard_param_t *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (params [i].name, name) == 0)
            return params [i].value;
    return NULL;
}

static int
s_lang (const dashboard_param_t *params, size_t n, bool *zh, dashboard_reply_t *reply)
{
    const char *lang = s_param (params, n, "lang");
    if (lang && strcmp (lang, "zh") != 0 && strcmp (lang, "en") != 0) {
        s_bad (reply, "lang", lang, "must be zh or en");
        return -1;
    }
    *zh = !lang || strcmp (lang, "zh") == 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Asking analytics_query_answer, as any client would

static json_t *
s_ask (s_page_t *p, msgpack_sbuffer *request)
{
    msgpack_sbuffer reply;
    msgpack_sbuffer_init (&reply);
    const char *code = analytics_query_answer (p->env->store, p->env->calendar,
                                               p->env->targets, request->data, request->size,
                                               &reply);
    json_t *answer = NULL;
    if (!code) {
        proto_error_t err = { 0 };
        answer = msgpack_json_decode (reply.data, reply.size, reply.size,
                                      MSGPACK_JSON_MAX_DEPTH, &err);
        if (!answer)
            code = "internal";
    }
    if (code && !p->code)
        p->code = code;
    msgpack_sbuffer_destroy (&reply);
    msgpack_sbuffer_destroy (request);
    return answer;
}

static json_t *
s_kpi (s_page_t *p, int64_t from, int64_t to, const char *by)
{
    msgpack_sbuffer request;
    msgpack_sbuffer_init (&request);
    analytics_request_pack (&request, "kpi", from, to, by, NULL, NULL);
    return s_ask (p, &request);
}

static json_t *
s_series (s_page_t *p, int64_t from, int64_t to, const char *metric)
{
    msgpack_sbuffer request;
    msgpack_sbuffer_init (&request);
    analytics_request_pack (&request, "series", from, to, NULL, metric, "day");
    return s_ask (p, &request);
}

static json_t *
s_hotspots (s_page_t *p, bool all)
{
    msgpack_sbuffer request;
    msgpack_sbuffer_init (&request);
    analytics_hotspots_request_pack (&request, all);
    return s_ask (p, &request);
}

//  --------------------------------------------------------------------------
//  Pieces of a page

static void
s_time (s_page_t *p, int64_t ms)
{
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (p->env->calendar, ms, false, text, sizeof text);
    s_esc (p, text);
}

/*  An instant in a table: to the minute, with the offset ("2026-12-05
 *  20:43 +08:00"); calendar_format_local's seconds and weekday dropped. */
static void
s_time_short (s_page_t *p, int64_t ms, bool end_of_day)
{
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (p->env->calendar, ms, end_of_day, text, sizeof text);
    const char *offset = strchr (text + 16, ' ');
    char out [CALENDAR_TIME_SIZE];
    if (strlen (text) >= 16 && offset) {
        const char *end = strchr (offset + 1, ' ');
        snprintf (out, sizeof out, "%.16s %.*s", text, end ? (int) (end - offset - 1)
                                                           : (int) strlen (offset + 1),
                  offset + 1);
        s_esc (p, out);
    }
    else
        s_esc (p, text);
}

/*  The end of a period: its last day's 24:00, as people say it. */
static void
s_time_end (s_page_t *p, int64_t ms)
{
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (p->env->calendar, ms, true, text, sizeof text);
    s_esc (p, text);
}

static void
s_head (s_page_t *p, const char *title)
{
    FILE *out = p->out;
    fprintf (out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<title>", p->zh ? "zh-CN" : "en");
    s_esc (p, title);
    fputs ("</title>\n<style>\n"
        "body{font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"Source Han Sans SC\","
        "\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:24px auto;max-width:1100px;"
        "color:#222;padding:0 16px;font-size:14px}\n"
        "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;"
        "border-bottom:2px solid #0072B2;padding-bottom:4px}\n"
        ".meta{color:#555;margin:2px 0}.meta a{margin-left:12px}\n"
        ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));"
        "gap:12px}\n"
        ".card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;"
        "border-top:4px solid #999}\n"
        ".card.met{border-top-color:#009E73}.card.missed{border-top-color:#D55E00}\n"
        ".card .label{color:#555;font-size:13px}.card .value{font-size:26px;font-weight:bold}\n"
        ".card .sub{color:#666;font-size:12px}\n"
        ".missed .status{color:#D55E00;font-weight:bold}.met .status{color:#009E73}\n"
        "table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid #e3e3e3;"
        "padding:4px 10px;text-align:left;vertical-align:top}th{background:#f4f6f8}\n"
        "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
        ".overdue{color:#D55E00;font-weight:bold}.note{color:#666;font-size:12px}\n"
        ".charts{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}\n"
        "svg.chart{max-width:100%;height:auto}\n"
        ".foot{margin-top:28px;color:#666;font-size:12px;border-top:1px solid #ddd;"
        "padding-top:8px}\n"
        "@media print{body{margin:0;max-width:none}a{display:none}h2{break-after:avoid}"
        "table,svg{break-inside:avoid}}\n"
        "@page{size:A4;margin:14mm}\n"
        "</style></head>\n", out);
}

static void
s_header (s_page_t *p, const char *title, const char *path, const char *query,
          int64_t from, int64_t to, const json_t *answer)
{
    FILE *out = p->out;
    fprintf (out, "<body data-from=\"%" PRId64 "\" data-to=\"%" PRId64 "\" data-as-of-seq="
             "\"%lld\" data-zone=\"", from, to, s_int (answer, "as_of_seq"));
    s_esc (p, calendar_timezone (p->env->calendar));
    fprintf (out, "\" data-min-cell=\"%d\">\n<h1>", p->k);
    s_esc (p, title);
    fprintf (out, "</h1>\n<p class=\"meta\">%s: ", s_t (p, T_PERIOD));
    s_time (p, from);
    fputs (" – ", out);
    s_time_end (p, to);
    fprintf (out, " <a href=\"%s?lang=%s%s%s\">%s</a></p>\n", path, p->zh ? "en" : "zh",
             *query ? "&amp;" : "", query, s_t (p, T_OTHER_LANG));
    fprintf (out, "<p class=\"meta\">%s %lld · ", s_t (p, T_AS_OF), s_int (answer, "as_of_seq"));
    s_time_short (p, zclock_time (), false);
    fprintf (out, " · %s ", s_t (p, T_ZONE));
    s_esc (p, calendar_timezone (p->env->calendar));
    fputs ("</p>\n", out);
}

/*  A count in a cell: exact on the dashboard, "<K" when small on the bulletin. */
static void
s_count_cell (s_page_t *p, const char *key, long long n)
{
    if (s_small (p, n))
        fprintf (p->out, "<td class=\"num\" data-kpi=\"%s\" data-hidden=\"1\">&lt;%d</td>", key,
                 p->k);
    else
        fprintf (p->out, "<td class=\"num\" data-kpi=\"%s\" data-value=\"%lld\">%lld</td>", key,
                 n, n);
}

/*  A rate's base, as the protocol defines it. */
static long long
s_rate_base (const json_t *kpi, const char *name)
{
    int i = analytics_rate_index (name, strlen (name));
    if (i < 0)
        return 0;
    const analytics_rate_t *rate = &analytics_rates [i];
    long long den = s_int (kpi, rate->denominator);
    if (rate->plus)
        den += s_int (kpi, rate->plus);
    if (rate->minus)
        den -= s_int (kpi, rate->minus);
    return den;
}

static void
s_rate_card (s_page_t *p, const json_t *kpi, const json_t *targets, size_t i)
{
    FILE *out = p->out;
    const char *name = analytics_rates [i].name;
    const json_t *rate = json_object_get (kpi, name);
    const json_t *target = json_object_get (targets, name);
    long long base = s_rate_base (kpi, name);
    bool shown = json_is_number (rate) && !(p->k > 0 && base < p->k);
    double v = json_number_value (rate), t = json_number_value (target);
    const char *status = !shown || !json_is_number (target) ? "" : v >= t ? "met" : "missed";
    fprintf (out, "<div class=\"card %s\" data-kpi=\"%s\"", status, name);
    if (shown)
        fprintf (out, " data-value=\"%.17g\"", v);
    else
    if (json_is_number (rate))
        fputs (" data-hidden=\"1\"", out);
    else
        fputs (" data-value=\"null\"", out);
    if (json_is_number (target))
        fprintf (out, " data-target=\"%.17g\"", t);
    fprintf (out, "><div class=\"label\">%s</div><div class=\"value\">",
             p->zh ? analytics_rates [i].zh : analytics_rates [i].en);
    if (shown)
        fprintf (out, "%.1f%%", v * 100);
    else
        fputs ("–", out);
    fputs ("</div><div class=\"sub\">", out);
    if (json_is_number (target))
        fprintf (out, "%s %.1f%% <span class=\"status\">%s</span>", s_t (p, T_TARGET), t * 100,
                 !*status ? "" : s_t (p, strcmp (status, "met") == 0 ? T_MET : T_MISSED));
    else
        fputs (s_t (p, T_NO_TARGET), out);
    fputs ("<br>", out);
    if (!json_is_number (rate))
        fputs (s_t (p, T_NO_CASES), out);
    else
    if (!shown) {
        fprintf (out, s_t (p, T_HIDDEN_RATE), p->k);
    }
    else
        fprintf (out, "%s %lld %s", p->zh ? "基数" : "over", base, s_t (p, T_CASES));
    fputs ("</div></div>\n", out);
}

/*  A time_to median as people say it: "≤ 4 h", "≤ 15 d" (the bucket's bound). */
static void
s_median (s_page_t *p, const json_t *kpi, const char *which, s_text_t label)
{
    const json_t *t = json_object_get (json_object_get (kpi, "time_to"), which);
    long long cases = s_int (t, "cases");
    const json_t *p50 = json_object_get (t, "p50_ms");
    fprintf (p->out, "<tr><td>%s</td><td class=\"num\" data-kpi=\"time_to.%s.p50_ms\"",
             s_t (p, label), which);
    if (cases == 0)
        fprintf (p->out, " data-value=\"null\">%s", s_t (p, T_NO_CASES));
    else
    if (s_small (p, cases))
        fprintf (p->out, " data-hidden=\"1\">%s", p->zh ? "不予公布" : "not shown");
    else
    if (!json_is_integer (p50))
        fprintf (p->out, " data-value=\"null\">&gt; 90 %s", s_t (p, T_DAYS));
    else {
        long long ms = (long long) json_integer_value (p50), h = ms / 3600000;
        fprintf (p->out, " data-value=\"%lld\">≤ %lld %s", ms, h < 48 ? h : h / 24,
                 s_t (p, h < 48 ? T_HOURS : T_DAYS));
    }
    fprintf (p->out, "</td><td class=\"num\">%lld %s</td></tr>\n", cases, s_t (p, T_CASES));
}

/*  A day's short label "12-05" from a bucket's start. */
static void
s_day_label (s_page_t *p, int64_t ms, char *buf, size_t size)
{
    char text [CALENDAR_TIME_SIZE];
    calendar_format_local (p->env->calendar, ms, false, text, sizeof text);
    snprintf (buf, size, "%.5s", text + 5);
}

/*  One series answer into one row of a line chart (columns made once). */
static void
s_series_row (s_page_t *p, svg_chart_t *chart, const json_t *answer, const char *label,
              bool columns)
{
    const json_t *points = json_object_get (answer, "points");
    int row = svg_chart_add_row (chart, label);
    for (size_t i = 0; i < json_array_size (points); i++) {
        const json_t *point = json_array_get (points, i);
        if (columns) {
            char day [16];
            s_day_label (p, (int64_t) json_integer_value (json_array_get (point, 0)), day,
                         sizeof day);
            svg_chart_add_column (chart, day);
        }
        const json_t *v = json_array_get (point, 1);
        svg_chart_set (chart, row, (int) i, json_is_number (v) ? json_number_value (v) : NAN);
    }
}

static void
s_chart (s_page_t *p, svg_chart_t **chart_p)
{
    svg_chart_print (*chart_p, p->out);
    svg_chart_destroy (chart_p);
}

//  --------------------------------------------------------------------------
//  The dashboard

typedef struct {
    char key [64];
    long long total;
} s_key_t;

static int
s_key_compare (const void *a, const void *b)
{
    const s_key_t *x = (const s_key_t *) a, *y = (const s_key_t *) b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp (x->key, y->key);
}

static void
s_heat (s_page_t *p, PGresult *res)
{
    s_key_t rows [DASHBOARD_HEAT_ROWS], columns [DASHBOARD_HEAT_COLUMNS];
    int nrows = 0, ncolumns = 0;
    for (int r = 0; r < PQntuples (res); r++) {
        const char *branch = PQgetvalue (res, r, 0), *cause = PQgetvalue (res, r, 1);
        int i = 0;
        while (i < nrows && strcmp (rows [i].key, branch) != 0)
            i++;
        if (i == nrows && nrows < DASHBOARD_HEAT_ROWS) {
            snprintf (rows [nrows].key, sizeof rows [0].key, "%s", branch);
            rows [nrows++].total = atoll (PQgetvalue (res, r, 3));
        }
        i = 0;
        while (i < ncolumns && strcmp (columns [i].key, cause) != 0)
            i++;
        if (i == ncolumns && ncolumns < DASHBOARD_HEAT_COLUMNS) {
            snprintf (columns [ncolumns].key, sizeof columns [0].key, "%s", cause);
            columns [ncolumns++].total = atoll (PQgetvalue (res, r, 4));
        }
    }
    qsort (columns, (size_t) ncolumns, sizeof columns [0], s_key_compare);
    svg_chart_t *chart = svg_chart_new (SVG_CHART_HEAT, s_t (p, T_HEAT));
    //  Keys in the attributes (data-row, data-col) so a test can add up a
    //  branch's row; people read the names.
    for (int i = 0; i < nrows; i++)
        svg_chart_add_row (chart, rows [i].key [0] ? rows [i].key : "-");
    for (int i = 0; i < ncolumns; i++)
        svg_chart_add_column (chart, columns [i].key [0] ? s_name (p, columns [i].key) : "-");
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncolumns; c++)
            svg_chart_set (chart, r, c, 0);
    for (int t = 0; t < PQntuples (res); t++) {
        int r = 0, c = 0;
        while (r < nrows && strcmp (rows [r].key, PQgetvalue (res, t, 0)) != 0)
            r++;
        while (c < ncolumns && strcmp (columns [c].key, PQgetvalue (res, t, 1)) != 0)
            c++;
        svg_chart_set (chart, r, c, (double) atoll (PQgetvalue (res, t, 2)));
    }
    fputs ("<div id=\"heat\">", p->out);
    s_chart (p, &chart);
    fprintf (p->out, "<p class=\"note\">%s</p></div>\n", s_t (p, T_HEAT_NOTE));
}

static void
s_left (s_page_t *p, int64_t left_ms)
{
    long long h = (left_ms < 0 ? -left_ms : left_ms) / 3600000;
    if (left_ms < 0)
        fprintf (p->out, "<span class=\"overdue\">%s %lld %s</span>", s_t (p, T_OVERDUE),
                 h < 48 ? h : h / 24, s_t (p, h < 48 ? T_HOURS : T_DAYS));
    else
        fprintf (p->out, "%lld %s", h < 48 ? h : h / 24, s_t (p, h < 48 ? T_HOURS : T_DAYS));
}

static void
s_at_risk (s_page_t *p, PGresult *res, int hours)
{
    FILE *out = p->out;
    int n = PQntuples (res);
    long long total = n ? atoll (PQgetvalue (res, 0, DASHBOARD_RISK_TOTAL)) : 0;
    long long overdue = n ? atoll (PQgetvalue (res, 0, DASHBOARD_RISK_OVERDUE)) : 0;
    fprintf (out, "<h2 id=\"at-risk\" data-at-risk=\"%lld\" data-overdue=\"%lld\">%s: %lld "
             "(%s %lld)</h2>\n<p class=\"note\">", total, overdue, s_t (p, T_AT_RISK), total,
             s_t (p, T_OVERDUE), overdue);
    fprintf (out, s_t (p, T_AT_RISK_DEF), hours);
    fputs ("</p>\n", out);
    if (n == 0) {
        fprintf (out, "<p>%s</p>\n", s_t (p, T_AT_RISK_NONE));
        return;
    }
    fprintf (out, "<table id=\"at-risk-cases\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
             "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
             s_t (p, T_NO), s_t (p, T_DEPARTMENT), s_t (p, T_BRANCH), s_t (p, T_CAUSE),
             s_t (p, T_STATE), s_t (p, T_PRIORITY), s_t (p, T_RECEIVED_AT), s_t (p, T_DUE),
             s_t (p, T_LEFT), s_t (p, T_BREACHES));
    for (int r = 0; r < n; r++) {
        int64_t due = atoll (PQgetvalue (res, r, DASHBOARD_RISK_DUE_MS));
        int64_t now = atoll (PQgetvalue (res, r, DASHBOARD_RISK_NOW_MS));
        fputs ("<tr data-complaint=\"", out);
        s_esc (p, PQgetvalue (res, r, DASHBOARD_RISK_NO));
        fputs ("\"><td>", out);
        s_esc (p, PQgetvalue (res, r, DASHBOARD_RISK_NO));
        if (strcmp (PQgetvalue (res, r, DASHBOARD_RISK_MAJOR), "t") == 0)
            fputs (p->zh ? " ⚑重大" : " ⚑major", out);
        for (int c = DASHBOARD_RISK_DEPARTMENT; c <= DASHBOARD_RISK_PRIORITY; c++) {
            fputs ("</td><td>", out);
            const char *v = PQgetvalue (res, r, c);
            s_esc (p, c == DASHBOARD_RISK_CAUSE || c == DASHBOARD_RISK_STATE ? s_name (p, v)
                                                                             : *v ? v : "-");
        }
        fputs ("</td><td>", out);
        s_time_short (p, atoll (PQgetvalue (res, r, DASHBOARD_RISK_RECEIVED_MS)), false);
        fputs ("</td><td>", out);
        s_time_short (p, due, true);
        fputs ("</td><td>", out);
        s_left (p, due - now);
        fprintf (out, "</td><td class=\"num\">%s</td></tr>\n",
                 PQgetvalue (res, r, DASHBOARD_RISK_BREACHES));
    }
    fputs ("</table>\n", out);
    if (total > n)
        fprintf (out, "<p class=\"note\">… %lld / %lld</p>\n", (long long) n, total);
}

static void
s_hotspot_cell (s_page_t *p, const json_t *h, const char *key)
{
    const json_t *v = json_object_get (h, key);
    fputs ("<td>", p->out);
    s_esc (p, json_is_string (v) ? s_name (p, json_string_value (v)) : "");
    fputs ("</td>", p->out);
}

/*  A hot spot's time: to the minute on the dashboard; on the bulletin the
 *  day only (the minute of a complaint at a named branch says too much). */
static void
s_when (s_page_t *p, int64_t ms)
{
    if (p->k > 0) {
        char text [CALENDAR_TIME_SIZE];
        calendar_format_local (p->env->calendar, ms, false, text, sizeof text);
        fprintf (p->out, "%.10s", text);
    }
    else
        s_time_short (p, ms, false);
}

/*  Hot spots: open ones (dashboard), or those open during [from, to) (bulletin). */
static void
s_hotspot_table (s_page_t *p, const json_t *answer, int64_t from, int64_t to)
{
    FILE *out = p->out;
    const json_t *list = json_object_get (answer, "hotspots");
    size_t shown = 0;
    for (size_t i = 0; i < json_array_size (list); i++) {
        const json_t *h = json_array_get (list, i);
        int64_t opened = (int64_t) json_integer_value (json_object_get (h, "opened_at"));
        const json_t *cleared = json_object_get (h, "cleared_at");
        if (from > 0 && (opened >= to
                     || (json_is_integer (cleared) && json_integer_value (cleared) < from)))
            continue;
        if (shown++ == 0)
            fprintf (out, "<table id=\"hotspots\"><tr><th>%s</th><th>%s</th><th>%s</th>"
                     "<th>%s</th><th>%s</th><th>%s</th><th>%s</th>%s%s%s<th>%s</th></tr>\n",
                     s_t (p, T_KIND), s_t (p, T_BRANCH), s_t (p, T_CAUSE),
                     s_t (p, T_BUSINESS_LINE), s_t (p, T_COUNT), s_t (p, T_WINDOW),
                     s_t (p, T_OPENED), p->k ? "" : "<th>", p->k ? "" : s_t (p, T_LAST),
                     p->k ? "" : "</th>", s_t (p, T_CLEARED));
        fputs ("<tr data-hotspot=\"", out);
        s_esc (p, json_string_value (json_object_get (h, "rule")));
        fputs ("\">", out);
        s_hotspot_cell (p, h, "kind");
        s_hotspot_cell (p, h, "branch");
        s_hotspot_cell (p, h, "cause");
        s_hotspot_cell (p, h, "business_line");
        s_count_cell (p, "hotspot.count", s_int (h, "count"));
        fputs ("<td>", out);
        s_esc (p, json_string_value (json_object_get (h, "window")));
        fputs ("</td><td>", out);
        s_when (p, opened);
        if (!p->k) {
            fputs ("</td><td>", out);
            s_when (p, (int64_t) json_integer_value (json_object_get (h, "last_at")));
        }
        fputs ("</td><td>", out);
        if (json_is_integer (cleared))
            s_when (p, (int64_t) json_integer_value (cleared));
        else
            fputs (s_t (p, T_OPEN_NOW), out);
        fputs ("</td></tr>\n", out);
    }
    if (shown)
        fputs ("</table>\n", out);
    else
        fprintf (out, "<p>%s</p>\n", s_t (p, T_HOTSPOTS_NONE));
}

/*  issue 16 follow-up (analytics2): the survey's score distribution (the
 *  metrics score_1..score_5) and the mean score, which is shown only over
 *  at least k answers, as a rate is. */
static void
s_scores (s_page_t *p, const json_t *kpi)
{
    FILE *out = p->out;
    long long answers = 0, sum = 0;
    fprintf (out, "<h3>%s</h3>\n<table id=\"scores\">", s_t (p, T_SCORES));
    for (int score = 1; score <= 5; score++) {
        char key [24];          /* room for any int: -O1 cannot see score <= 5 */
        snprintf (key, sizeof key, "score_%d", score);
        long long n = s_int (kpi, key);
        answers += n;
        sum += n * score;
        fputs ("<tr><td>", out);
        fprintf (out, s_t (p, T_SCORE), score);
        fputs ("</td>", out);
        s_count_cell (p, key, n);
        fputs ("</tr>\n", out);
    }
    fprintf (out, "<tr><td>%s</td><td class=\"num\" data-figure=\"score_mean\"",
             s_t (p, T_SCORE_MEAN));
    if (answers == 0)
        fputs (">-", out);
    else
    if (p->k > 0 && answers < p->k) {
        fputs (" data-hidden=\"1\">", out);
        fprintf (out, s_t (p, T_HIDDEN_RATE), p->k);
    }
    else
        fprintf (out, " data-value=\"%.2f\">%.2f", (double) sum / (double) answers,
                 (double) sum / (double) answers);
    fputs ("</td></tr></table>\n", out);
}

/*  issue 16 follow-up (analytics2): the valid-complaint determinations;
 *  the bulletin's section has its own heading, the dashboard's table not. */
static void
s_valid (s_page_t *p, const json_t *kpi, bool heading)
{
    FILE *out = p->out;
    if (heading)
        fprintf (out, "<h3>%s</h3>\n", s_t (p, T_VALID_HEAD));
    fputs ("<table id=\"valid\">", out);
    fprintf (out, "<tr><td>%s</td>", s_t (p, T_VALID));
    s_count_cell (p, "determined_valid", s_int (kpi, "determined_valid"));
    fprintf (out, "</tr><tr><td>%s</td>", s_t (p, T_INVALID));
    s_count_cell (p, "determined_invalid", s_int (kpi, "determined_invalid"));
    fputs ("</tr></table>\n", out);
}

static size_t
s_rate_index (const char *name)
{
    for (size_t i = 0; i < analytics_nrates; i++)
        if (strcmp (analytics_rates [i].name, name) == 0)
            return i;
    return 0;
}

static void
s_kpi_cards (s_page_t *p, const json_t *answer)
{
    const json_t *kpi = json_object_get (answer, "kpi");
    fprintf (p->out, "<h2>%s</h2>\n<div class=\"cards\" id=\"kpis\">\n", s_t (p, T_KPIS));
    for (size_t i = 0; i < analytics_nrates; i++)
        s_rate_card (p, kpi, json_object_get (answer, "targets"), i);
    fputs ("</div>\n", p->out);
}

static void
s_dashboard (const dashboard_env_t *env, const dashboard_param_t *params, size_t nparams,
             dashboard_reply_t *reply)
{
    static const char *const known [] = { "lang", "days", "risk_hours", NULL };
    s_page_t page = { .env = env };
    long days = 30, hours = 72;
    if (s_params_check (params, nparams, known, reply)
    ||  s_lang (params, nparams, &page.zh, reply))
        return;
    const char *v = s_param (params, nparams, "days");
    if (v && s_long (v, 1, 366, &days)) {
        s_bad (reply, "days", v, "must be a whole number of days from 1 to 366");
        return;
    }
    v = s_param (params, nparams, "risk_hours");
    if (v && s_long (v, 1, 720, &hours)) {
        s_bad (reply, "risk_hours", v, "must be a whole number of hours from 1 to 720");
        return;
    }
    //  The period: the last `days` local days, today included.
    int32_t today = calendar_local_days (env->calendar, zclock_time ());
    int32_t first = today - (int32_t) days + 1;
    int64_t from = s_day_start (env->calendar, first);
    int64_t to = s_day_start (env->calendar, today + 1);
    char from_day [16], to_day [16];
    calendar_date_text (first, from_day, sizeof from_day);
    calendar_date_text (today + 1, to_day, sizeof to_day);

    json_t *kpi = s_kpi (&page, from, to, NULL);
    json_t *received = kpi ? s_series (&page, from, to, "received") : NULL;
    json_t *rates [3] = { NULL, NULL, NULL };
    static const char *const rate_names [3] = { "answered_24h_rate", "closure_rate",
                                                "satisfaction_rate" };
    for (int i = 0; i < 3 && received && !page.code; i++)
        rates [i] = s_series (&page, from, to, rate_names [i]);
    json_t *hotspots = page.code ? NULL : s_hotspots (&page, false);
    PGresult *heat = page.code ? NULL : dashboard_store_heat (env->store, from_day, to_day);
    PGresult *risk = heat ? dashboard_store_at_risk (env->store, (int) hours, S_RISK_ROWS) : NULL;
    if (!page.code && !risk)
        page.code = "unavailable";
    if (page.code)
        s_reply_text (reply, page.code && strcmp (page.code, "too_large") == 0 ? 400 : 503,
                      "%s: the figures could not be read; retry\n", page.code);
    else {
        char *body = NULL;
        size_t size = 0;
        page.out = open_memstream (&body, &size);
        if (!page.out)
            goto done;                  /* no memory: dashboard_render answers 503 */
        char query [64];
        snprintf (query, sizeof query, "days=%ld&amp;risk_hours=%ld", days, hours);
        s_head (&page, s_t (&page, T_DASHBOARD));
        s_header (&page, s_t (&page, T_DASHBOARD), "/", query, from, to, kpi);
        s_kpi_cards (&page, kpi);

        const json_t *k = json_object_get (kpi, "kpi");
        fprintf (page.out, "<h2>%s</h2>\n<table id=\"counts\">", s_t (&page, T_COUNTS));
        for (size_t i = 0; i < S_NCOUNTS; i++) {
            fprintf (page.out, "<tr><td>%s</td>", page.zh ? s_counts [i].zh : s_counts [i].en);
            s_count_cell (&page, s_counts [i].key, s_int (k, s_counts [i].key));
            fputs ("</tr>\n", page.out);
        }
        s_median (&page, k, "answer", T_MEDIAN_ANSWER);
        s_median (&page, k, "resolve", T_MEDIAN_RESOLVE);
        fputs ("</table>\n", page.out);
        s_valid (&page, k, true);       /* issue 16 follow-up (analytics2) */
        s_scores (&page, k);

        fprintf (page.out, "<h2>%s</h2>\n<div class=\"charts\">\n", s_t (&page, T_TRENDS));
        svg_chart_t *chart = svg_chart_new (SVG_CHART_LINE, s_t (&page, T_RECEIVED_DAY));
        svg_chart_set_size (chart, 520, 240);
        s_series_row (&page, chart, received, page.zh ? "收到投诉" : "received", true);
        s_chart (&page, &chart);
        chart = svg_chart_new (SVG_CHART_LINE, s_t (&page, T_RATES_DAY));
        svg_chart_set_size (chart, 520, 240);
        svg_chart_set_percent (chart, true);
        for (int i = 0; i < 3; i++)
            s_series_row (&page, chart, rates [i], s_rate_label (&page, rate_names [i]), i == 0);
        s_chart (&page, &chart);
        fputs ("</div>\n", page.out);

        fprintf (page.out, "<h2>%s</h2>\n", s_t (&page, T_HEAT));
        s_heat (&page, heat);
        s_at_risk (&page, risk, (int) hours);
        fprintf (page.out, "<h2>%s</h2>\n", s_t (&page, T_HOTSPOTS));
        s_hotspot_table (&page, hotspots, 0, 0);
        fprintf (page.out, "<p class=\"foot\">%s</p>\n</body></html>\n", s_t (&page, T_SOURCE));
        fclose (page.out);
        reply->status = 200;
        reply->content_type = "text/html; charset=utf-8";
        reply->body = body;
        reply->size = size;
    }
done:
    PQclear (heat);
    PQclear (risk);
    json_decref (kpi);
    json_decref (received);
    for (int i = 0; i < 3; i++)
        json_decref (rates [i]);
    json_decref (hotspots);
}

//  --------------------------------------------------------------------------
//  The bulletin

static void
s_breakdown (s_page_t *p, s_text_t section, s_text_t dim, const char *dim_key,
             const json_t *answer)
{
    FILE *out = p->out;
    fprintf (out, "<h2>%s</h2>\n", s_t (p, section));
    const json_t *groups = json_object_get (answer, "groups");
    long long total = s_int (json_object_get (answer, "kpi"), "received");
    size_t n = json_array_size (groups);
    if (n == 0 || total == 0) {
        fprintf (out, "<p>%s</p>\n", s_t (p, T_NONE));
        return;
    }
    small_cells_row_t *rows = (small_cells_row_t *) calloc (n, sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        const json_t *g = json_array_get (groups, i);
        rows [i].key = json_string_value (json_object_get (g, "key"));
        if (!rows [i].key)
            rows [i].key = "";
        rows [i].n = s_int (json_object_get (g, "kpi"), "received");
    }
    small_cells_sort (rows, n);
    small_cells_apply (rows, n, p->k);
    svg_chart_t *chart = svg_chart_new (SVG_CHART_BARS, s_t (p, section));
    svg_chart_set_size (chart, 460, 100);
    svg_chart_set_min_cell (chart, p->k);
    int row = svg_chart_add_row (chart, "received");
    fprintf (out, "<div class=\"charts\"><table data-breakdown=\"%s\"><tr><th>%s</th>"
             "<th>%s</th><th>%s</th></tr>\n", dim_key, s_t (p, dim), s_t (p, T_COMPLAINTS),
             s_t (p, T_SHARE));
    for (size_t i = 0; i < n; i++) {
        int c = svg_chart_add_column (chart, s_name (p, rows [i].key));
        svg_chart_set (chart, row, c, rows [i].withheld ? NAN : (double) rows [i].n);
        fputs ("<tr><td>", out);
        s_esc (p, s_name (p, rows [i].key));
        fputs ("</td>", out);
        if (rows [i].withheld)
            fputs ("<td class=\"num\" data-withheld=\"1\">x</td><td class=\"num\">x</td>", out);
        else
        if (rows [i].hidden)
            fprintf (out, "<td class=\"num\" data-hidden=\"1\">&lt;%d</td><td class=\"num\">x"
                     "</td>", p->k);
        else
            fprintf (out, "<td class=\"num\" data-group=\"%s\" data-value=\"%lld\">%lld</td>"
                     "<td class=\"num\">%.1f%%</td>", rows [i].key, rows [i].n, rows [i].n,
                     100.0 * (double) rows [i].n / (double) total);
        fputs ("</tr>\n", out);
    }
    fputs ("</table>\n", out);
    s_chart (p, &chart);
    fputs ("</div>\n", out);
    free (rows);
}

/*  The daily series summed into calendar months ("2026-07"), small cells hidden. */
static void
s_monthly (s_page_t *p, const json_t *series)
{
    const json_t *points = json_object_get (series, "points");
    small_cells_row_t months [40];
    char labels [40][8];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size (points); i++) {
        const json_t *point = json_array_get (points, i);
        char text [CALENDAR_TIME_SIZE];
        calendar_format_local (p->env->calendar,
                               (int64_t) json_integer_value (json_array_get (point, 0)), false,
                               text, sizeof text);
        if (n == 0 || strncmp (labels [n - 1], text, 7) != 0) {
            if (n == sizeof months / sizeof months [0])
                break;
            snprintf (labels [n], sizeof labels [0], "%.7s", text);
            months [n] = (small_cells_row_t) { .key = labels [n] };
            n++;
        }
        months [n - 1].n += (long long) json_integer_value (json_array_get (point, 1));
    }
    small_cells_apply (months, n, p->k);
    svg_chart_t *chart = svg_chart_new (SVG_CHART_BARS, s_t (p, T_MONTHLY));
    svg_chart_set_size (chart, 460, 100);
    svg_chart_set_min_cell (chart, p->k);
    int row = svg_chart_add_row (chart, "received");
    for (size_t i = 0; i < n; i++) {
        int c = svg_chart_add_column (chart, months [i].key);
        svg_chart_set (chart, row, c, months [i].withheld ? NAN : (double) months [i].n);
    }
    s_chart (p, &chart);
}

static void
s_bulletin (const dashboard_env_t *env, const dashboard_param_t *params, size_t nparams,
            dashboard_reply_t *reply)
{
    static const char *const known [] = { "lang", "from", "to", "min_cell", NULL };
    s_page_t page = { .env = env, .k = env->min_cell };
    if (s_params_check (params, nparams, known, reply)
    ||  s_lang (params, nparams, &page.zh, reply))
        return;
    int32_t today = calendar_local_days (env->calendar, zclock_time ());
    int32_t first = today - S_BULLETIN_DAYS + 1, last = today;
    const char *v = s_param (params, nparams, "from");
    if (v && s_day (v, &first)) {
        s_bad (reply, "from", v, "must be a day YYYY-MM-DD of 2000-2099");
        return;
    }
    v = s_param (params, nparams, "to");
    if (v && s_day (v, &last)) {
        s_bad (reply, "to", v, "must be a day YYYY-MM-DD of 2000-2099");
        return;
    }
    if (!s_param (params, nparams, "from") && s_param (params, nparams, "to"))
        first = last - S_BULLETIN_DAYS + 1;
    if (last < first) {
        s_bad (reply, "to", s_param (params, nparams, "to"), "must not be before from");
        return;
    }
    if (last - first + 1 > S_BULLETIN_MAX) {
        s_bad (reply, "to", s_param (params, nparams, "to"),
               "a bulletin covers at most 731 days from its from");
        return;
    }
    v = s_param (params, nparams, "min_cell");
    long k = env->min_cell;
    if (v && s_long (v, env->min_cell, 1000000, &k)) {
        char rule [96];
        snprintf (rule, sizeof rule, "must be a whole number from %d (the daemon's --min-cell) "
                  "to 1000000", env->min_cell);
        s_bad (reply, "min_cell", v, rule);
        return;
    }
    page.k = (int) k;
    int64_t from = s_day_start (env->calendar, first);
    int64_t to = s_day_start (env->calendar, last + 1);

    static const char *const dims [3] = { "business_line", "cause", "channel" };
    json_t *by [3] = { NULL, NULL, NULL };
    for (int i = 0; i < 3 && !page.code; i++)
        by [i] = s_kpi (&page, from, to, dims [i]);
    json_t *series = page.code ? NULL : s_series (&page, from, to, "received");
    json_t *hotspots = page.code ? NULL : s_hotspots (&page, true);
    if (page.code)
        s_reply_text (reply, strcmp (page.code, "too_large") == 0 ? 400 : 503,
                      "%s: the figures could not be read; retry\n", page.code);
    else {
        char *body = NULL;
        size_t size = 0;
        page.out = open_memstream (&body, &size);
        if (!page.out)
            goto done;                  /* no memory: dashboard_render answers 503 */
        char query [96], d0 [16], d1 [16];
        calendar_date_text (first, d0, sizeof d0);
        calendar_date_text (last, d1, sizeof d1);
        snprintf (query, sizeof query, "from=%s&amp;to=%s&amp;min_cell=%d", d0, d1, page.k);
        s_head (&page, s_t (&page, T_BULLETIN));
        s_header (&page, s_t (&page, T_BULLETIN), "/bulletin", query, from, to, by [0]);
        const json_t *kpi = json_object_get (by [0], "kpi");
        const json_t *targets = json_object_get (by [0], "targets");
        FILE *out = page.out;

        fprintf (out, "<h2>%s</h2>\n<div class=\"charts\"><table id=\"counts\">",
                 s_t (&page, T_S1));
        for (size_t i = 0; i < S_NCOUNTS; i++) {
            fprintf (out, "<tr><td>%s</td>", page.zh ? s_counts [i].zh : s_counts [i].en);
            s_count_cell (&page, s_counts [i].key, s_int (kpi, s_counts [i].key));
            fputs ("</tr>\n", out);
        }
        fputs ("</table>\n", out);
        s_monthly (&page, series);
        fputs ("</div>\n", out);
        s_breakdown (&page, T_S2, T_BUSINESS_LINE, "business_line", by [0]);
        s_breakdown (&page, T_S3, T_CAUSE, "cause", by [1]);
        s_breakdown (&page, T_S4, T_CHANNEL, "channel", by [2]);

        fprintf (out, "<h2>%s</h2>\n<div class=\"cards\">\n", s_t (&page, T_S5));
        for (size_t i = 0; i < analytics_nrates; i++)
            if (strcmp (analytics_rates [i].name, "satisfaction_rate") != 0
            &&  strcmp (analytics_rates [i].name, "valid_rate") != 0)
                s_rate_card (&page, kpi, targets, i);
        fputs ("</div>\n<table>", out);
        s_median (&page, kpi, "answer", T_MEDIAN_ANSWER);
        s_median (&page, kpi, "resolve", T_MEDIAN_RESOLVE);
        fputs ("</table>\n", out);

        fprintf (out, "<h2>%s</h2>\n<div class=\"cards\">\n", s_t (&page, T_S6));
        s_rate_card (&page, kpi, targets, 1);
        fputs ("</div>\n<table>", out);
        fprintf (out, "<tr><td>%s</td>", s_t (&page, T_SATISFIED));
        s_count_cell (&page, "satisfied", s_int (kpi, "satisfied"));
        fprintf (out, "</tr><tr><td>%s</td>", s_t (&page, T_NOT_SATISFIED));
        s_count_cell (&page, "not_satisfied", s_int (kpi, "not_satisfied"));
        fputs ("</tr></table>\n", out);
        s_scores (&page, kpi);          /* issue 16 follow-up (analytics2) */

        fprintf (out, "<h2>%s</h2>\n<p class=\"note\">%s</p>\n", s_t (&page, T_S7),
                 s_t (&page, T_HOTSPOTS_PERIOD));
        s_hotspot_table (&page, hotspots, from, to);

        fprintf (out, "<h2>%s</h2>\n<div class=\"charts\"><table id=\"outcomes\">",
                 s_t (&page, T_S8));
        svg_chart_t *chart = svg_chart_new (SVG_CHART_BARS, s_t (&page, T_S8));
        svg_chart_set_size (chart, 460, 100);
        svg_chart_set_min_cell (chart, page.k);
        int row = svg_chart_add_row (chart, "outcomes");
        for (size_t i = 0; i < S_NOUTCOMES; i++) {
            long long n = s_int (kpi, s_outcomes [i].key);
            const char *label = page.zh ? s_outcomes [i].zh : s_outcomes [i].en;
            fprintf (out, "<tr><td>%s</td>", label);
            s_count_cell (&page, s_outcomes [i].key, n);
            fputs ("</tr>\n", out);
            svg_chart_set (chart, row, svg_chart_add_column (chart, label), (double) n);
        }
        long long money = s_int (kpi, "outcome_refund") + s_int (kpi, "outcome_compensation");
        long long cents = s_int (kpi, "amount_cents");
        fprintf (out, "<tr><td>%s</td><td class=\"num\" data-kpi=\"amount_cents\"",
                 s_t (&page, T_AMOUNT));
        if (money >= page.k || (money == 0 && cents == 0))
            fprintf (out, " data-value=\"%lld\">%lld.%02lld", cents, cents / 100, cents % 100);
        else {
            fputs (" data-hidden=\"1\">", out);
            fprintf (out, s_t (&page, T_AMOUNT_HIDDEN), page.k);
        }
        fputs ("</td></tr></table>\n", out);
        s_chart (&page, &chart);
        fputs ("</div>\n", out);
        /* issue 16 follow-up (analytics2): 有效投诉认定 */
        fprintf (out, "<h2>%s</h2>\n<div class=\"cards\">\n", s_t (&page, T_S9));
        s_rate_card (&page, kpi, targets, s_rate_index ("valid_rate"));
        fputs ("</div>\n", out);
        s_valid (&page, kpi, false);
        fputs ("<p class=\"foot\">", out);
        fprintf (out, s_t (&page, T_SMALL_CELLS), page.k, page.k, page.k);
        fprintf (out, "<br>%s</p>\n</body></html>\n", s_t (&page, T_SOURCE));
        fclose (out);
        reply->status = 200;
        reply->content_type = "text/html; charset=utf-8";
        reply->body = body;
        reply->size = size;
    }
done:
    for (int i = 0; i < 3; i++)
        json_decref (by [i]);
    json_decref (series);
    json_decref (hotspots);
}

void
dashboard_render (const dashboard_env_t *env, const char *path,
                  const dashboard_param_t *params, size_t nparams, dashboard_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    if (nparams > DASHBOARD_MAX_PARAMS)
        s_reply_text (reply, 400, "invalid_field query: more than %d parameters\n",
                      DASHBOARD_MAX_PARAMS);
    else
    if (strcmp (path, "/") == 0 || strcmp (path, "/dashboard") == 0)
        s_dashboard (env, params, nparams, reply);
    else
    if (strcmp (path, "/bulletin") == 0)
        s_bulletin (env, params, nparams, reply);
    else
        s_reply_text (reply, 404, "not_found: the pages are / (the dashboard) and /bulletin\n");
    if (!reply->body)                   /* out of memory */
        reply->status = 503;
}

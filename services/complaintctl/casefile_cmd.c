/*  casefile_cmd.c — `complaintctl casefile NO [-o FILE] [--json]`: a closed
 *  case's whole file as one document (存档备查, seed
 *  000_78ccecd39905920f.txt; intake `casefile`, services/intake/case_file.h;
 *  docs/records.md).
 *
 *  intake checks who may (complaint office, managers, the case's own
 *  handler), writes the "exported by" audit row, and answers the staff view
 *  plus the messages the case caused and who exported it. Here that answer
 *  becomes either
 *    - a self-contained HTML file (default): no script, no external
 *      resource; the fonts are the system's (Noto CJK named first, as
 *      deploy/scripts/install-deps.sh installs), A4 print rules, so a
 *      browser prints it as it is and an archive keeps one file; or
 *    - the same data as JSON (--json), indented, for other tools.
 *  Every time is written in the bank's zone with the offset, and the zone
 *  is named in the header (common/local_time through ctl_format_time).
 *
 *  Sections, each a <section id=...> (tests read them by id): registration,
 *  classification, handling (department and handler history), outcome,
 *  audit, messages, clocks, evidence.
 */
#include "ctl.h"
#include "cfg.h"
#include "curve.h"
#include "html.h"
#include "records_request.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: complaintctl casefile COMPLAINT_NO [-o FILE] [--json] [--intake EP]\n"
        "                             [--timeout-ms N]\n"
        "\n"
        "Exports a closed case's whole file: registration, classification, the\n"
        "department and handler history, the outcome, the audit trail, the messages\n"
        "sent to the customer and staff, the SLA clocks and the evidence list; as a\n"
        "print-ready HTML document (default) or JSON. The complaint office and\n"
        "managers may export any case in their scope, a handler the cases they\n"
        "handled; each export is written in the case's audit trail. Needs %s.\n"
        "\n"
        "  -o, --output FILE  write there (default: stdout)\n"
        "  --json             the file as JSON instead of HTML\n"
        "  --intake EP        intake endpoint (COMPLAINTS_INTAKE_ENDPOINT, default %s)\n"
        "  --timeout-ms N     give up after N ms (COMPLAINTS_TIMEOUT_MS, default %d), exit 3\n",
        STAFF_TOKEN_ENV, CFG_INTAKE_ENDPOINT, CTL_TIMEOUT_MS);
}

/* ---------------------------------------------------------------- HTML */

static const char *s_style =
    "@page { size: A4; margin: 16mm 14mm; }\n"
    "body { font-family: \"Noto Sans CJK SC\", \"Noto Serif CJK SC\", \"Source Han Sans SC\","
    " \"WenQuanYi Zen Hei\", sans-serif; font-size: 10pt; color: #111; margin: 0 auto;"
    " max-width: 190mm; }\n"
    "h1 { font-size: 16pt; margin: 0 0 4pt; }\n"
    "h2 { font-size: 12pt; border-bottom: 1.5pt solid #333; margin: 14pt 0 4pt;"
    " page-break-after: avoid; }\n"
    "table { border-collapse: collapse; width: 100%; }\n"
    "th, td { border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left;"
    " vertical-align: top; word-break: break-word; }\n"
    "th { background: #eee; font-weight: 600; }\n"
    "th.wide { width: 40%; }\n"
    "td.t { white-space: nowrap; }\n"
    "table.kv th { width: 28%; }\n"
    "tr { page-break-inside: avoid; }\n"
    "pre { white-space: pre-wrap; font-family: inherit; margin: 0; }\n"
    ".meta { color: #444; font-size: 9pt; }\n"
    ".mono { font-family: \"DejaVu Sans Mono\", monospace; font-size: 8pt; }\n";

static const char *
s_str (const json_t *obj, const char *key)
{
    const json_t *v = json_object_get (obj, key);
    return json_is_string (v) ? json_string_value (v) : NULL;
}

/* A value as text: strings as they are, numbers, yes/no, arrays joined,
 * objects as compact JSON; NULL for null or absent. buf for the rest. */
static const char *
s_text (const json_t *v, char *buf, size_t size)
{
    if (!v || json_is_null (v))
        return NULL;
    if (json_is_string (v))
        return json_string_value (v);
    if (json_is_boolean (v))
        return json_is_true (v) ? "yes 是" : "no 否";
    if (json_is_integer (v)) {
        snprintf (buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
        return buf;
    }
    char *dump = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf (buf, size, "%s", dump ? dump : "");
    free (dump);
    return buf;
}

static void
s_cell (FILE *out, const char *text)
{
    fputs ("<td>", out);
    html_escape (out, text ? text : "—");
    fputs ("</td>", out);
}

/* An identifier (a staff id, a role, an action, a state): kept on one line,
 * so a narrow column does not break "accept" into "acce pt". */
static void
s_word_cell (FILE *out, const char *text)
{
    fputs ("<td class=\"t\">", out);
    html_escape (out, text ? text : "—");
    fputs ("</td>", out);
}

static void
s_time_cell (FILE *out, const json_t *value)
{
    char buf [64];
    fputs ("<td class=\"t\">", out);
    html_escape (out, ctl_format_time (value, buf, sizeof buf));
    fputs ("</td>", out);
}

/* One row of a key/value table: label, then the field (a time when
 * is_time); left out when the field is null or absent. */
static void
s_kv (FILE *out, const json_t *obj, const char *label, const char *key, bool is_time)
{
    const json_t *v = json_object_get (obj, key);
    if (!v || json_is_null (v) || (json_is_array (v) && json_array_size (v) == 0))
        return;
    char buf [4096];
    fputs ("<tr><th>", out);
    html_escape (out, label);
    fputs ("</th>", out);
    if (is_time)
        s_time_cell (out, v);
    else {
        const char *text = s_text (v, buf, sizeof buf);
        fputs ("<td><pre>", out);
        html_escape (out, text);
        fputs ("</pre></td>", out);
    }
    fputs ("</tr>\n", out);
}

static void
s_section (FILE *out, const char *id, const char *title)
{
    fprintf (out, "<section id=\"%s\">\n<h2>", id);
    html_escape (out, title);
    fputs ("</h2>\n", out);
}

/* The header row; the last column is the wide one (details, message)
 * when wide_last. */
static void
s_head_row_wide (FILE *out, const char *const *labels, bool wide_last)
{
    fputs ("<table>\n<tr>", out);
    for (size_t i = 0; labels [i]; i++) {
        fputs (wide_last && !labels [i + 1] ? "<th class=\"wide\">" : "<th>", out);
        html_escape (out, labels [i]);
        fputs ("</th>", out);
    }
    fputs ("</tr>\n", out);
}

static void
s_head_row (FILE *out, const char *const *labels)
{
    s_head_row_wide (out, labels, false);
}

/* An action's details as "key: value" lines (the order PostgreSQL's jsonb
 * keeps), the way `show` prints them. */
static void
s_details_cell (FILE *out, const json_t *details)
{
    fputs ("<td><pre>", out);
    const char *key;
    json_t *value;
    char buf [8192];
    bool first = true;
    json_object_foreach ((json_t *) details, key, value) {
        if (!first)
            fputc ('\n', out);
        first = false;
        html_escape (out, key);
        fputs (": ", out);
        const char *text = s_text (value, buf, sizeof buf);
        html_escape (out, text ? text : "null");
    }
    fputs ("</pre></td>", out);
}

static void
s_registration (FILE *out, const json_t *k)
{
    s_section (out, "registration", "登记 Registration");
    fputs ("<table class=\"kv\">\n", out);
    s_kv (out, k, "投诉编号 Complaint no", "complaint_no", false);
    s_kv (out, k, "状态 State", "state", false);
    s_kv (out, k, "渠道 Channel", "channel", false);
    s_kv (out, k, "接收时间 Received", "received_at", true);
    s_kv (out, k, "登记时间 Registered", "created_at", true);
    const json_t *c = json_object_get (k, "customer");
    if (json_is_object (c)) {
        s_kv (out, c, "客户 Customer", "name", false);
        s_kv (out, c, "电话 Phone", "phone", false);
        s_kv (out, c, "电子邮件 E-mail", "email", false);
        s_kv (out, c, "账户 Account", "account", false);
        s_kv (out, c, "证件号 ID no", "id_no", false);
        s_kv (out, c, "客户假名 Pseudonym", "pseudonym", false);
    }
    s_kv (out, k, "身份已删除 Identity erased", "anonymised_at", true);
    s_kv (out, k, "网点 Branch", "branch", false);
    s_kv (out, k, "产品 Product", "product", false);
    s_kv (out, k, "金额 Amount", "amount", false);
    s_kv (out, k, "转办机构 Referred by", "referrer", false);
    s_kv (out, k, "转办单号 Referrer's ticket", "referrer_ticket", false);
    s_kv (out, k, "主题 Subject", "subject", false);
    s_kv (out, k, "投诉内容 Complaint", "body", false);
    s_kv (out, k, "诉求 Demand", "demand", false);
    /* issue 16 (i16-integrate): the incident (046) */
    s_kv (out, k, "涉及员工 Staff concerned", "staff_concerned", false);
    s_kv (out, k, "事发时间 Incident at", "incident_at", true);
    s_kv (out, k, "事发地点 Incident place", "incident_place", false);
    fputs ("</table>\n</section>\n", out);
}

static void
s_classification (FILE *out, const json_t *k)
{
    s_section (out, "classification", "分类 Classification");
    fputs ("<table class=\"kv\">\n", out);
    s_kv (out, k, "业务条线 Business line", "business_line", false);
    s_kv (out, k, "原因 Cause", "cause", false);
    s_kv (out, k, "JR/T 渠道 channel", "jrt_channel", false);
    s_kv (out, k, "JR/T 业务 business", "jrt_business", false);
    s_kv (out, k, "JR/T 原因 cause", "jrt_cause", false);
    s_kv (out, k, "优先级 Priority", "priority", false);
    s_kv (out, k, "标记 Flags", "flags", false);
    s_kv (out, k, "重大投诉 Major", "major", false);
    s_kv (out, k, "层级 Level", "level", false);
    s_kv (out, k, "路由规则 Routing rule", "routing_rule", false);
    fputs ("</table>\n</section>\n", out);
}

/* Department and handler history: every audit row that gave the case a
 * department or a handler (the router's assignment, transfers, reviews,
 * escalations), then where it ended. */
static void
s_handling (FILE *out, const json_t *k)
{
    s_section (out, "handling", "部门与处理人 Department and handler history");
    static const char *const labels [] = { "时间 Time", "操作 Action", "由 By", "部门 Department",
                                           "处理人 Handler", NULL };
    s_head_row (out, labels);
    const json_t *actions = json_object_get (k, "actions");
    size_t i;
    json_t *a;
    json_array_foreach (actions, i, a) {
        const json_t *d = json_object_get (a, "details");
        const char *dept = s_str (d, "department"), *handler = s_str (d, "handler");
        if (!dept && !handler)
            continue;
        fputs ("<tr>", out);
        s_time_cell (out, json_object_get (a, "at"));
        s_cell (out, s_str (a, "action"));
        s_cell (out, s_str (a, "actor"));
        s_cell (out, dept);
        s_cell (out, handler);
        fputs ("</tr>\n", out);
    }
    fputs ("<tr><th colspan=\"3\">最终 At the end</th>", out);
    s_cell (out, s_str (k, "department"));
    s_cell (out, s_str (k, "handler"));
    fputs ("</tr>\n</table>\n</section>\n", out);
}

/* issue 16 (i16-integrate): an outcome list (kind, amount, its text), one
 * per line, in a row of its own. */
static void
s_outcome_list (FILE *out, const json_t *outcomes, const char *label, const char *id)
{
    if (!json_is_array (outcomes) || json_array_size (outcomes) == 0)
        return;
    fputs ("<tr><th>", out);
    html_escape (out, label);
    fprintf (out, "</th><td id=\"%s\"><pre>", id);
    size_t i;
    json_t *o;
    json_array_foreach (outcomes, i, o) {
        const char *amount = s_str (o, "amount"), *text = s_str (o, "text");
        if (i)
            fputc ('\n', out);
        html_escape (out, s_str (o, "kind"));
        if (amount) {
            fputc (' ', out);
            html_escape (out, amount);
            fputc (' ', out);
            html_escape (out, s_str (o, "currency") ? s_str (o, "currency") : "CNY");
        }
        if (text) {
            fputs (" — ", out);
            html_escape (out, text);
        }
    }
    fputs ("</pre></td></tr>\n", out);
}

/* issue 16 (i16-integrate): the vetted decision — each outcome on its
 * own line, the answer the customer read, who proposed and who approved.
 * issue 16 follow-up (vetting2): who and when are the case's columns
 * (migration 050), not a search of the trail; a returned proposal's
 * outcomes are listed as such, apart from the case's. */
static void
s_decision (FILE *out, const json_t *k)
{
    s_outcome_list (out, json_object_get (k, "outcomes"), "各项结果 Outcomes", "outcomes");
    s_kv (out, k, "给客户的答复 Answer to the customer", "customer_text", false);
    s_kv (out, k, "提出方案 Proposed by", "proposed_by", false);
    s_kv (out, k, "提出时间 Proposed at", "proposed_at", true);
    s_kv (out, k, "审核通过 Approved by", "approved_by", false);
    s_kv (out, k, "审核时间 Approved at", "approved_at", true);
    s_kv (out, k, "退回 Returned by", "returned_by", false);
    s_kv (out, k, "退回时间 Returned at", "returned_at", true);
    s_outcome_list (out, json_object_get (k, "returned_outcomes"),
                    "被退回的方案 Returned proposal", "returned_outcomes");
}

static void
s_outcome (FILE *out, const json_t *k)
{
    s_section (out, "outcome", "处理结果 Outcome");
    fputs ("<table class=\"kv\">\n", out);
    s_kv (out, k, "受理 Accepted", "accepted_at", true);
    s_kv (out, k, "解决 Resolved", "resolved_at", true);
    s_kv (out, k, "结果 Outcome", "resolution_outcome", false);
    s_kv (out, k, "金额 Amount", "resolution_amount", false);
    s_kv (out, k, "客户满意 Satisfied", "satisfied", false);
    s_kv (out, k, "不予受理原因 Rejected because", "reject_reason", false);
    s_kv (out, k, "重复于 Duplicate of", "duplicate_of", false);
    s_kv (out, k, "合并 Merged", "merged", false);
    s_kv (out, k, "结案 Closed", "closed_at", true);
    s_decision (out, k);
    fputs ("</table>\n</section>\n", out);
}

static void
s_audit (FILE *out, const json_t *k)
{
    s_section (out, "audit", "审计记录 Audit trail");
    static const char *const labels [] = { "时间 Time", "操作人 Actor", "角色 Role",
                                           "操作 Action", "状态 State", "版本 Version",
                                           "内容 Details", NULL };
    s_head_row_wide (out, labels, true);
    size_t i;
    json_t *a;
    char buf [8192];
    json_array_foreach (json_object_get (k, "actions"), i, a) {
        fputs ("<tr>", out);
        s_time_cell (out, json_object_get (a, "at"));
        s_word_cell (out, s_str (a, "actor"));
        s_word_cell (out, s_str (a, "actor_role"));
        s_word_cell (out, s_str (a, "action"));
        const char *from = s_str (a, "from"), *to = s_str (a, "to");
        /* from over to, each on one line */
        fputs ("<td class=\"t\">", out);
        html_escape (out, from ? from : "?");
        fputs (" →<br>", out);
        html_escape (out, to ? to : "?");
        fputs ("</td>", out);
        s_word_cell (out, s_text (json_object_get (a, "version"), buf, sizeof buf));
        s_details_cell (out, json_object_get (a, "details"));
        fputs ("</tr>\n", out);
    }
    fputs ("</table>\n</section>\n", out);
}

static void
s_messages (FILE *out, const json_t *k)
{
    s_section (out, "messages", "发送的消息 Messages sent");
    static const char *const labels [] = { "生成 / 发出 Created / Sent", "收件人 Recipient",
                                           "渠道 Channel", "地址 Address", "状态 State",
                                           "内容 Message", NULL };
    s_head_row_wide (out, labels, true);
    size_t i;
    json_t *m;
    char who [160];
    json_array_foreach (json_object_get (k, "messages"), i, m) {
        fputs ("<tr>", out);
        char created [64], sent [64];
        fputs ("<td class=\"t\">", out);
        html_escape (out, ctl_format_time (json_object_get (m, "created_at"), created,
                                           sizeof created));
        fputs ("<br>", out);
        html_escape (out, ctl_format_time (json_object_get (m, "sent_at"), sent, sizeof sent));
        fputs ("</td>", out);
        const char *kind = s_str (m, "recipient_kind"), *id = s_str (m, "recipient");
        snprintf (who, sizeof who, "%s (%s)", kind ? kind : "?", id ? id : "?");
        s_cell (out, who);
        s_cell (out, s_str (m, "channel"));
        s_cell (out, s_str (m, "address"));
        s_cell (out, s_str (m, "state"));
        fputs ("<td><strong>", out);
        html_escape (out, s_str (m, "subject"));
        fputs ("</strong><pre>", out);
        html_escape (out, s_str (m, "body"));
        fputs ("</pre></td></tr>\n", out);
    }
    if (!json_is_array (json_object_get (k, "messages")))
        fputs ("<tr><td colspan=\"6\">the notifier's messages could not be read</td></tr>\n",
               out);
    fputs ("</table>\n</section>\n", out);
}

static void
s_clocks (FILE *out, const json_t *k)
{
    s_section (out, "clocks", "时限 SLA clocks");
    static const char *const labels [] = { "阶段 Stage", "轮次 Round", "状态 State",
                                           "开始 Started", "期限 Due", "完成 Met",
                                           "逾期 Late", "延期 Extensions", NULL };
    s_head_row (out, labels);
    size_t i;
    json_t *c;
    char buf [64];
    json_array_foreach (json_object_get (k, "clocks"), i, c) {
        fputs ("<tr>", out);
        s_cell (out, s_str (c, "stage"));
        s_cell (out, s_text (json_object_get (c, "round"), buf, sizeof buf));
        s_cell (out, s_str (c, "state"));
        s_time_cell (out, json_object_get (c, "started_at"));
        s_cell (out, ctl_format_deadline (json_object_get (c, "due_at"), buf, sizeof buf));
        s_time_cell (out, json_object_get (c, "met_at"));
        s_cell (out, s_text (json_object_get (c, "late"), buf, sizeof buf));
        s_cell (out, s_text (json_object_get (c, "extensions"), buf, sizeof buf));
        fputs ("</tr>\n", out);
    }
    fputs ("</table>\n</section>\n", out);
}

static void
s_evidence (FILE *out, const json_t *k)
{
    s_section (out, "evidence", "证据 Evidence");
    static const char *const labels [] = { "#", "名称 Name", "类型 Kind", "媒体类型 Media type",
                                           "大小 Size (B)", "SHA-256", "提交人 Uploader",
                                           "时间 Stored", "内容已删除 Bytes erased",
                                           "未保留 Not kept", NULL };
    s_head_row (out, labels);
    size_t i;
    json_t *e;
    char buf [64], who [160];
    json_array_foreach (json_object_get (k, "evidence"), i, e) {
        fputs ("<tr>", out);
        s_cell (out, s_text (json_object_get (e, "seq"), buf, sizeof buf));
        s_cell (out, s_str (e, "name"));
        s_cell (out, s_str (e, "kind"));
        s_cell (out, s_str (e, "media_type"));
        s_cell (out, s_text (json_object_get (e, "size"), buf, sizeof buf));
        fputs ("<td class=\"mono\">", out);
        html_escape (out, s_str (e, "sha256"));
        fputs ("</td>", out);
        const char *u = s_str (e, "uploader"), *r = s_str (e, "uploader_role");
        snprintf (who, sizeof who, "%s (%s)", u ? u : "?", r ? r : "?");
        s_cell (out, who);
        s_time_cell (out, json_object_get (e, "stored_at"));
        s_time_cell (out, json_object_get (e, "erased_at"));
        /* issue 16 (i16-integrate): an attachment refused (035) is listed
         * with why, and said plainly: the bank does not hold it */
        const char *refused = s_str (e, "refused");
        if (refused) {
            char why [512];
            snprintf (why, sizeof why, "NOT KEPT 未保留: %s", refused);
            s_cell (out, why);
        }
        else
            s_cell (out, NULL);
        fputs ("</tr>\n", out);
    }
    fputs ("</table>\n</section>\n", out);
}

/* issue 16 (i16-integrate): the tasks given to cooperating departments
 * and the rectification items, with what was asked and answered. */
static void
s_tasks (FILE *out, const json_t *k)
{
    s_section (out, "tasks", "协办与整改 Tasks and rectification");
    static const char *const labels [] = { "#", "类型 Kind", "部门 Department", "交办 Given by",
                                           "期限 Due", "状态 State", "回复人 Replied by",
                                           "要求 / 回复 Asked / Reply", NULL };
    s_head_row_wide (out, labels, true);
    size_t i;
    json_t *t;
    char buf [64];
    json_array_foreach (json_object_get (k, "tasks"), i, t) {
        fputs ("<tr>", out);
        s_cell (out, s_text (json_object_get (t, "id"), buf, sizeof buf));
        s_cell (out, s_str (t, "kind"));
        s_cell (out, s_str (t, "department"));
        s_cell (out, s_str (t, "given_by"));
        s_time_cell (out, json_object_get (t, "due_at"));
        s_cell (out, s_str (t, "state"));
        s_cell (out, s_str (t, "replied_by"));
        fputs ("<td><pre>", out);
        html_escape (out, s_str (t, "asked"));
        fputs ("\n— ", out);
        html_escape (out, s_str (t, "reply") ? s_str (t, "reply") : "(no reply)");
        fputs ("</pre></td></tr>\n", out);
    }
    fputs ("</table>\n</section>\n", out);
}

/* issue 16 (i16-integrate): the follow-up — the satisfaction survey
 * (sent, valid until, answered: score, channel, comment) and every
 * call-back attempt (also in the audit trail; here on their own). */
static void
s_followup (FILE *out, const json_t *k)
{
    s_section (out, "followup", "回访与满意度 Follow-up and survey");
    fputs ("<table class=\"kv\">\n", out);
    const json_t *survey = json_object_get (k, "survey");
    if (json_is_object (survey)) {
        s_kv (out, survey, "调查有效至 Survey valid until", "expires_at", true);
        s_kv (out, survey, "回答时间 Answered", "answered_at", true);
        s_kv (out, survey, "评分 Score (1-5)", "score", false);
        s_kv (out, survey, "回答渠道 Answered by", "channel", false);
        s_kv (out, survey, "客户意见 Comment", "comment", false);
    }
    else
        fputs ("<tr><th>满意度调查 Survey</th><td>—</td></tr>\n", out);
    s_kv (out, k, "有效投诉认定 Determination", "determination", false);
    fputs ("</table>\n", out);
    static const char *const labels [] = { "时间 Time", "回访人 By", "结果 Result", NULL };
    s_head_row (out, labels);
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (k, "actions"), i, a) {
        const char *name = s_str (a, "action");
        if (!name || strcmp (name, "callback"))
            continue;
        fputs ("<tr>", out);
        s_time_cell (out, json_object_get (a, "at"));
        s_cell (out, s_str (a, "actor"));
        s_cell (out, s_str (json_object_get (a, "details"), "reason"));
        fputs ("</tr>\n", out);
    }
    fputs ("</table>\n</section>\n", out);
}

/* The whole document. */
static void
s_html (FILE *out, const json_t *k)
{
    const char *no = s_str (k, "complaint_no");
    const json_t *exported = json_object_get (k, "exported");
    char at [64];
    fputs ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<title>案件档案 Case file ", out);
    html_escape (out, no);
    fprintf (out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>"
             "案件档案 Case file ", s_style);
    html_escape (out, no);
    fputs ("</h1>\n<p class=\"meta\" id=\"exported\">导出 Exported by ", out);
    html_escape (out, s_str (exported, "by"));
    fputs (" (", out);
    html_escape (out, s_str (exported, "role"));
    fputs (") at ", out);
    html_escape (out, ctl_format_time (json_object_get (exported, "at"), at, sizeof at));
    fputs (". 时间均为 Times are in ", out);
    html_escape (out, ctl_bank_zone ());
    fputs (", the offset written.</p>\n</header>\n", out);
    s_registration (out, k);
    s_classification (out, k);
    s_handling (out, k);
    s_outcome (out, k);
    s_tasks (out, k);                   /* issue 16 (i16-integrate) */
    s_followup (out, k);
    s_audit (out, k);
    s_messages (out, k);
    s_clocks (out, k);
    s_evidence (out, k);
    fputs ("</body>\n</html>\n", out);
}

int
ctl_casefile (int argc, char **argv)
{
    enum { O_JSON = 256, O_INTAKE, O_TIMEOUT, O_HELP };
    static const struct option options [] = {
        { "output", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, O_JSON },
        { "intake", required_argument, NULL, O_INTAKE },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    const char *endpoint = NULL, *timeout_text = NULL, *path = NULL;
    bool json_out = false;
    optind = 1;
    int opt;
    while ((opt = getopt_long (argc, argv, "ho:", options, NULL)) != -1) {
        switch (opt) {
            case 'o': path = optarg; break;
            case O_JSON: json_out = true; break;
            case O_INTAKE: endpoint = optarg; break;
            case O_TIMEOUT: timeout_text = optarg; break;
            case 'h':
            case O_HELP:
                s_usage (stdout);
                return CTL_EXIT_OK;
            default:
                fprintf (stderr, "see `complaintctl casefile --help`\n");
                return CTL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        s_usage (stderr);
        return CTL_EXIT_USAGE;
    }
    ctl_intake_call_t call;
    int rc = ctl_intake_call_begin ("casefile", endpoint, timeout_text, &call);
    if (rc != CTL_EXIT_OK)
        return rc;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    records_casefile_pack (&buf, argv [optind], call.token);
    json_t *reply = NULL;
    rc = ctl_intake_call ("casefile", &call, &buf, &reply);
    msgpack_sbuffer_destroy (&buf);
    if (rc != CTL_EXIT_OK)
        return rc;
    const json_t *kase = json_object_get (reply, "complaint");
    if (!json_is_object (kase)) {
        fprintf (stderr, "complaintctl casefile: the reply holds no case file\n");
        rc = CTL_EXIT_REPLY;
    }
    else {
        FILE *out = path ? fopen (path, "w") : stdout;
        if (!out) {
            fprintf (stderr, "complaintctl casefile: cannot write %s\n", path);
            rc = CTL_EXIT_USAGE;
        }
        else {
            if (json_out) {
                char *text = json_dumps (kase, JSON_INDENT (2));
                fputs (text ? text : "{}", out);
                fputc ('\n', out);
                free (text);
            }
            else
                s_html (out, kase);
            if ((path ? fclose (out) : fflush (out)) != 0) {
                fprintf (stderr, "complaintctl casefile: writing %s failed\n",
                         path ? path : "stdout");
                rc = CTL_EXIT_USAGE;
            }
            else
            if (path)
                fprintf (stderr, "case file of %s written to %s (%s)\n", argv [optind], path,
                         json_out ? "JSON" : "HTML");
        }
    }
    json_decref (reply);
    return rc;
}

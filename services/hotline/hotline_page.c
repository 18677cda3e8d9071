/*  hotline_page.c — the agent desk's pages (see hotline_page.h).
 *
 *  The call form is a table (s_fields): each input's name (hotline_call.h's
 *  field, so an error's field is the input it belongs beside), its labels
 *  in both languages, its kind and limit. The page, the placement of an
 *  error and the self-test read that one table.
 */
#include "hotline_page.h"
#include "hotline_call.h"
#include "html.h"
#include "lifecycle.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { S_TEXT, S_TEXTAREA, S_TEL, S_DECIMAL, S_CHECK, S_OUTCOME, S_LANG } s_kind_t;

typedef struct {
    hotline_field_t field;
    const char *zh, *en;
    s_kind_t kind;
    int maxlength;
    bool required;
    const char *hint;                   /* bilingual, or NULL */
} s_field_t;

static const s_field_t s_fields [] = {
    { HOTLINE_CALL_ID, "来电编号", "Call id", S_TEXT, 128, true,
      "话务系统的编号；留空白则用预填的坐席编号 · the telephony system's id, or keep the desk's" },
    { HOTLINE_CALLER_NUMBER, "来电号码", "Caller number", S_TEL, 32, false,
      "号码或姓名至少填一项 · a number or a name is required" },
    { HOTLINE_CUSTOMER_NAME, "客户姓名", "Customer name", S_TEXT, 85, false, NULL },
    { HOTLINE_CUSTOMER_EMAIL, "电子邮箱", "E-mail", S_TEXT, 256, false,
      "客户愿意用邮件接收回执时填写 · when the customer wants the receipt by e-mail" },
    { HOTLINE_CUSTOMER_ACCOUNT, "账号或卡号", "Account or card number", S_TEXT, 64, false, NULL },
    { HOTLINE_COMPLAINT, "客户原话", "The customer's words", S_TEXTAREA, 20000, true, NULL },
    { HOTLINE_DEMAND, "客户诉求", "What the customer asks for", S_TEXTAREA, 2700, false, NULL },
    { HOTLINE_PRODUCT, "产品/业务", "Product or business line", S_TEXT, 85, false,
      "例如 信用卡、个人贷款 · e.g. credit card" },
    { HOTLINE_BRANCH, "涉及网点", "Branch", S_TEXT, 85, false, NULL },
    { HOTLINE_IVR_PATH, "IVR 路径", "IVR path", S_TEXT, 64, false, "例如 1-3-2 · e.g. 1-3-2" },
    { HOTLINE_RECORDING_REF, "录音编号", "Recording reference", S_TEXT, 64, false, NULL },
    { HOTLINE_AMOUNT, "涉及金额（元）", "Amount in dispute (yuan)", S_DECIMAL, 20, false, NULL },
    { HOTLINE_RESOLVED_ON_CALL, "已在通话中解决", "Resolved on the call", S_CHECK, 0, false,
      "一次解决：登记、受理并办结 · registered, accepted and resolved at once" },
    { HOTLINE_OUTCOME, "处理结果", "Outcome", S_OUTCOME, 0, false, NULL },
    { HOTLINE_RESOLUTION, "处理说明", "What was explained or done", S_TEXTAREA, 1300, false, NULL },
    { HOTLINE_RESOLUTION_AMOUNT, "退款/补偿金额（元）", "Amount refunded or paid (yuan)",
      S_DECIMAL, 20, false, NULL },
    { HOTLINE_SUBJECT, "主题", "Subject", S_TEXT, 85, false, NULL },
    { HOTLINE_LANG, "客户语言", "Customer's language", S_LANG, 0, false, NULL },
    /* issue 16 follow-up (adapters2): when the call is about a member of staff */
    { HOTLINE_STAFF_CONCERNED, "涉及的工作人员", "Member of staff concerned", S_TEXT, 200, false,
      "投诉涉及某位员工时填写：姓名、工号或描述 · when the complaint is about a member of"
      " staff: a name, staff number or description" },
    { HOTLINE_INCIDENT_AT, "事发时间", "When it happened", S_TEXT, 25, false,
      "YYYY-MM-DD HH:MM，北京时间 · Beijing time" },
    { HOTLINE_INCIDENT_PLACE, "事发地点", "Where it happened", S_TEXT, 200, false,
      "例如 朝阳支行营业厅 · e.g. the Chaoyang branch's hall" },
};
#define S_NFIELDS (sizeof s_fields / sizeof s_fields [0])

static const char *const s_outcome_zh [] = {
    "解释说明", "纠正差错", "退款", "补偿", "致歉", "改进流程",
    "善意补偿或额外服务",        /* issue 16 (i16-vetting): goodwill */
    NULL
};

static void
s_head (FILE *out, const char *title_zh, const char *title_en)
{
    fprintf (out, "<!DOCTYPE html>\n<html lang=\"zh\">\n<head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width\">"
                  "<title>%s · %s — 热线坐席 Hotline desk</title>"
                  "<style>body{font-family:sans-serif;max-width:46em;margin:1em auto;padding:0 1em}"
                  "label{display:block;font-weight:bold;margin-top:.7em}"
                  "input[type=text],input[type=tel],input[type=password],textarea,select"
                  "{width:100%%;box-sizing:border-box;font-size:1em}"
                  ".hint{color:#555;margin:.1em 0;font-size:.9em}"
                  ".error{color:#b00020;font-weight:bold;margin:.1em 0}"
                  "[role=alert]{border:2px solid #b00020;padding:.5em}"
                  ".number{font-size:1.6em;letter-spacing:.05em}"
                  "button{margin-top:1em;font-size:1.1em}</style></head>\n<body>\n",
             title_zh, title_en);
}

static void
s_tail (FILE *out)
{
    fprintf (out, "</body>\n</html>\n");
}

static void
s_csrf (FILE *out, const char *csrf)
{
    fprintf (out, "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_escape (out, csrf);
    fprintf (out, "\">\n");
}

void
hotline_page_signin (FILE *out, const char *csrf, const char *error)
{
    s_head (out, "坐席登录", "Sign in");
    fprintf (out, "<h1>坐席登录 <span lang=\"en\">Agent sign-in</span></h1>\n");
    if (error) {
        fprintf (out, "<div role=\"alert\"><p class=\"error\" id=\"token-error\">");
        html_escape (out, error);
        fprintf (out, "</p></div>\n");
    }
    fprintf (out, "<form method=\"post\" action=\"/signin\">\n");
    s_csrf (out, csrf);
    fprintf (out, "<label for=\"token\">员工令牌 <span lang=\"en\">Staff token</span></label>\n"
                  "<p class=\"hint\" id=\"token-hint\">与投诉系统其他工具相同的令牌 · the token"
                  " your other complaint tools use</p>\n"
                  "<input type=\"password\" id=\"token\" name=\"token\" required autofocus"
                  " maxlength=\"128\" autocomplete=\"current-password\""
                  " aria-describedby=\"token-hint%s\"%s>\n"
                  "<button type=\"submit\">登录 <span lang=\"en\">Sign in</span></button>\n"
                  "</form>\n", error ? " token-error" : "", error ? " aria-invalid=\"true\"" : "");
    s_tail (out);
}

static void
s_value (FILE *out, http_form_t *values, const char *name)
{
    const char *v = values ? http_form_get (values, name) : NULL;
    if (v)
        html_escape (out, v);
}

static bool
s_checked (http_form_t *values, const char *name)
{
    const char *v = values ? http_form_get (values, name) : NULL;
    return v && *v && strcmp (v, "no") != 0;
}

void
hotline_page_call (FILE *out, const char *csrf, const char *call_id, http_form_t *values,
                   const char *err_field, const char *err_reason)
{
    s_head (out, "登记来电", "Register a call");
    fprintf (out, "<h1>登记来电 <span lang=\"en\">Register a call</span></h1>\n");
    if (err_field) {
        fprintf (out, "<div role=\"alert\"><p>请更正 <span lang=\"en\">Please correct</span>: "
                      "<a href=\"#%s\">", err_field);
        html_escape (out, err_reason);
        fprintf (out, "</a></p></div>\n");
    }
    fprintf (out, "<form method=\"post\" action=\"/call\">\n");
    s_csrf (out, csrf);
    for (size_t i = 0; i < S_NFIELDS; i++) {
        const s_field_t *f = &s_fields [i];
        const char *name = hotline_call_field_names [f->field];
        bool wrong = err_field && strcmp (err_field, name) == 0;
        if (f->kind == S_CHECK)
            fprintf (out, "<p><input type=\"checkbox\" id=\"%s\" name=\"%s\" value=\"yes\"%s"
                          " aria-describedby=\"%s-hint%s%s%s\"%s> <label for=\"%s\""
                          " style=\"display:inline\">%s <span lang=\"en\">%s</span></label></p>\n",
                     name, name, s_checked (values, name) ? " checked" : "", name,
                     wrong ? " " : "", wrong ? name : "", wrong ? "-error" : "",
                     wrong ? " aria-invalid=\"true\"" : "", name, f->zh, f->en);
        else
            fprintf (out, "<label for=\"%s\">%s <span lang=\"en\">%s</span>%s</label>\n",
                     name, f->zh, f->en, f->required ? " *" : "");
        if (f->hint)
            fprintf (out, "<p class=\"hint\" id=\"%s-hint\">%s</p>\n", name, f->hint);
        if (wrong) {
            fprintf (out, "<p class=\"error\" id=\"%s-error\">", name);
            html_escape (out, err_reason);
            fprintf (out, "</p>\n");
        }
        char described [96] = "";
        if (f->hint)
            snprintf (described, sizeof described, "%s-hint", name);
        if (wrong) {
            size_t used = strlen (described);
            snprintf (described + used, sizeof described - used, "%s%s-error",
                      used ? " " : "", name);
        }
        char aria [160] = "";
        if (*described)
            snprintf (aria, sizeof aria, " aria-describedby=\"%s\"", described);
        if (wrong)
            strcat (aria, " aria-invalid=\"true\"");
        switch (f->kind) {
            case S_CHECK:
                break;
            case S_TEXTAREA:
                fprintf (out, "<textarea id=\"%s\" name=\"%s\" rows=\"%d\" maxlength=\"%d\"%s%s>",
                         name, name, f->field == HOTLINE_COMPLAINT ? 6 : 3, f->maxlength,
                         f->required ? " required" : "", aria);
                s_value (out, values, name);
                fprintf (out, "</textarea>\n");
                break;
            case S_OUTCOME:
            case S_LANG: {
                const char *current = values ? http_form_get (values, name) : NULL;
                fprintf (out, "<select id=\"%s\" name=\"%s\"%s>\n", name, name, aria);
                if (f->kind == S_LANG) {
                    bool en = current && strcmp (current, "en") == 0;
                    fprintf (out, "<option value=\"zh\"%s>中文</option>"
                                  "<option value=\"en\"%s lang=\"en\">English</option>\n",
                             en ? "" : " selected", en ? " selected" : "");
                }
                else {
                    fprintf (out, "<option value=\"\">—</option>\n");
                    for (int k = 0; lifecycle_outcomes [k]; k++)
                        fprintf (out, "<option value=\"%s\"%s>%s · %s</option>\n",
                                 lifecycle_outcomes [k],
                                 current && strcmp (current, lifecycle_outcomes [k]) == 0
                                 ? " selected" : "",
                                 s_outcome_zh [k] ? s_outcome_zh [k] : "", lifecycle_outcomes [k]);
                }
                fprintf (out, "</select>\n");
                break;
            }
            default:
                fprintf (out, "<input type=\"%s\" id=\"%s\" name=\"%s\" maxlength=\"%d\"%s%s%s%s"
                              " value=\"",
                         f->kind == S_TEL ? "tel" : "text", name, name, f->maxlength,
                         f->kind == S_DECIMAL ? " inputmode=\"decimal\"" : "",
                         f->field == HOTLINE_CALL_ID ? " autofocus" : "",
                         f->required ? " required" : "", aria);
                if (f->field == HOTLINE_CALL_ID && (!values || !http_form_get (values, name)))
                    html_escape (out, call_id ? call_id : "");
                else
                    s_value (out, values, name);
                fprintf (out, "\">\n");
                break;
        }
    }
    fprintf (out, "<button type=\"submit\">登记 <span lang=\"en\">Register</span></button>\n"
                  "</form>\n<form method=\"post\" action=\"/signout\">");
    s_csrf (out, csrf);
    fprintf (out, "<button type=\"submit\">退出 <span lang=\"en\">Sign out</span></button>"
                  "</form>\n");
    s_tail (out);
}

/* "2026-12-05 10:31:07 CST (Asia/Shanghai, UTC+08:00)": the process's TZ
 * is the bank's zone (main sets it). */
static void
s_time (FILE *out, int64_t at_ms, const char *tz)
{
    time_t t = (time_t) (at_ms / 1000);
    struct tm tm;
    localtime_r (&t, &tm);
    char when [64], offset [16];
    strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &tm);
    strftime (offset, sizeof offset, "%z", &tm);
    fprintf (out, "%s (", when);
    html_escape (out, tz);
    fprintf (out, ", UTC%.3s:%.2s)", offset, offset + 3);
}

void
hotline_page_confirmation (FILE *out, const char *csrf, const char *call_id,
                           const char *complaint_no, const char *query_code, const char *state,
                           bool duplicate, int64_t at_ms, const char *tz)
{
    bool resolved = state && strcmp (state, "resolved") == 0;
    s_head (out, "已登记", "Registered");
    fprintf (out, "<h1>%s <span lang=\"en\">%s</span></h1>\n",
             resolved ? "已登记并办结" : "已登记", resolved ? "Registered and resolved"
                                                         : "Registered");
    if (duplicate)
        fprintf (out, "<p role=\"status\">此来电编号已登记过，以下为原投诉编号。"
                      " <span lang=\"en\">This call id was registered before: its first"
                      " complaint number.</span></p>\n");
    fprintf (out, "<dl>\n<dt>投诉编号 <span lang=\"en\">Complaint number</span></dt>"
                  "<dd class=\"number\" id=\"complaint-no\">");
    html_escape (out, complaint_no);
    fprintf (out, "</dd>\n<dt>查询码（请读给客户） <span lang=\"en\">Query code (read it to the"
                  " customer)</span></dt><dd class=\"number\" id=\"query-code\">");
    html_escape (out, query_code && *query_code ? query_code : "—");
    fprintf (out, "</dd>\n<dt>状态 <span lang=\"en\">State</span></dt><dd id=\"state\">");
    html_escape (out, state ? state : "received");
    fprintf (out, "</dd>\n<dt>来电编号 <span lang=\"en\">Call id</span></dt><dd id=\"call-id\">");
    html_escape (out, call_id);
    fprintf (out, "</dd>\n<dt>登记时间 <span lang=\"en\">Registered at</span></dt>"
                  "<dd id=\"registered-at\">");
    s_time (out, at_ms, tz);
    fprintf (out, "</dd>\n</dl>\n<p><a href=\"/\" autofocus>登记下一个来电 <span lang=\"en\">"
                  "Register the next call</span></a></p>\n");
    (void) csrf;
    s_tail (out);
}

void
hotline_page_pending (FILE *out, const char *csrf, const char *call_id)
{
    (void) csrf;
    s_head (out, "已收下", "Taken");
    fprintf (out, "<h1>已收下，编号稍后生成 <span lang=\"en\">Taken; the number comes"
                  " later</span></h1>\n<p role=\"status\">来电 <strong id=\"call-id\">");
    html_escape (out, call_id);
    fprintf (out, "</strong> 已保存，投诉系统暂未答复；它会自动登记，不会重复。"
                  " <span lang=\"en\">The call is saved; the complaint system has not"
                  " answered yet. It will be registered by itself, once.</span></p>\n"
                  "<p><a href=\"/\">登记下一个来电 <span lang=\"en\">Register the next call"
                  "</span></a></p>\n");
    s_tail (out);
}

void
hotline_page_message (FILE *out, const char *title, const char *text)
{
    s_head (out, title, "");
    fprintf (out, "<h1>");
    html_escape (out, title);
    fprintf (out, "</h1>\n<p role=\"alert\">");
    html_escape (out, text);
    fprintf (out, "</p>\n<p><a href=\"/\">返回 <span lang=\"en\">Back</span></a></p>\n");
    s_tail (out);
}

#include "selftest.h"

void
hotline_page_test (bool verbose)
{
    if (verbose)
        printf (" * hotline_page: ");
    /* every outcome has its Chinese name, in the lifecycle's order */
    for (int k = 0; lifecycle_outcomes [k]; k++)
        assert (s_outcome_zh [k]);
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    proto_error_t err;
    const char *body = "call_id=CC-1&caller_number=138&complaint=%3Cscript%3E";
    http_form_t *form = http_form_parse (body, strlen (body), 32, 65536, &err);
    assert (form);
    hotline_page_call (out, "1.abc", "desk-x", form, "caller_number", "too <short>");
    fclose (out);
    assert (strstr (page, "<label for=\"caller_number\">"));
    assert (strstr (page, "id=\"caller_number-error\">too &lt;short&gt;</p>"));
    assert (strstr (page, "aria-invalid=\"true\""));
    assert (strstr (page, "&lt;script&gt;") && !strstr (page, "<script>"));
    assert (strstr (page, "value=\"CC-1\""));
    for (size_t i = 0; i < S_NFIELDS; i++) {
        char label [64];
        snprintf (label, sizeof label, "for=\"%s\"", hotline_call_field_names [s_fields [i].field]);
        assert (strstr (page, label));
    }
    free (page);
    http_form_destroy (&form);

    out = open_memstream (&page, &size);
    setenv ("TZ", "Asia/Shanghai", 1);
    tzset ();
    hotline_page_confirmation (out, "1.abc", "CC-1", "202612050000017", "10W33-R9M0Y", "resolved",
                               false, 1796437867000LL, "Asia/Shanghai");
    fclose (out);
    assert (strstr (page, "2026-12-05 10:31:07 CST (Asia/Shanghai, UTC+08:00)"));
    assert (strstr (page, "已登记并办结"));
    free (page);
    unsetenv ("TZ");
    tzset ();
    if (verbose)
        printf ("OK\n");
}

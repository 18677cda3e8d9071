/*  web_page.c — the customer's pages (see web_page.h).
 *
 *  The form is a table (s_fields): each field's name (intake's path),
 *  its labels, its kind, its limit and hint in both languages. The page,
 *  the error placement and the selftest all read that one table.
 */
#include "web_page.h"
#include "html.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_TEXT, S_TEXTAREA, S_TEL, S_EMAIL, S_DECIMAL, S_DATETIME } s_kind_t;

typedef struct {
    const char *name;
    const char *label [2];
    const char *hint [2];
    s_kind_t kind;
    int maxlength;                      /* characters the browser lets through */
    bool required;
    const char *autocomplete;
    int group;                          /* 0 contact, 1 complaint, 2 staff (S_GROUPS) */
} s_field_t;

static const s_field_t s_fields [] = {
    { "customer.name", { "姓名", "Name" }, { "最多 256 字节。", "Up to 256 bytes." },
      S_TEXT, 85, false, "name", 0 },
    { "customer.phone", { "手机号码", "Mobile phone" },
      { "数字、空格和 + - ( )，3 至 32 位。", "Digits, spaces and + - ( ), 3 to 32 characters." },
      S_TEL, 32, false, "tel", 0 },
    { "customer.email", { "电子邮箱", "E-mail" }, { "例如 name@example.com。", "For example name@example.com." },
      S_EMAIL, 256, false, "email", 0 },
    { "customer.account", { "账号或卡号（选填）", "Account or card number (optional)" },
      { "最多 64 个字符。", "Up to 64 characters." }, S_TEXT, 64, false, "off", 0 },
    { "branch", { "办理网点（选填）", "Branch (optional)" }, { "例如：北京朝阳支行。", "For example: Beijing Chaoyang branch." },
      S_TEXT, 85, false, "off", 1 },
    { "product", { "产品或业务（选填）", "Product or service (optional)" },
      { "例如：信用卡、个人贷款、理财。", "For example: credit card, personal loan, wealth management." },
      S_TEXT, 85, false, "off", 1 },
    { "subject", { "主题（选填）", "Subject (optional)" }, { "一句话概括，最多 256 字节。", "One line, up to 256 bytes." },
      S_TEXT, 85, false, "off", 1 },
    { "body", { "投诉内容（必填）", "What happened (required)" },
      { "请写明时间、经过和涉及的业务，最多 64 KB（约两万字）。",
        "When and what happened, and which service; up to 64 KB (about 20,000 characters)." },
      S_TEXTAREA, 21000, true, "off", 1 },
    { "demand", { "您的诉求（选填）", "What you ask for (optional)" },
      { "例如：退还多收的年费。最多 8 KB。", "For example: refund the fee charged twice. Up to 8 KB." },
      S_TEXTAREA, 2700, false, "off", 1 },
    { "amount", { "涉及金额（元，选填）", "Amount involved (yuan, optional)" },
      { "数字，最多两位小数，例如 300.00。", "A number with up to two decimals, e.g. 300.00." },
      S_DECIMAL, 20, false, "off", 1 },
    /* issue 16 follow-up (adapters2): the incident, when the complaint is
     * about a member of staff (submit's optional `incident`, migration 046;
     * the accountability register reads it). All optional. */
    { "incident.staff_concerned", { "涉及的工作人员", "The member of staff" },
      { "姓名、工号或描述，例如：柜台 3 号窗口的柜员。最多 200 字。",
        "A name, staff number or description, e.g. the teller at counter 3. Up to 200 characters." },
      S_TEXT, 200, false, "off", 2 },
    { "incident.at", { "发生时间", "When it happened" },
      { "北京时间，例如 2026-12-05 10:30。", "Beijing time, for example 2026-12-05 10:30." },
      S_DATETIME, 16, false, "off", 2 },
    { "incident.place", { "发生地点", "Where it happened" },
      { "例如：朝阳支行营业厅、电话客服。最多 200 字。",
        "For example: the Chaoyang branch's hall, the phone line. Up to 200 characters." },
      S_TEXT, 200, false, "off", 2 },
};
#define S_FIELDS (sizeof s_fields / sizeof s_fields [0])
#define S_GROUPS 3

static const char *s_texts [WEB_T_COUNT][2] = {
    [WEB_T_TOO_MANY] = { "请求过于频繁，请稍后再试。", "Too many requests; please try again in a moment." },
    [WEB_T_UNAVAILABLE] = { "服务暂时不可用，请稍后再试。",
                            "The service is not available right now; please try again shortly." },
    [WEB_T_NOT_FOUND] = { "页面不存在。", "There is no such page." },
    [WEB_T_CSRF] = { "页面已过期，请检查以下内容后重新提交。",
                     "This page had expired; please check your complaint below and send it again." },
    [WEB_T_TOO_LARGE] = { "提交的内容过大。", "What was sent is too large." },
    [WEB_T_STATUS_UNKNOWN] = { "没有找到该投诉，或查询码不正确。请核对后重试。",
                               "No complaint was found with that number and query code. Please check both and try again." },
    [WEB_T_BAD_FORM] = { "表单无法读取，请重新填写。", "The form could not be read; please fill it in again." },
    [WEB_T_ERROR_TITLE] = { "出错了", "Something went wrong" },
};

const char *
web_page_text (web_lang_t lang, web_text_t text)
{
    assert (text < WEB_T_COUNT);
    return s_texts [text][lang];
}

const char *
web_page_lang_code (web_lang_t lang)
{
    return lang == WEB_EN ? "en" : "zh";
}

web_lang_t
web_page_lang (const char *query, const char *cookie, const char *accept_language)
{
    if (query && (streq (query, "en") || streq (query, "zh")))
        return streq (query, "en") ? WEB_EN : WEB_ZH;
    if (cookie && (streq (cookie, "en") || streq (cookie, "zh")))
        return streq (cookie, "en") ? WEB_EN : WEB_ZH;
    //  The first of zh / en the browser lists (quality values are written
    //  in order by every browser; we do not re-sort them).
    for (const char *p = accept_language; p && *p; ) {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncasecmp (p, "zh", 2) == 0)
            return WEB_ZH;
        if (strncasecmp (p, "en", 2) == 0)
            return WEB_EN;
        p = strchr (p, ',');
    }
    return WEB_ZH;
}

#define T(zh, en) (lang == WEB_EN ? (en) : (zh))

static void
s_head (FILE *out, web_lang_t lang, const char *title, const char *switch_path)
{
    fprintf (out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
             lang == WEB_EN ? "en" : "zh-CN");
    html_escape (out, title);
    fputs ("</title>\n<style>\n"
           "body{font-family:\"Noto Sans CJK SC\",\"Noto Sans\",sans-serif;max-width:46em;"
           "margin:0 auto;padding:1em;line-height:1.5;color:#1a1a1a}\n"
           "label{display:block;font-weight:bold;margin-top:.8em}\n"
           "input[type=text],input[type=tel],input[type=email],textarea{width:100%;"
           "box-sizing:border-box;font:inherit;padding:.4em;border:1px solid #555}\n"
           "textarea{min-height:8em}\n"
           "fieldset{border:1px solid #999;margin:1em 0;padding:.5em 1em 1em}\n"
           "legend{font-weight:bold;padding:0 .3em}\n"
           ".hint{color:#444;margin:.2em 0;font-size:.9em}\n"
           ".error{color:#a00000;font-weight:bold;margin:.2em 0}\n"
           "[aria-invalid=true]{border:2px solid #a00000}\n"
           ".summary{border:2px solid #a00000;padding:.5em 1em}\n"
           ".notice{border:2px solid #705000;padding:.5em 1em}\n"
           "button{font:inherit;padding:.5em 1.5em;margin-top:1em}\n"
           ":focus{outline:3px solid #0050b0;outline-offset:2px}\n"
           ".code{font-family:monospace;font-size:1.4em;letter-spacing:.1em}\n"
           "nav{text-align:right}\n"
           "dt{font-weight:bold}\n"
           "</style></head><body>\n", out);
    //  A path with a query already (the survey's ?t=) takes &lang=. The
    //  path is escaped: the survey's carries what the request sent
    //  (fuzz_web_survey found a form re-shown with a token "<script>...").
    fputs ("<nav><a href=\"", out);
    html_escape (out, switch_path);
    fprintf (out, "%slang=%s\" lang=\"%s\">%s</a></nav>\n",
             strchr (switch_path, '?') ? "&amp;" : "?", lang == WEB_EN ? "zh" : "en",
             lang == WEB_EN ? "zh-CN" : "en", lang == WEB_EN ? "中文" : "English");
    fputs ("<main>\n", out);
}

static void
s_foot (FILE *out, web_lang_t lang)
{
    fprintf (out, "</main>\n<footer><p><a href=\"/\">%s</a> · <a href=\"/status\">%s</a></p>"
             "</footer>\n</body></html>\n", T ("提交投诉", "Make a complaint"),
             T ("查询进度", "Check a complaint"));
}

/* The field's error in the page's language: intake's English sentence
 * stays beside the Chinese one, so nothing it says is lost. */
static void
s_error_text (FILE *out, web_lang_t lang, const proto_error_t *err)
{
    const char *zh = NULL;
    if (streq (err->code, PROTO_E_MISSING_FIELD))
        zh = streq (err->field, "customer") ? "请至少填写一种联系方式（姓名、手机、邮箱或账号）。"
                                            : "请填写此项。";
    else
    if (streq (err->code, PROTO_E_TOO_LARGE))
        zh = "内容超过长度上限。";
    else
    if (streq (err->code, PROTO_E_INVALID_FIELD) || streq (err->code, PROTO_E_WRONG_TYPE))
        zh = "格式不正确。";
    else
    if (streq (err->code, PROTO_E_INVALID_UTF8))
        zh = "含有无法识别的字符。";
    if (lang == WEB_ZH && zh) {
        html_escape (out, zh);
        fputs (" (", out);
        html_escape (out, err->message);
        fputs (")", out);
    }
    else
        html_escape (out, err->message);
}

static void
s_field (FILE *out, web_lang_t lang, const s_field_t *f, http_form_t *values,
         const proto_error_t *err)
{
    //  ids: f-NAME for the control, hint-NAME, err-NAME ('.' is fine in an id)
    bool wrong = err && streq (err->field, f->name);
    const char *value = values ? http_form_get (values, f->name) : NULL;
    fprintf (out, "<label for=\"f-%s\">", f->name);
    html_escape (out, f->label [lang]);
    fputs ("</label>\n", out);
    fprintf (out, "<p class=\"hint\" id=\"hint-%s\">", f->name);
    html_escape (out, f->hint [lang]);
    fputs ("</p>\n", out);
    if (wrong) {
        fprintf (out, "<p class=\"error\" id=\"err-%s\">", f->name);
        s_error_text (out, lang, err);
        fputs ("</p>\n", out);
    }
    char describedby [200];
    snprintf (describedby, sizeof describedby, "hint-%s%s%s", f->name, wrong ? " err-" : "",
              wrong ? f->name : "");
    if (f->kind == S_TEXTAREA) {
        fprintf (out, "<textarea id=\"f-%s\" name=\"%s\" rows=\"8\" maxlength=\"%d\""
                 " aria-describedby=\"%s\"%s%s>", f->name, f->name, f->maxlength, describedby,
                 f->required ? " required aria-required=\"true\"" : "",
                 wrong ? " aria-invalid=\"true\"" : "");
        html_escape (out, value);
        fputs ("</textarea>\n", out);
        return;
    }
    //  datetime-local: the browser's picker sends "YYYY-MM-DDTHH:MM", which
    //  the adapter reads in the bank's zone; typed by hand it is text.
    const char *type = f->kind == S_TEL ? "tel" : f->kind == S_EMAIL ? "email"
                     : f->kind == S_DATETIME ? "datetime-local" : "text";
    fprintf (out, "<input type=\"%s\" id=\"f-%s\" name=\"%s\" maxlength=\"%d\""
             " autocomplete=\"%s\" aria-describedby=\"%s\"%s%s%s value=\"", type, f->name,
             f->name, f->maxlength, f->autocomplete, describedby,
             f->kind == S_DECIMAL ? " inputmode=\"decimal\"" : "",
             f->required ? " required aria-required=\"true\"" : "",
             wrong ? " aria-invalid=\"true\"" : "");
    html_escape (out, value);
    fputs ("\">\n", out);
}

static const s_field_t *
s_field_named (const char *name)
{
    for (size_t i = 0; i < S_FIELDS; i++)
        if (streq (s_fields [i].name, name))
            return &s_fields [i];
    return NULL;
}

static void
s_hidden (FILE *out, const char *name, const char *value)
{
    fprintf (out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    html_escape (out, value);
    fputs ("\">\n", out);
}

void
web_page_form (FILE *out, web_lang_t lang, const char *csrf, const char *ref,
               http_form_t *values, const proto_error_t *err, const char *notice)
{
    s_head (out, lang, T ("提交投诉 — 客户投诉", "Make a complaint — Customer complaints"), "/");
    fprintf (out, "<h1>%s</h1>\n<p>%s</p>\n", T ("提交投诉", "Make a complaint"),
             T ("我们会在收到后给您投诉编号和查询码，请妥善保存。",
                "When we receive your complaint we give you its number and a query code; "
                "please keep both."));
    if (notice) {
        fputs ("<p class=\"notice\" role=\"status\">", out);
        html_escape (out, notice);
        fputs ("</p>\n", out);
    }
    if (err) {
        //  The summary names the field and links to it; "customer" (no
        //  contact at all) points at the first contact field.
        const s_field_t *f = s_field_named (err->field);
        const char *target = f ? f->name : streq (err->field, "customer") ? "customer.name" : NULL;
        fprintf (out, "<div class=\"summary\" role=\"alert\" id=\"error-summary\">\n<h2>%s</h2>\n"
                 "<p>", T ("请修改以下内容", "Please correct this"));
        if (target) {
            fprintf (out, "<a href=\"#f-%s\">", target);
            html_escape (out, f ? f->label [lang] : T ("联系方式", "Contact details"));
            fputs ("</a>: ", out);
        }
        else
        if (*err->field) {
            html_escape (out, err->field);
            fputs (": ", out);
        }
        s_error_text (out, lang, err);
        fputs ("</p>\n</div>\n", out);
    }
    fputs ("<form method=\"post\" action=\"/\" accept-charset=\"utf-8\" novalidate>\n", out);
    s_hidden (out, "csrf", csrf);
    s_hidden (out, "ref", ref);
    s_hidden (out, "lang", web_page_lang_code (lang));
    for (int group = 0; group < S_GROUPS; group++) {
        bool contact_error = group == 0 && err && streq (err->field, "customer");
        fprintf (out, "<fieldset%s>\n<legend>%s</legend>\n",
                 contact_error ? " aria-describedby=\"err-customer\"" : "",
                 group == 0 ? T ("您的联系方式", "How we can reach you")
                 : group == 1 ? T ("投诉内容", "Your complaint")
                 : T ("涉及工作人员（选填）", "About a member of staff (optional)"));
        if (group == 2)
            fprintf (out, "<p class=\"hint\">%s</p>\n",
                     T ("如果您的投诉涉及某位工作人员的言行，请告诉我们是谁、何时、在哪里。",
                        "If your complaint is about what a member of staff said or did, tell us"
                        " who, when and where."));
        if (group == 0) {
            fprintf (out, "<p class=\"hint\">%s</p>\n",
                     T ("请至少填写一项，我们用它联系您。", "Fill in at least one; we use it to reach you."));
            if (contact_error) {
                fputs ("<p class=\"error\" id=\"err-customer\">", out);
                s_error_text (out, lang, err);
                fputs ("</p>\n", out);
            }
        }
        for (size_t i = 0; i < S_FIELDS; i++)
            if (s_fields [i].group == group)
                s_field (out, lang, &s_fields [i], values, err);
        fputs ("</fieldset>\n", out);
    }
    const char *consent = values ? http_form_get (values, "narrative_consent") : NULL;
    fprintf (out, "<fieldset>\n<legend>%s</legend>\n<p><input type=\"checkbox\""
             " id=\"f-narrative_consent\" name=\"narrative_consent\" value=\"yes\"%s>\n"
             "<label for=\"f-narrative_consent\" style=\"display:inline;font-weight:normal\">%s"
             "</label></p>\n</fieldset>\n", T ("公开统计（选填）", "Public statistics (optional)"),
             consent && *consent ? " checked" : "",
             T ("我同意在去除个人信息后，将投诉内容用于公开的统计分析。",
                "I agree that the text of my complaint, with personal details removed, may be "
                "used in published statistics."));
    fprintf (out, "<button type=\"submit\">%s</button>\n</form>\n", T ("提交", "Send"));
    s_foot (out, lang);
}

void
web_page_confirmation (FILE *out, web_lang_t lang, const char *complaint_no,
                       const char *query_code, bool duplicate)
{
    s_head (out, lang, T ("投诉已受理", "Complaint received"), "/");
    fprintf (out, "<h1>%s</h1>\n", T ("投诉已受理", "We have your complaint"));
    if (duplicate)
        fprintf (out, "<p role=\"status\">%s</p>\n",
                 T ("这份投诉此前已经提交过，以下是它的编号。",
                    "This complaint had already been sent; here is its number."));
    fprintf (out, "<dl>\n<dt>%s</dt>\n<dd class=\"code\" id=\"complaint-no\">",
             T ("投诉编号", "Complaint number"));
    html_escape (out, complaint_no);
    fprintf (out, "</dd>\n<dt>%s</dt>\n<dd class=\"code\" id=\"query-code\">",
             T ("查询码", "Query code"));
    html_escape (out, query_code);
    fprintf (out, "</dd>\n</dl>\n<p>%s</p>\n",
             T ("请记下编号和查询码：凭二者可随时查询处理进度。查询码只显示这一次。",
                "Please write down the number and the query code: with both you can check "
                "the progress at any time. The query code is shown only this once."));
    fprintf (out, "<p><a href=\"/status?no=");
    html_escape (out, complaint_no);
    fprintf (out, "\">%s</a></p>\n", T ("查询处理进度", "Check the progress"));
    s_foot (out, lang);
}

void
web_page_pending (FILE *out, web_lang_t lang, const char *csrf, const char *ref,
                  http_form_t *values)
{
    s_head (out, lang, T ("投诉已收到", "Complaint received"), "/");
    fprintf (out, "<h1>%s</h1>\n<p role=\"status\">%s</p>\n",
             T ("您的投诉已收到", "Your complaint is safely with us"),
             T ("投诉已妥善保存，但编号尚未生成。请稍后点击下面的按钮获取编号和查询码；"
                "重复点击不会产生第二份投诉。",
                "It is stored and will be registered, but its number is not ready yet. Press "
                "the button below in a moment to get the number and query code; pressing it "
                "again never makes a second complaint."));
    fputs ("<form method=\"post\" action=\"/\" accept-charset=\"utf-8\">\n", out);
    s_hidden (out, "csrf", csrf);
    s_hidden (out, "ref", ref);
    s_hidden (out, "lang", web_page_lang_code (lang));
    for (size_t i = 0; i < S_FIELDS; i++) {
        const char *v = values ? http_form_get (values, s_fields [i].name) : NULL;
        if (v && *v)
            s_hidden (out, s_fields [i].name, v);
    }
    const char *consent = values ? http_form_get (values, "narrative_consent") : NULL;
    if (consent && *consent)
        s_hidden (out, "narrative_consent", consent);
    fprintf (out, "<button type=\"submit\">%s</button>\n</form>\n",
             T ("获取编号", "Get my number"));
    s_foot (out, lang);
}

void
web_page_status_form (FILE *out, web_lang_t lang, const char *csrf, const char *number,
                      const char *error)
{
    s_head (out, lang, T ("查询投诉进度", "Check a complaint"), "/status");
    fprintf (out, "<h1>%s</h1>\n", T ("查询投诉进度", "Check a complaint"));
    if (error) {
        fputs ("<div class=\"summary\" role=\"alert\"><p id=\"err-status\">", out);
        html_escape (out, error);
        fputs ("</p></div>\n", out);
    }
    fputs ("<form method=\"post\" action=\"/status\" accept-charset=\"utf-8\" novalidate>\n", out);
    s_hidden (out, "csrf", csrf);
    s_hidden (out, "lang", web_page_lang_code (lang));
    fprintf (out, "<fieldset>\n<legend>%s</legend>\n", T ("编号和查询码", "Number and query code"));
    fprintf (out, "<label for=\"f-no\">%s</label>\n<p class=\"hint\" id=\"hint-no\">%s</p>\n"
             "<input type=\"text\" id=\"f-no\" name=\"no\" inputmode=\"numeric\" maxlength=\"32\""
             " autocomplete=\"off\" required aria-required=\"true\" aria-describedby=\"hint-no%s\""
             "%s value=\"", T ("投诉编号", "Complaint number"),
             T ("受理时告知您的编号。", "The number you were given."),
             error ? " err-status" : "", error ? " aria-invalid=\"true\"" : "");
    html_escape (out, number);
    fprintf (out, "\">\n<label for=\"f-code\">%s</label>\n<p class=\"hint\" id=\"hint-code\">%s"
             "</p>\n<input type=\"text\" id=\"f-code\" name=\"code\" maxlength=\"32\""
             " autocomplete=\"off\" autocapitalize=\"characters\" required aria-required=\"true\""
             " aria-describedby=\"hint-code%s\"%s value=\"\">\n</fieldset>\n",
             T ("查询码", "Query code"),
             T ("形如 XXXXX-XXXXX，不区分大小写。", "Like XXXXX-XXXXX; capitals or not."),
             error ? " err-status" : "", error ? " aria-invalid=\"true\"" : "");
    fprintf (out, "<button type=\"submit\">%s</button>\n</form>\n", T ("查询", "Check"));
    s_foot (out, lang);
}

/* The states and next steps, in Chinese (proto/lifecycle.c's codes). */
static const char *
s_state_zh (const char *code)
{
    static const char *const map [][2] = {
        { "received", "已收到" }, { "assigned", "已分派" }, { "accepted", "已受理" },
        { "investigating", "调查中" }, { "awaiting_customer", "等待您的回复" },
        { "resolved", "已处理" }, { "under_review", "复核中" }, { "reopened", "重新处理中" },
        { "closed", "已结案" }, { "rejected", "不予受理" }, { "withdrawn", "已撤回" },
        { "routing", "正在转交负责部门" }, { "waiting_for_handler", "已分派，处理人员将受理并联系您" },
        { "investigation", "正在调查，将在答复期限前作出决定" },
        { "waiting_for_customer", "等待您补充信息，请回复银行的询问" },
        { "waiting_for_feedback", "已处理，银行将询问您是否满意" },
        { "review", "复核中，将在答复期限前作出决定" }, { "none", "已结束，无后续步骤" },
        /* issue 16 (i16-vetting) */
        { "proposed", "处理方案审核中" },
        { "vetting", "处理方案已拟定，正在由投诉管理部门审核，将在答复期限前作出决定" },
    };
    for (size_t i = 0; code && i < sizeof map / sizeof map [0]; i++)
        if (streq (map [i][0], code))
            return map [i][1];
    return NULL;
}

void
web_page_status (FILE *out, web_lang_t lang, const json_t *view)
{
    s_head (out, lang, T ("投诉进度", "Complaint progress"), "/status");
    const char *no = json_string_value (json_object_get (view, "complaint_no"));
    const char *state = json_string_value (json_object_get (view, "state"));
    const char *next = json_string_value (json_object_get (view, "next_step"));
    const char *next_text = json_string_value (json_object_get (view, "next_step_text"));
    fprintf (out, "<h1>%s</h1>\n<dl id=\"status\">\n<dt>%s</dt><dd id=\"status-no\">",
             T ("投诉进度", "Complaint progress"), T ("投诉编号", "Complaint number"));
    html_escape (out, no);
    fprintf (out, "</dd>\n<dt>%s</dt><dd id=\"status-state\" data-state=\"", T ("状态", "State"));
    html_escape (out, state);
    fputs ("\">", out);
    html_escape (out, lang == WEB_ZH && s_state_zh (state) ? s_state_zh (state) : state);
    fprintf (out, "</dd>\n<dt>%s</dt><dd id=\"status-next\">", T ("下一步", "Next step"));
    html_escape (out, lang == WEB_ZH && s_state_zh (next) ? s_state_zh (next) : next_text);
    fputs ("</dd>\n", out);
    static const char *const dates [][3] = {
        { "received_at", "收到时间", "Received" }, { "accepted_at", "受理时间", "Accepted" },
        { "due_at", "答复期限", "Answer due by" }, { "resolved_at", "处理完成", "Resolved" },
        { "closed_at", "结案时间", "Closed" },
    };
    const json_t *local = json_object_get (view, "local");
    for (size_t i = 0; i < sizeof dates / sizeof dates [0]; i++) {
        const char *when = json_string_value (json_object_get (local, dates [i][0]));
        if (!when)
            continue;
        fprintf (out, "<dt>%s</dt><dd id=\"status-%s\">", lang == WEB_EN ? dates [i][2]
                                                                         : dates [i][1],
                 dates [i][0]);
        html_escape (out, when);
        fputs ("</dd>\n", out);
    }
    fprintf (out, "</dl>\n<p>%s <span id=\"status-zone\">", T ("时间均为", "Times are in"));
    html_escape (out, json_string_value (json_object_get (view, "time_zone")));
    fprintf (out, "</span>%s</p>\n", T (" 时区。", " time."));
    s_foot (out, lang);
}

void
web_page_message (FILE *out, web_lang_t lang, const char *title, const char *text)
{
    s_head (out, lang, title, "/");
    fputs ("<h1>", out);
    html_escape (out, title);
    fputs ("</h1>\n<p role=\"alert\">", out);
    html_escape (out, text);
    fputs ("</p>\n", out);
    s_foot (out, lang);
}

//  --------------------------------------------------------------------------
//  Self-test (web --selftest)

#include "selftest_tally.h"

static selftest_tally_t s_tally;
#define s_check(verbose, ok, what) selftest_tally_check (&s_tally, (verbose), (ok), (what))

/* issue 16 (i16-followup): the page frame, for the survey's pages
 * (web_survey.c). */
void
web_page_head (FILE *out, web_lang_t lang, const char *title, const char *switch_path)
{
    s_head (out, lang, title, switch_path);
}

void
web_page_foot (FILE *out, web_lang_t lang)
{
    s_foot (out, lang);
}

int
web_page_test (bool verbose, int *passed)
{
    s_tally = (selftest_tally_t) { 0 };
    s_check (verbose, web_page_lang (NULL, NULL, NULL) == WEB_ZH, "Chinese unless told");
    s_check (verbose, web_page_lang (NULL, NULL, "en-GB,en;q=0.9,zh;q=0.5") == WEB_EN,
             "the browser's first of zh/en");
    s_check (verbose, web_page_lang (NULL, NULL, "fr, zh-CN;q=0.8, en;q=0.5") == WEB_ZH,
             "skipping languages we lack");
    s_check (verbose, web_page_lang (NULL, "en", "zh-CN") == WEB_EN, "the cookie over the browser");
    s_check (verbose, web_page_lang ("zh", "en", "en") == WEB_ZH, "the switch over both");

    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&page, &size);
    proto_error_t err;
    proto_error_set (&err, PROTO_E_INVALID_FIELD, "customer.phone",
                     "customer.phone may hold only digits, spaces and + - ( )");
    proto_error_t perr;
    http_form_t *values = http_form_parse ("customer.phone=%3Cscript%3E&body=x", 34, 32, 256,
                                           &perr);
    web_page_form (out, WEB_ZH, "1.ab", "form-1", values, &err, NULL);
    fclose (out);
    s_check (verbose, strstr (page, "<html lang=\"zh-CN\">") && strstr (page, "<legend>"),
             "the form: its language, fieldsets");
    s_check (verbose, strstr (page, "<label for=\"f-body\">") && strstr (page, "id=\"f-body\"")
                      && strstr (page, "<label for=\"f-customer.phone\">"),
             "every field has its label");
    s_check (verbose, strstr (page, "aria-describedby=\"hint-customer.phone err-customer.phone\"")
                      && strstr (page, "id=\"err-customer.phone\"")
                      && strstr (page, "aria-invalid=\"true\"")
                      && strstr (page, "<a href=\"#f-customer.phone\">"),
             "the error beside its field, described-by, and linked from the summary");
    s_check (verbose, !strstr (page, "<script>") && strstr (page, "&lt;script&gt;"),
             "what the customer typed is escaped");
    s_check (verbose, strstr (page, "name=\"csrf\" value=\"1.ab\"") && !strstr (page, "<script"),
             "the token is in the form; no script on the page");
    free (page);
    http_form_destroy (&values);

    //  issue 16 follow-up (adapters2): the staff section, its error beside it
    out = open_memstream (&page, &size);
    proto_error_set (&err, PROTO_E_INVALID_FIELD, "incident.at",
                     "incident.at must read YYYY-MM-DD HH:MM (Beijing time)");
    values = http_form_parse ("incident.at=yesterday&incident.place=%E6%9C%9D%E9%98%B3", 55, 32,
                              256, &perr);
    web_page_form (out, WEB_EN, "1.ab", "form-1", values, &err, NULL);
    fclose (out);
    s_check (verbose, strstr (page, "About a member of staff (optional)")
                      && strstr (page, "type=\"datetime-local\" id=\"f-incident.at\"")
                      && strstr (page, "id=\"err-incident.at\"")
                      && strstr (page, "<a href=\"#f-incident.at\">When it happened</a>")
                      && strstr (page, "value=\"朝阳\"")
                      && strstr (page, "<label for=\"f-incident.staff_concerned\">"),
             "the staff section: its fields, the error beside the time, the place kept");
    free (page);
    http_form_destroy (&values);

    out = open_memstream (&page, &size);
    web_page_confirmation (out, WEB_EN, "202612050000017", "ABCDE-FGHJK", false);
    fclose (out);
    s_check (verbose, strstr (page, "id=\"complaint-no\">202612050000017<")
                      && strstr (page, "id=\"query-code\">ABCDE-FGHJK<")
                      && strstr (page, "<html lang=\"en\">"),
             "the confirmation shows the number and the code");
    free (page);

    json_t *view = json_pack ("{s:s,s:s,s:s,s:s,s:{s:s},s:s}", "complaint_no", "202612050000017",
                              "state", "accepted", "next_step", "investigation",
                              "next_step_text", "Your complaint is being investigated.",
                              "local", "received_at", "2026-12-06 08:00 +08:00 Sun",
                              "time_zone", "Asia/Shanghai");
    out = open_memstream (&page, &size);
    web_page_status (out, WEB_ZH, view);
    fclose (out);
    s_check (verbose, strstr (page, "已受理") && strstr (page, "正在调查")
                      && strstr (page, "2026-12-06 08:00 +08:00 Sun")
                      && strstr (page, "Asia/Shanghai"),
             "the status page in Chinese, times with their zone");
    free (page);
    json_decref (view);
    return selftest_tally_end (&s_tally, verbose, "web_page", passed);
}

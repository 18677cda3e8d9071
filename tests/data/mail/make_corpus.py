#!/usr/bin/python3
"""make_corpus.py — writes the e-mail adapter's test corpus (issue 14, §3).

    /usr/bin/python3 tests/data/mail/make_corpus.py

Rewrites tests/data/mail/NAME.eml and NAME.expect.json for every message
below. The messages are built with Python's email package where a mailer
would build them that way, and as raw bytes where the point is a message no
correct mailer writes (cut, malformed, undeclared 8-bit). The expectations
are written here by hand, from what a complaint officer must get out of each
message — never copied from what `mail --parse` printed. Sizes and SHA-256
of attachments and the Date in unix ms are computed here, by Python, from
the bytes this script puts in, independently of the C code.

An expect.json holds only the fields that must come out (tests/integration/
mail_corpus.py compares them as a subset), plus:
    exit            the exit status of `mail --parse` (0, or 3 unparsable)
    now_ms          passed as --now (so received_at is decidable)
    body_contains   strings the body must contain
    body_excludes   strings it must not contain (scripts, styles, markup)
    reason_contains strings the reason must contain
"""
import base64
import email.utils
import hashlib
import json
import os
from email.message import EmailMessage
from email.policy import SMTP

HERE = os.path.dirname(os.path.abspath(__file__))
HOUR_MS = 3600 * 1000
CASE_NO = "202611230000427"          # a valid number (Damm check digit 7)
BANK = "complaints@bank.example.cn"


def date_ms(text):
    return int(email.utils.parsedate_to_datetime(text).timestamp() * 1000)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def as_bytes(msg):
    return msg.as_bytes(policy=SMTP)


def base_headers(msg, sender, subject, date, msgid):
    msg["From"] = sender
    msg["To"] = BANK
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = msgid


CORPUS = {}


def add(name, data, expect):
    CORPUS[name] = (data, expect)


def raw(text, charset="utf-8"):
    """Headers and body as given, LF line ends turned into CRLF."""
    return text.replace("\n", "\r\n").encode(charset)


# ---------------------------------------------------------------- complaints

D1 = "Thu, 03 Dec 2026 09:15:00 +0800"
m = EmailMessage()
base_headers(m, "张三 <zhang.san@example.com>", "信用卡年费被重复扣收",
             D1, "<20261203091500.1@mail.example.com>")
m.set_content("您好：\n\n我的信用卡（尾号 8821）本月被扣了两次年费，每次 300 元。\n"
              "请退还多扣的年费，并说明原因。\n\n张三\n", charset="utf-8", cte="8bit")
add("plain_utf8", as_bytes(m), {
    "exit": 0, "now_ms": date_ms(D1) + HOUR_MS,
    "kind": "complaint", "code": "new",
    "message_id": "20261203091500.1@mail.example.com",
    "from": {"name": "张三", "address": "zhang.san@example.com"},
    "to": BANK, "subject": "信用卡年费被重复扣收", "date_ms": date_ms(D1),
    "body_charset": "utf-8", "body_from_html": False, "attachments": [],
    "body_contains": ["被扣了两次年费，每次 300 元", "请退还多扣的年费"],
    "submit": {"op": "submit", "channel": "email",
               "ref": "20261203091500.1@mail.example.com",
               "subject": "信用卡年费被重复扣收", "lang": "zh",
               "received_at": date_ms(D1),
               "customer": {"name": "张三", "email": "zhang.san@example.com"}},
})

D2 = "Fri, 04 Dec 2026 14:02:11 +0800"
body_gbk = ("客服您好：\n12月3日我通过手机银行向他行转账 5000 元，显示转账失败，"
            "但钱已经从账户扣除，至今未退回。请尽快查明并退款。\n李四\n")
add("gbk_body", raw(
    "From: =?GBK?B?" + base64.b64encode("李四".encode("gbk")).decode() + "?= <lisi@example.net>\n"
    f"To: {BANK}\nSubject: transfer failed\nDate: {D2}\n"
    "Message-ID: <gbk-0001@example.net>\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=GBK\nContent-Transfer-Encoding: 8bit\n\n", "ascii")
    + body_gbk.replace("\n", "\r\n").encode("gbk"), {
    "exit": 0, "kind": "complaint", "code": "new",
    "from": {"name": "李四", "address": "lisi@example.net"},
    "body_charset": "gbk",
    "body_contains": ["显示转账失败", "但钱已经从账户扣除，至今未退回"],
    "submit": {"channel": "email", "ref": "gbk-0001@example.net", "lang": "zh"},
})

D3 = "Mon, 07 Dec 2026 10:20:00 +0800"
m = EmailMessage()
base_headers(m, "wang.wu@example.org", "网点服务态度差", D3, "<gb2312-0001@example.org>")
m.set_content("今天上午在人民路支行办理业务，柜员态度恶劣，多次催促后仍不理睬。\n"
              "要求银行调查并道歉。\n", charset="gb2312", cte="base64")
data = as_bytes(m)
# The Subject the way Chinese mailers write it: GB2312, B encoding.
subject_gb = "=?GB2312?B?" + base64.b64encode("网点服务态度差".encode("gb2312")).decode() + "?="
out = []
for ln in data.split(b"\r\n"):
    if ln.startswith(b"Subject:"):
        ln = b"Subject: " + subject_gb.encode()
    out.append(ln)
add("gb2312_subject", b"\r\n".join(out), {
    "exit": 0, "kind": "complaint", "code": "new",
    "subject": "网点服务态度差", "body_charset": "gb2312",
    "from": {"name": None, "address": "wang.wu@example.org"},
    "body_contains": ["柜员态度恶劣", "要求银行调查并道歉"],
    "submit": {"subject": "网点服务态度差", "customer": {"email": "wang.wu@example.org"}},
})

D4 = "Tue, 08 Dec 2026 16:45:30 +0800"
body_18030 = "我的名字里有生僻字“𠮷”，网点系统无法录入，开户被拒绝。请解决。\n"
add("gb18030_body", raw(
    f"From: zhao.liu@example.com\nTo: {BANK}\nSubject: =?UTF-8?B?"
    + base64.b64encode("开户被拒".encode()).decode() + f"?=\nDate: {D4}\n"
    "Message-ID: <gb18030-1@example.com>\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=\"GB18030\"\nContent-Transfer-Encoding: base64\n\n", "ascii")
    + base64.encodebytes(body_18030.encode("gb18030")).replace(b"\n", b"\r\n"), {
    "exit": 0, "kind": "complaint", "subject": "开户被拒", "body_charset": "gb18030",
    "body_contains": ["生僻字“𠮷”", "开户被拒绝"],
})

D5 = "Wed, 09 Dec 2026 11:00:00 +0800"
m = EmailMessage()
base_headers(m, "陳大文 <chan.taiman@example.hk>", "信用卡年費被重複收取", D5, "<big5-1@example.hk>")
m.set_content("您好，我的信用卡年費本月被重複收取兩次，合共港幣 600 元。\n請退還多收的年費。\n",
              charset="big5", cte="quoted-printable")
add("big5_body", as_bytes(m), {
    "exit": 0, "kind": "complaint", "subject": "信用卡年費被重複收取",
    "from": {"name": "陳大文", "address": "chan.taiman@example.hk"},
    "body_charset": "big5",
    "body_contains": ["年費本月被重複收取兩次", "請退還多收的年費"],
    "submit": {"lang": "zh", "customer": {"name": "陳大文"}},
})

D6 = "Thu, 10 Dec 2026 08:30:00 +0800"
long_line = ("我于2026年12月1日在自动柜员机取款1000元，机器显示交易成功但没有出钞，"
             "账户已经扣款，拨打客服热线三次均未解决，请尽快核实并退回款项。")
m = EmailMessage()
base_headers(m, "Sun Qi <sun.qi@example.com>", "ATM 取款未出钞", D6, "<qp-1@example.com>")
m.set_content(long_line + "\n", charset="utf-8", cte="quoted-printable")
add("quoted_printable", as_bytes(m), {
    "exit": 0, "kind": "complaint", "body_charset": "utf-8",
    "from": {"name": "Sun Qi", "address": "sun.qi@example.com"},
    "subject": "ATM 取款未出钞",
    # soft line breaks joined: the sentence comes out whole
    "body_contains": [long_line],
})

D7 = "Fri, 11 Dec 2026 19:05:00 +0800"
m = EmailMessage()
base_headers(m, "Zhou Ba <zhou.ba@example.com>", "理财产品风险未告知", D7, "<b64-1@example.com>")
m.set_content("客户经理推荐的理财产品亏损 12%，购买时未告知风险等级，也未做风险测评。\n"
              "要求赔偿损失。\n", charset="utf-8", cte="base64")
add("base64_body", as_bytes(m), {
    "exit": 0, "kind": "complaint", "body_charset": "utf-8",
    "body_contains": ["购买时未告知风险等级", "要求赔偿损失。"],
    "submit": {"channel": "email", "ref": "b64-1@example.com"},
})

D8 = "Sat, 12 Dec 2026 09:40:00 +0800"
m = EmailMessage()
base_headers(m, "Wu Jiu <wu.jiu@example.com>", "贷款提前还款违约金", D8, "<alt-1@example.com>")
m.set_content("合同没有约定提前还款违约金，银行却收取了 2000 元。\n")
m.add_alternative("<html><body><p><b>合同没有约定</b>提前还款违约金，银行却收取了 2000 元。</p>"
                  "<p>HTML-ONLY-MARKER</p></body></html>\n", subtype="html")
add("alternative", as_bytes(m), {
    "exit": 0, "kind": "complaint", "body_from_html": False,
    "body_contains": ["合同没有约定提前还款违约金，银行却收取了 2000 元。"],
    "body_excludes": ["HTML-ONLY-MARKER", "<p>"],
    "attachments": [],
})

D9 = "Sun, 13 Dec 2026 21:10:00 +0800"
m = EmailMessage()
base_headers(m, "Zheng Shi <zheng.shi@example.com>", "网银登录异常", D9, "<html-1@example.com>")
m.set_content(
    "<!DOCTYPE html><html><head><title>mail</title><style>p { color: red; }</style>"
    "<script>var tracking = 'pixel';</script></head><body>"
    "<div>您好：</div><p>网上银行连续三天无法登录，提示&ldquo;系统繁忙&rdquo;，"
    "影响我支付房租 &amp; 水电费。</p><!-- a comment --><ul><li>12月11日</li><li>12月12日</li></ul>"
    "<p>请尽快修复&nbsp;并说明原因。&#x8C22;&#35874;</p></body></html>\n",
    subtype="html", charset="utf-8", cte="quoted-printable")
add("html_only", as_bytes(m), {
    "exit": 0, "kind": "complaint", "body_from_html": True,
    "body_contains": ["网上银行连续三天无法登录，提示“系统繁忙”", "房租 & 水电费",
                      "- 12月11日", "请尽快修复 并说明原因。谢谢", "您好：\n\n网上银行"],
    "body_excludes": ["color", "tracking", "<", "a comment", "&amp;", "mail\n"],
})

D10 = "Mon, 14 Dec 2026 10:00:00 +0800"
pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
       b"% statement: annual fee charged twice\n" + bytes(range(256)) + b"\n%%EOF\n")
jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 300 + b"\xff\xd9"
m = EmailMessage()
base_headers(m, "Feng Shiyi <feng.shiyi@example.com>", "年费重复扣收（附账单）", D10, "<att-1@example.com>")
m.set_content("附件是信用卡账单和短信截图，年费 300 元被扣了两次。\n")
m.add_attachment(pdf, maintype="application", subtype="pdf", filename="信用卡账单.pdf")
m.add_attachment(jpeg, maintype="image", subtype="jpeg", filename="screenshot.jpg")
add("attachments", as_bytes(m), {
    "exit": 0, "kind": "complaint",
    "body_contains": ["年费 300 元被扣了两次"],
    "attachments": [
        {"filename": "信用卡账单.pdf", "content_type": "application/pdf",
         "size": len(pdf), "sha256": sha(pdf)},
        {"filename": "screenshot.jpg", "content_type": "image/jpeg",
         "size": len(jpeg), "sha256": sha(jpeg)},
    ],
})

# ---------------------------------------------------------------- replies

D11 = "Tue, 15 Dec 2026 09:00:00 +0800"
m = EmailMessage()
base_headers(m, "张三 <zhang.san@example.com>", f"Re: 您的投诉已受理（编号 {CASE_NO}）",
             D11, "<reply-subj-1@example.com>")
m.set_content("补充一下：第二次扣费的日期是11月30日。\n")
add("reply_subject", as_bytes(m), {
    "exit": 0, "kind": "reply", "code": "subject_number", "field": "Subject",
    "complaint_no": CASE_NO, "replied_message_id": None, "submit": None,
    "body_contains": ["第二次扣费的日期是11月30日"],
})

D12 = "Tue, 15 Dec 2026 10:30:00 +0800"
m = EmailMessage()
base_headers(m, "李四 <lisi@example.net>", "Re: 您的投诉处理进度", D12, "<reply-irt-1@example.net>")
m["In-Reply-To"] = "<n1042.3@complaints.local>"
m["References"] = "<n1042.1@complaints.local> <n1042.3@complaints.local>"
m.set_content("我同意这个处理方案，谢谢。\n\n> 您好，我行已核实……\n")
add("reply_in_reply_to", as_bytes(m), {
    "exit": 0, "kind": "reply", "code": "in_reply_to", "field": "In-Reply-To",
    "in_reply_to": "n1042.3@complaints.local",
    "references": ["n1042.1@complaints.local", "n1042.3@complaints.local"],
    "replied_message_id": "n1042.3@complaints.local", "complaint_no": None, "submit": None,
})

D13 = "Tue, 15 Dec 2026 11:00:00 +0800"
m = EmailMessage()
base_headers(m, "Wang Wu <wang.wu@example.org>", "Re: Fw: my complaint", D13, "<reply-ref-1@example.org>")
m["In-Reply-To"] = "<CAF=abc123@mail.example.org>"
m["References"] = "<n77.2@complaints.local> <CAF=abc123@mail.example.org>"
m.set_content("Adding the statement page the branch asked for.\n")
add("reply_references", as_bytes(m), {
    "exit": 0, "kind": "reply", "code": "references", "field": "References",
    "replied_message_id": "n77.2@complaints.local",
})

# ---------------------------------------------------------------- automatic

D14 = "Tue, 15 Dec 2026 09:01:00 +0800"
m = EmailMessage()
base_headers(m, "张三 <zhang.san@example.com>", f"自动回复: 您的投诉已受理（编号 {CASE_NO}）",
             D14, "<auto-1@example.com>")
m["Auto-Submitted"] = "auto-replied"
m["In-Reply-To"] = "<n1042.1@complaints.local>"
m.set_content("我正在休假，12月20日回来后回复您。\n")
add("auto_reply", as_bytes(m), {
    "exit": 0, "kind": "automatic", "code": "auto_submitted", "field": "Auto-Submitted",
    "complaint_no": None, "submit": None,
})

D15 = "Tue, 15 Dec 2026 09:02:00 +0800"
bounce = (
    "From: MAILER-DAEMON@mx1.example.com (Mail Delivery System)\n"
    f"To: noreply@complaints.local\nSubject: Undelivered Mail Returned to Sender\nDate: {D15}\n"
    "Message-ID: <bounce-1@mx1.example.com>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"BOUNDARY-42\"\n\n"
    "--BOUNDARY-42\nContent-Type: text/plain; charset=us-ascii\n\n"
    "I'm sorry to have to inform you that your message could not be delivered.\n"
    "<nobody@example.com>: host mx.example.com said: 550 5.1.1 User unknown\n\n"
    "--BOUNDARY-42\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx1.example.com\n\nFinal-Recipient: rfc822; nobody@example.com\n"
    "Action: failed\nStatus: 5.1.1\n\n"
    "--BOUNDARY-42\nContent-Type: text/rfc822-headers\n\n"
    "Message-ID: <n1042.1@complaints.local>\nSubject: =?UTF-8?B?5oqV6K+J?=\n\n"
    "--BOUNDARY-42--\n")
add("bounce", raw(bounce), {
    "exit": 0, "kind": "automatic", "code": "system_sender", "field": "From", "submit": None,
})

D16 = "Tue, 15 Dec 2026 09:03:00 +0800"
receipt = (
    f"From: Zhou Ba <zhou.ba@example.com>\nTo: noreply@complaints.local\nDate: {D16}\n"
    "Subject: Read: We have received your complaint\nMessage-ID: <mdn-1@example.com>\n"
    "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification;\n"
    " boundary=\"mdn\"\n\n--mdn\nContent-Type: text/plain; charset=utf-8\n\n"
    "Your message was displayed.\n--mdn\nContent-Type: message/disposition-notification\n\n"
    "Final-Recipient: rfc822; zhou.ba@example.com\nDisposition: manual-action/MDN-sent-manually; displayed\n"
    "--mdn--\n")
add("read_receipt", raw(receipt), {
    "exit": 0, "kind": "automatic", "code": "delivery_report", "field": "Content-Type",
})

D17 = "Wed, 16 Dec 2026 07:00:00 +0800"
m = EmailMessage()
base_headers(m, "消费者权益通讯 <news@consumer-news.example>", "本周金融消费提示：警惕信用卡套现",
             D17, "<list-1@consumer-news.example>")
m["List-Id"] = "金融消费提示 <tips.consumer-news.example>"
m["List-Unsubscribe"] = "<mailto:leave@consumer-news.example>"
m["Precedence"] = "list"
m.set_content("本期内容：信用卡套现的风险……\n")
add("mailing_list", as_bytes(m), {
    "exit": 0, "kind": "automatic", "code": "precedence", "field": "Precedence", "submit": None,
})

m = EmailMessage()
base_headers(m, "Bank Offers <offers@promo.example>", "年终理财优惠", D17, "<list-2@promo.example>")
m["List-Unsubscribe"] = "<https://promo.example/u/123>"
m.set_content("年终理财产品优惠，收益率高达 4%。\n")
add("newsletter_unsubscribe", as_bytes(m), {
    "exit": 0, "kind": "automatic", "code": "mailing_list", "field": "List-Unsubscribe",
})

# ---------------------------------------------------------------- unparsable

D18 = "Thu, 17 Dec 2026 13:13:13 +0800"
m = EmailMessage()
base_headers(m, "Chu Shisan <chu.shisan@example.com>", "证据材料", D18, "<trunc-1@example.com>")
m.set_content("附件是转账失败的回单。\n")
m.add_attachment(pdf * 20, maintype="application", subtype="pdf", filename="receipt.pdf")
whole = as_bytes(m)
add("truncated", whole[: len(whole) * 2 // 3], {
    "exit": 3, "kind": "unparsable", "code": "truncated", "field": "body",
    "reason_contains": ["cut short"], "submit": None, "ref": "trunc-1@example.com",
})

add("truncated_headers", raw(
    f"From: Wei Shisi <wei.shisi@example.com>\nTo: {BANK}\nSubject: =?UTF-8?B?"
    + base64.b64encode("信用卡被盗刷".encode()).decode() + "?=\nDate: Thu, 17 Dec 2026 1"), {
    "exit": 3, "kind": "unparsable", "code": "truncated_headers", "field": "headers",
})

add("no_separator", raw(
    f"From: Jiang Shiwu <jiang@example.com>\nTo: {BANK}\nSubject: complaint\n"
    f"Date: {D18}\nMessage-ID: <nosep-1@example.com>\n"
    "我的存折在网点办理挂失后，仍被他人取走 2000 元，要求赔偿。\n"), {
    "exit": 3, "kind": "unparsable", "code": "malformed_header", "field": "line 6",
})
# Refused before its headers were read, the message has no Message-ID: its
# ref is the hash of its bytes.
CORPUS["no_separator"][1]["ref"] = "sha256:" + sha(CORPUS["no_separator"][0])

add("broken_base64", raw(
    f"From: Shen Shiliu <shen@example.com>\nTo: {BANK}\nSubject: broken\nDate: {D18}\n"
    "Message-ID: <b64bad-1@example.com>\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    "5oiR55qE5L+h55So5Y2h6KKr55uX5Yi3!!!@@@\n5L2G6ZO26KGM5LiN5om/6K6k\n"), {
    "exit": 3, "kind": "unparsable", "code": "bad_encoding", "field": "body",
})

add("undeclared_8bit", raw(
    f"From: Han Shiqi <han@example.com>\nTo: {BANK}\nSubject: complaint\nDate: {D18}\n"
    "Message-ID: <8bit-1@example.com>\n\n", "ascii")
    + "柜台少找给我 100 元。\r\n".encode("gbk"), {
    "exit": 3, "kind": "unparsable", "code": "undeclared_8bit", "field": "body",
    "reason_contains": ["declares no charset"], "body": None,
})


def main():
    for old in os.listdir(HERE):
        if old.endswith(".eml") or old.endswith(".expect.json"):
            os.remove(os.path.join(HERE, old))
    for name, (data, expect) in sorted(CORPUS.items()):
        with open(os.path.join(HERE, name + ".eml"), "wb") as f:
            f.write(data)
        with open(os.path.join(HERE, name + ".expect.json"), "w", encoding="utf-8") as f:
            json.dump(expect, f, ensure_ascii=False, indent=2, sort_keys=True)
            f.write("\n")
    print(f"make_corpus: {len(CORPUS)} messages in {HERE}")


if __name__ == "__main__":
    main()

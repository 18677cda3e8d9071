#!/usr/bin/python3
"""make_corpus.py — writes the seed corpora for the libFuzzer targets.

Run with Debian's python3 and python3-msgpack (never a pyenv python):
    /usr/bin/python3 tests/fuzz/make_corpus.py
It rewrites tests/fuzz/corpus/<target>/ with a few valid messages and a few
near misses (each a single file named for what it is), so the fuzzer starts
from the shapes the decoders really see and mutates from there.
"""
import os
import shutil
import struct

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def submit(**over):
    req = {
        "op": "submit", "channel": "hotline", "ref": "call-0001",
        "body": "信用卡被重复扣年费，要求退还。",
        "customer": {"name": "张三", "phone": "13812345678"},
    }
    req.update(over)
    return {k: v for k, v in req.items() if v is not None}


TOKEN = "0123456789abcdef" * 4


def act(action, **over):
    req = {"op": "act", "complaint_no": "202611230000427", "action": action,
           "token": TOKEN, "version": 3}
    req.update(over)
    return {k: v for k, v in req.items() if v is not None}


def request_seeds():
    full = submit(subject="annual fee", demand="refund", branch="Shanghai 01",
                  product="credit card", category="fees", amount="300.00",
                  received_at=1790000000000, lang="zh",
                  customer={"name": "Zhang San", "phone": "+86 138-1234-5678",
                            "email": "z@example.com", "account": "6222020000000000",
                            "id_no": "11010519491231002X"})
    return {
        "submit_min": pack(submit()),
        "submit_full": pack(full),
        "submit_amount_float": pack(submit(amount=12.5)),
        "submit_amount_int": pack(submit(amount=300)),
        "submit_amount_neg": pack(submit(amount=-1)),
        "submit_lang_fr": pack(submit(lang="fr")),
        "submit_bad_email": pack(submit(customer={"email": "nobody"})),
        "submit_empty_customer": pack(submit(customer={})),
        "submit_unknown_channel": pack(submit(channel="fax")),
        "submit_channel_int": pack(submit(channel=7)),
        "submit_no_ref": pack(submit(ref=None)),
        "submit_bin_body": pack(submit(body=b"\x00\x01binary")),
        "submit_deep": pack(submit(customer={"name": {"a": {"b": {"c": 1}}}})),
        # unknown keys (unknown_field, named) and the 256-value budget
        "submit_unknown_key": pack(submit(colour="red")),
        "submit_customer_unknown_key": pack(submit(customer={"name": "n", "shoe_size": "42"})),
        "submit_referral": pack(submit(referral={
            "source": "association", "referrer": "辽宁省银行业协会", "ticket": "LNBA-2026-0042",
            "due_at": 1795438798831})),
        "submit_referral_no_source": pack(submit(referral={"ticket": "X-1"})),
        # issue 16 (i16-tasks): the incident (staff concerned, when, where)
        "submit_incident": pack(submit(incident={"staff_concerned": "柜员王某", "at": 1795438798831,
                                                 "place": "浦东支行二号柜台"})),
        "submit_incident_bad_at": pack(submit(incident={"at": "yesterday"})),
        "submit_incident_unknown": pack(submit(incident={"who": "x"})),
        "submit_referral_bad_source": pack(submit(referral={"source": "newspaper"})),
        "submit_many_keys": pack(submit(**{"k%d" % i: i for i in range(300)})),
        "get_many_nils": pack({"op": "get", "x": [None] * 300}),
        "get_ok": pack({"op": "get", "complaint_no": "202611230000421"}),
        "get_bad_check": pack({"op": "get", "complaint_no": "202611230000420"}),
        "get_short": pack({"op": "get", "complaint_no": "123"}),
        "unknown_op": pack({"op": "delete"}),
        "not_a_map": pack(1),
        "array": pack(["op", "submit"]),
        "reserved_byte": b"\xc1",
        "huge_map_count": b"\xdf\xff\xff\xff\xff",
        "bad_utf8": pack({"op": "submit", "body": "x"}).replace(b"\xa1x", b"\xa2\xc0\xaf"),
        "get_token": pack({"op": "get", "complaint_no": "202611230000427", "token": TOKEN}),
        "act_accept": pack(act("accept")),
        "act_note": pack(act("note", text="客户来电，已解释年费政策。")),
        # issue 16 (i16-vetting): the outcomes array, customer_text, the vetting actions
        "act_propose_outcomes": pack(act("propose", text="内部", customer_text="理由",
                                         outcomes=[{"kind": "refund", "amount": "300.50",
                                                    "text": "退年费"}, {"kind": "apology"},
                                                   {"kind": "goodwill", "amount": 20}])),
        "act_propose_outcomes_bad": pack(act("propose", text="x", customer_text="y",
                                             outcomes=[{"kind": "refund"}, "apology",
                                                       {"kind": "bribe", "colour": 1},
                                                       {"kind": "compensation", "amount": -5}])),
        "act_propose_outcomes_many": pack(act("propose", text="x", customer_text="y",
                                              outcomes=[{"kind": "apology"}] * 9)),
        "act_resolve_both": pack(act("resolve", text="x", outcome="apology",
                                     outcomes=[{"kind": "apology"}])),
        "act_approve": pack(act("approve", text="同意")),
        "act_return": pack(act("return", reason="answer_unclear", text="请说明理由")),
        "act_resolve_refund": pack(act("resolve", outcome="refund", amount="300.00",
                                       text="refunded")),
        "act_resolve_amount_num": pack(act("resolve", outcome="compensation", amount=12.5,
                                           text="paid")),
        "act_feedback": pack(act("feedback", satisfied=True)),
        "act_feedback_str": pack(act("feedback", satisfied="yes")),
        "act_close": pack(act("close", reason="no_answer")),
        "act_transfer": pack(act("transfer", department="card_center", text="cards")),
        "act_escalate": pack(act("escalate", level="regulator", text="media")),
        "act_reject_dup": pack(act("reject", reason="duplicate",
                                   duplicate_of="202611230000434")),
        # issue 16 (i16-tasks): tasks and rectification items
        "act_task_give": pack(act("task_give", department="payments", due="2wd",
                                  text="请核对清算记录")),
        "act_task_give_time": pack(act("task_give", department="ebanking",
                                       due="2026-12-20 18:00", text="logs")),
        "act_task_reply": pack(act("task_reply", task="12", text="已核对")),
        "act_task_bad_id": pack(act("task_chase", task="12; drop")),
        "act_task_num_id": pack(act("task_close", task=12)),
        "act_rectify_owner": pack(act("rectify", department="card_center", owner="zhou_jie",
                                      due="10wd", text="修订规则")),
        "act_due_long": pack(act("task_give", department="payments", due="9" * 100, text="x")),
        "rect_open": pack({"op": "rectification", "do": "open", "token": TOKEN,
                           "hotspot": "outlet_cause/outlet_bj_haidian/service_attitude/",
                           "due": "10wd", "text": "整改"}),
        "rect_list_all": pack({"op": "rectification", "do": "list", "token": TOKEN, "all": True}),
        "rect_done": pack({"op": "rectification", "do": "done", "token": TOKEN, "task": 7,
                           "text": "done"}),
        "rect_bad_key": pack({"op": "rectification", "do": "open", "token": TOKEN,
                              "hotspot": "a/b", "due": "1h", "text": "x"}),
        "rect_done_extra": pack({"op": "rectification", "do": "done", "token": TOKEN,
                                 "task": 7, "text": "x", "hotspot": "a/b/c/d"}),
        "acc_list": pack({"op": "accountability", "do": "list", "token": TOKEN}),
        "acc_decide": pack({"op": "accountability", "do": "decide", "token": TOKEN, "item": 3,
                            "outcome": "training", "text": "培训"}),
        "acc_bad_outcome": pack({"op": "accountability", "do": "decide", "token": TOKEN,
                                 "item": 3, "outcome": "flogging"}),
        "act_unknown": pack(act("fly")),
        "act_no_token": pack(act("accept", token=None)),
        "act_version_zero": pack(act("accept", version=0)),
        "act_extra_field": pack(act("note", text="x", level="regulator")),
        "queue_min": pack({"op": "queue", "token": TOKEN}),
        "queue_full": pack({"op": "queue", "token": TOKEN, "scope": "department",
                            "state": "investigating", "limit": 500}),
        "queue_bad_scope": pack({"op": "queue", "token": TOKEN, "scope": "everything"}),
        # reply: an adapter records the customer's reply on a case
        "reply_ok": pack(reply()),
        "reply_bad_from": pack(reply(**{"from": "nobody"})),
        "reply_no_text": pack(reply(text=None)),
        "reply_long_ref": pack(reply(ref="r" * 129)),
        "reply_unknown_key": pack(reply(attachments=[{"name": "a.pdf"}])),
        "reply_bad_check": pack(reply(complaint_no="202611230000428")),
        # evidence: a document's bytes (bin), a recording's reference, one item back
        "evidence_add_pdf": pack(evidence(content=b"%PDF-1.4\n" + bytes(range(256)))),
        "evidence_add_recording": pack(evidence(kind="recording_ref", content=None,
                                                reference="ivr://calls/0000427-1.mp3",
                                                media_type="audio/mpeg")),
        "evidence_add_str_content": pack(evidence(content="not bytes")),
        "evidence_add_path_name": pack(evidence(name="../../etc/passwd")),
        "evidence_add_type_params": pack(evidence(media_type="text/plain; charset=gbk")),
        "evidence_get_ok": pack({"op": "evidence_get", "complaint_no": "202611230000427",
                                 "token": TOKEN, "seq": 1}),
        "evidence_get_seq_zero": pack({"op": "evidence_get", "complaint_no": "202611230000427",
                                       "token": TOKEN, "seq": 0}),
        # issue 16 (i16-records): the records requests
        "casefile_ok": pack({"op": "casefile", "complaint_no": "202611230000427",
                             "token": TOKEN}),
        "casefile_unknown_key": pack({"op": "casefile", "complaint_no": "202611230000427",
                                      "token": TOKEN, "format": "pdf"}),
        "retention_dry": pack({"op": "retention_run", "token": TOKEN, "dry_run": True,
                               "limit": 10}),
        "retention_bad_dry": pack({"op": "retention_run", "token": TOKEN, "dry_run": "yes"}),
        "retention_big_limit": pack({"op": "retention_run", "token": TOKEN, "limit": 100000}),
        "kb_promote_edit": pack({"op": "kb_promote", "complaint_no": "202611230000427",
                                 "token": TOKEN, "summary": "信用卡年费重复收取",
                                 "answer": "已退还并致歉。"}),
        "kb_promote_long": pack({"op": "kb_promote", "complaint_no": "202611230000427",
                                 "token": TOKEN, "answer": "年" * 6000}),
        "kb_search_words": pack({"op": "kb_search", "token": TOKEN, "business_line": "cards",
                                 "cause": "fees", "words": "年费 charged", "limit": 5}),
        "kb_search_bad_limit": pack({"op": "kb_search", "token": TOKEN, "limit": 0}),
        # issue 16 (i16-mailev): an e-mail attachment's part from the mail adapter
        "evidence_part_ok": pack(part()),
        "evidence_part_last": pack(part(offset=5, content=b"a.pdf")),
        "evidence_part_past_size": pack(part(offset=8)),
        "evidence_part_offset_neg": pack(part(offset=-1)),
        "evidence_part_size_huge": pack(part(size=2 ** 40)),
        "evidence_part_bad_sha": pack(part(sha256="Z" * 64)),
        "evidence_part_short_sha": pack(part(sha256="ab")),
        "evidence_part_with_token": pack(part(token=TOKEN)),
        "evidence_part_no_source": pack(part(source=None)),
        "evidence_part_doc_offset": pack(evidence(offset=0)),
        "evidence_part_refused": pack(part(offset=None, content=None,
                                           refused="the attachment is 9437184 bytes, over the"
                                                   " mail adapter's limit of 8388608 bytes")),
        "evidence_part_refused_with_content": pack(part(offset=None, refused="x")),
        # issue 16 (i16-followup): the call-back and its score, the
        # determination, the not-satisfied closes, the watchdog's tokenless close
        "act_callback_reached": pack(act("callback", reason="reached", satisfied=False,
                                         score=2, text="客户认为解释不充分")),
        "act_callback_score_str": pack(act("callback", reason="reached", satisfied=True,
                                           score="5")),
        "act_callback_score_big": pack(act("callback", reason="reached", satisfied=True,
                                           score=2 ** 40)),
        "act_callback_score_busy": pack(act("callback", reason="busy", score=3)),
        "act_determine": pack(act("determine", reason="valid", text="投诉成立")),
        "act_close_mediation": pack(act("close", reason="referred_mediation")),
        "act_close_watchdog": pack(act("close", reason="no_answer", token=None,
                                       text="the call-back period ended")),
        # survey: the customer's answer through the web adapter
        "survey_ok": pack({"op": "survey", "score": 4, "comment": "处理及时，解释清楚",
                           "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_no_comment": pack({"op": "survey", "score": 1,
                                   "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_bad_token": pack({"op": "survey", "score": 3, "token": "../../etc/passwd"}),
        "survey_score_str": pack({"op": "survey", "score": "5",
                                  "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_long_comment": pack({"op": "survey", "score": 2, "comment": "长" * 1001,
                                     "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_extra_key": pack({"op": "survey", "score": 2, "name": "Zhang San",
                                  "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        # issue 16 follow-up (adapters2): the link's read-only check (GET /survey)
        "survey_check": pack({"op": "survey", "check": True,
                              "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_check_score": pack({"op": "survey", "check": True, "score": 5,
                                    "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_check_false": pack({"op": "survey", "check": False,
                                    "token": "202611230000427.0123456789abcdef0123456789abcdef"}),
        "survey_check_str": pack({"op": "survey", "check": "yes", "token": "x.y"}),
    }


def evidence(**over):
    e = {"op": "evidence_add", "complaint_no": "202611230000427", "token": TOKEN,
         "kind": "document", "name": "账单.pdf", "media_type": "application/pdf",
         "content": b"%PDF-1.4"}
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


def part(**over):
    """issue 16 (i16-mailev): one part of an e-mail attachment (no token)."""
    e = {"op": "evidence_add", "complaint_no": "202611230000427", "kind": "email_attachment",
         "name": "扣费账单.pdf", "media_type": "application/pdf",
         "source": "CAF=abc123@mail.example.org#1", "size": 10,
         "sha256": "9f" * 32, "offset": 0, "content": b"%PDF-"}
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


def reply(**over):
    r = {"op": "reply", "complaint_no": "202611230000427", "channel": "email",
         "ref": "CAF=abc123@mail.example.org", "from": "zhang.san@example.com",
         "text": "附件是扣费账单截图。"}
    r.update(over)
    return {k: v for k, v in r.items() if v is not None}


def event(seq, typ, no, data):
    return {"v": 1, "seq": seq, "type": typ, "at": 1790000000000,
            "complaint_no": no, "data": data}


def event_seeds():
    return {
        "received": pack(event(1, "complaint.received", "202611230000421",
                               {"channel": "hotline", "customer": "0" * 32,
                                "body": "card XXXX XXXX XXXX 1234 charged twice",
                                "lang": "zh"})),
        "assigned": pack(event(2, "complaint.assigned", "202611230000421",
                               {"department": "cards", "rule": "product:credit card"})),
        # payloads exactly as declared (proto/events.c), so events_check
        # starts from data it accepts
        "received_full": pack(event(7, "complaint.received", "202611230000421",
                                    {"channel": "hotline", "customer": "0" * 32,
                                     "subject": None, "body": "card XXXX charged twice",
                                     "demand": None, "branch": None, "product": "card",
                                     "category": None, "amount": "300.00", "lang": "zh",
                                     "received_at": 1790000000000})),
        "sla_escalated": pack(event(8, "sla.escalated", "202611230000421",
                                    {"complaint_no": "202611230000421", "stage": "resolution",
                                     "round": 0, "department": "cards", "handler": None,
                                     "priority": 2, "tier": 1,
                                     "to": ["supervisor", "department_head"],
                                     "due_at": 1790000000000, "overdue_ms": 1000})),
        "notification_failed": pack(event(9, "notification.failed", "202611230000421",
                                          {"id": 1, "event_seq": 7, "channel": "email",
                                           "recipient_kind": "customer", "attempts": 1,
                                           "error": "connection refused"})),
        "no_complaint": pack(event(3, "system.note", None, {})),
        "data_not_map": pack(event(4, "complaint.received", "1", [1, 2])),
        "seq_zero": pack(event(0, "x", "1", {})),
        "seq_big": pack(event(2**64 - 1, "x", "1", {})),
        "nested": pack(event(5, "x", "1", {"a": [[[[[[[[1]]]]]]]]})),
        "heartbeat_body": pack({}),
        "float_at": pack({"v": 1, "seq": 1, "type": "t", "at": 1.5}),
        "ext": pack(msgpack.ExtType(5, b"abcd")),
        "truncated": pack(event(6, "complaint.received", "1", {}))[:-3],
    }


def privacy_seeds():
    """Free text as the packers scrub it: plain, with a customer (the
    fields one a line, a NUL, then the text), in the forms people write
    numbers and names in (full-width, separators, ideographic spaces)."""
    def with_customer(name, phone, email, account, id_no, text):
        head = "\n".join([name, phone, email, account, id_no]).encode()
        return head + b"\x00" + text.encode()
    return {
        "plain_zh": "信用卡被重复扣年费，要求退还。".encode(),
        "numbers": "卡号 6222 0212 3456 7890，电话 138-1234-5678，身份证11010519491231002X".encode(),
        "fullwidth_phone": "电话１３９１２３４５６７８".encode(),
        "dotted_card": b"card 6222.0212.3456.7891 charged twice",
        "slashed_phone": b"phone 021/6543/2100 or (021) 6543 2100",
        "ideographic_spaces": "１３９　１２３４　５６７８".encode(),
        "dates_amounts": b"on 2026-11-23 at 14:30 I paid 1250.50; 23/11/2026",
        "email": "mail zhang.san@example.com.cn, ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ".encode(),
        "masked": b"XXXX XXXX and XXXX",
        "combining": "1234567\u0307 and e\u0301".encode(),
        "expanding": "\ufdfa\u3231\u2460\u2461\u2462\u2463\u2464\u2465\u2466".encode(),
        "bad_utf8": b"bad \xff\xc3 byte \xed\xa0\x80 surrogate \xf4\x90\x80\x80",
        "own_cjk": with_customer("张三", "+86 139-1234-5678", "zhang.san1990@example.com",
                                 "6222 0212 3456 7891", "11010519491231002X",
                                 "我是张　三，电话139~1234~5678，微信 zhang.san1990"),
        "own_latin": with_customer("Zhang San", "13912345678", "", "", "",
                                   "Dear ＳＡＮ　ＺＨＡＮＧ, dear zhang-san, Zhangsanfeng"),
        "own_empty": b"\n\n\n\n\x00text",
        "own_x": with_customer("X X", "", "xxxxx@x.com", "", "", "XXXX xxxxx"),
        "empty": b"",
    }


def scan_seeds():
    seeds = {}
    seeds.update({"req_" + k: v for k, v in request_seeds().items()})
    seeds.update({"ev_" + k: v for k, v in event_seeds().items()})
    seeds.update({
        "all_types": pack([None, True, False, 1, -1, 255, -200, 70000, -70000,
                           2**40, -2**40, 1.5, "s", "x" * 40, "y" * 300, b"b",
                           b"z" * 300, {"k": "v"}]),
        "float32": b"\xca" + struct.pack(">f", 1.5),
        "fixext": bytes([0x91, 0xd4, 1, 2]),
        "ext8": bytes([0xc7, 3, 9]) + b"abc",
        "deep5": b"\x91" * 5 + b"\x01",
        "deep16": b"\x91" * 16 + b"\x01",
        "deep17": b"\x91" * 17 + b"\x01",
        "int_key": b"\x81\x01\x01",
        "trailing": b"\x80\x00",
        "str8_short": b"\xd9\x05ab",
        "array32_huge": b"\xdd\xff\xff\xff\xff",
    })
    return seeds


def mail_seeds():
    """The mail corpus (tests/data/mail/, written by its make_corpus.py) as
    it is: real messages in every charset and shape the adapter meets."""
    d = os.path.join(HERE, "..", "data", "mail")
    seeds = {}
    for name in sorted(os.listdir(d)):
        if name.endswith(".eml"):
            with open(os.path.join(d, name), "rb") as f:
                seeds[name] = f.read()
    # A reply to a notifier message of migration 025 (the case in its id).
    seeds["reply_new_message_id.eml"] = (
        b"From: a@b.cn\nSubject: Re\n"
        b"In-Reply-To: <n42.3.202611230000427.0badf00d@complaints.local>\n\nx\n")
    return seeds


def web_seeds():
    """fuzz_web_request: the first byte picks the decoder (even: the API's
    JSON body, odd: the form's urlencoded fields), the rest is the body."""
    import json
    import urllib.parse
    good = {"customer": {"name": "王小明", "phone": "13912345678"}, "body": "年费扣了两次",
            "product": "信用卡", "lang": "zh", "amount": "300.00", "narrative_consent": True}
    form = {"csrf": "1.ab", "ref": "form-0123456789abcdef", "lang": "zh",
            "customer.name": "李雷", "customer.phone": "13800000000", "body": "<b>网银</b>",
            "narrative_consent": "yes"}
    return {
        "json-good": b"\x00" + json.dumps(good, ensure_ascii=False).encode(),
        "json-bad-phone": b"\x00" + json.dumps(dict(good, customer={"phone": "x"})).encode(),
        "json-unknown": b"\x00" + b'{"body":"x","customer":{"name":"a"},"ref":"r"}',
        "json-deep": b"\x00" + b"[" * 100 + b"]" * 100,
        "json-dup": b"\x00" + b'{"body":"x","body":"y"}',
        "form-good": b"\x01" + urllib.parse.urlencode(form).encode(),
        "form-bad": b"\x01" + b"body=%ZZ&customer.name=%E7%8E",
        "form-dup": b"\x01" + b"body=a&body=b",
        # issue 16 follow-up (adapters2): the staff section and the API's incident
        "form-staff": b"\x01" + urllib.parse.urlencode(dict(form, **{
            "incident.staff_concerned": "3号窗口柜员", "incident.at": "2025-12-01T10:30",
            "incident.place": "朝阳支行"})).encode(),
        "form-staff-bad-at": b"\x01" + urllib.parse.urlencode(dict(form, **{
            "incident.at": "2025-13-45T99:99"})).encode(),
        "json-incident": b"\x00" + json.dumps(dict(good, incident={
            "staff_concerned": "客户经理", "at": 1764556200000, "place": "电话"}),
            ensure_ascii=False).encode(),
        "json-incident-bad": b"\x00" + json.dumps(dict(good, incident={"at": "x", "who": 1})).encode(),
    }


def web_survey_seeds():
    """fuzz_web_survey (issue 16 follow-up, adapters2): the first byte picks
    the page's language and whether the form is shown again; the rest is
    POST /api/v1/survey's JSON body."""
    import json
    token = "202611230000427.0123456789abcdef0123456789abcdef"
    return {
        "good": b"\x00" + json.dumps({"token": token, "score": 4, "comment": "处理及时"},
                                     ensure_ascii=False).encode(),
        "good-form-en": b"\x03" + json.dumps({"token": token, "score": 5}).encode(),
        "no-score": b"\x01" + json.dumps({"token": token}).encode(),
        "score-str": b"\x00" + json.dumps({"token": token, "score": "5"}).encode(),
        "score-big": b"\x00" + json.dumps({"token": token, "score": 2 ** 63}).encode(),
        "score-float": b"\x00" + b'{"token":"a.b","score":4.0}',
        "comment-null": b"\x00" + json.dumps({"token": token, "score": 1, "comment": None}).encode(),
        "comment-long": b"\x00" + json.dumps({"token": token, "score": 2,
                                               "comment": "长" * 1001}, ensure_ascii=False).encode(),
        "comment-html": b"\x01" + json.dumps({"token": "<script>x</script>", "score": 3,
                                               "comment": "<script>alert(1)</script>"}).encode(),
        "token-long": b"\x00" + json.dumps({"token": "9" * 97, "score": 3}).encode(),
        "unknown": b"\x00" + b'{"token":"a.b","score":3,"name":"z"}',
        "dup": b"\x00" + b'{"token":"a.b","token":"c.d","score":3}',
        "not-object": b"\x00" + b'[1,2]',
        "deep": b"\x00" + b"[" * 100 + b"]" * 100,
        "latin1": b"\x00" + b'{"token":"\xc5","score":3}',
        "check": b"\x00" + json.dumps({"token": token, "check": True}).encode(),
    }


def hotline_csv_seeds():
    """Call-centre exports: the documented columns, Chinese text, a quoted
    field over lines, a first contact, bad rows, a reordered header with a
    BOM, and a broken quote."""
    header = ("call_id,started_at,caller_number,customer_name,ivr_path,recording_ref,"
              "branch,product,complaint,demand,agent_id,resolved_on_call,outcome,resolution,"
              "resolution_amount,amount,lang\r\n")
    good = ("CC-1,2026-12-05 10:31:07,13812345678,张三,1-3-2,REC-1,北京分行,信用卡,"
            "\"年费扣两次，\n要求退还\",退还年费,A07,,,,,300.00,zh\r\n")
    fcr = ("CC-2,2026-12-05T02:31:07Z,13800001111,,,,,,询问积分,,,是,refund,已退还,"
           "20.5,,en\r\n")
    bad = "CC 3,yesterday,call me,,,,,,,,,maybe,magic,,,12.345,fr\r\nshort,row\r\n"
    return {
        "export.csv": (header + good + fcr).encode(),
        "bad_rows.csv": (header + bad).encode(),
        "reordered_bom.csv": ("\ufeffcomplaint, CALL_ID ,caller_number\r\n"
                              "\"a \"\"quoted\"\" word\",CC-9,138\r\n").encode(),
        "broken_quote.csv": (header + "CC-4,\"never closed,\n" * 3).encode(),
        "empty.csv": b"",
        # issue 16 follow-up (adapters2): the incident columns
        "incident.csv": (header.rstrip("\r\n") + ",staff_concerned,incident_at,incident_place\r\n"
                         + good.rstrip("\r\n") + ",柜员张某,2026-11-30 09:15,北京分行\r\n"
                         + fcr.rstrip("\r\n") + ",,yesterday,\r\n").encode(),
    }


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    write("fuzz_request", request_seeds())
    write("fuzz_event", event_seeds())
    write("fuzz_scan", scan_seeds())
    write("fuzz_privacy", privacy_seeds())
    write("fuzz_mail", mail_seeds())
    write("fuzz_web_request", web_seeds())
    write("fuzz_hotline_csv", hotline_csv_seeds())
    write("fuzz_web_survey", web_survey_seeds())

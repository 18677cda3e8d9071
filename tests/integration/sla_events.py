#!/usr/bin/python3
"""sla_events.py — decode the sla.* events of the event log for the SLA tests.

Reads "seq|type|hex" lines (psql -A -t of event_log: seq, type,
encode(event, 'hex')) on stdin and prints, per event, one line:

    SEQ TYPE STAGE ROUND STEP key=value ...

where STEP is the reminder step, "breach", "tier:N" or "ext:N" or "met",
followed by the event's data (times in ms since the epoch as integers,
booleans as true/false, arrays joined with ','). sla_e2e.py matches these
lines (describe ()); nothing here decides pass or fail.
"""
import sys

import msgpack


def fmt(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ",".join(fmt(v) for v in value)
    return str(value)


def describe(seq, typ, event):
    """One event as the line described above."""
    data = event.get("data") or {}
    if typ == "sla.reminder":
        step = data.get("step")
    elif typ == "sla.breached":
        step = "breach"
    elif typ == "sla.escalated":
        step = "tier:%s" % data.get("tier")
    elif typ == "sla.extended":
        step = "ext:%s" % data.get("step")
    elif typ == "sla.met":
        step = "met"
    else:
        step = "-"
    rest = " ".join("%s=%s" % (k, fmt(data[k])) for k in sorted(data))
    return " ".join(str(x) for x in (seq, typ, data.get("stage"), data.get("round"), step, rest))


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        seq, typ, hexdata = line.split("|", 2)
        print(describe(seq, typ, msgpack.unpackb(bytes.fromhex(hexdata), raw=False)))


if __name__ == "__main__":
    main()

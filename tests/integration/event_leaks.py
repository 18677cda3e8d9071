#!/usr/bin/python3
"""event_leaks.py — count the events whose data carries text that must not
be there (invariant 8: no address, phone, account or message text on the
stream), for the notifier's tests.

    event_leaks.py REGEX  <  hex lines (psql: encode(event, 'hex'))

Decodes each event (msgpack), walks every string of its data (keys and
values, nested maps and lists) and prints one number: how many events have
a string matching REGEX (Python re.search). The shell test asserts 0.
"""
import re
import sys

import msgpack


def strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def main():
    pattern = re.compile(sys.argv[1])
    bad = 0
    for line in sys.stdin:
        if line.strip():
            event = msgpack.unpackb(bytes.fromhex(line.strip()), raw=False)
            if any(pattern.search(s) for s in strings(event.get("data", {}))):
                bad += 1
    print(bad)


if __name__ == "__main__":
    main()

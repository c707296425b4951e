"""Microseconds per classify() call, for the kinds of text a scanner sends.

    .venv/bin/python bench/classify.py [--number N]

Prints the best of 9 runs per input, in CPU time of this process (the machine is shared).
Our own canonical codes take the fast path; everything else goes through the WHATWG
parser (ada) and, for foreign links, the IDN display policy.
"""

from __future__ import annotations

import argparse
import time
import timeit

from relaycode.codes.classify import classify
from relaycode.codes.tokens import encode_token

KEY = bytes(range(32))
TOKEN = encode_token(1, KEY, bytes.fromhex("00112233445566778899aabbccddeeff"))
HOSTS = frozenset({"RC.EXAMPLE.COM"})
INPUTS = {
    "our code": f"HTTPS://RC.EXAMPLE.COM/C/{TOKEN}",
    "our code, lower case": f"https://rc.example.com/c/{TOKEN.lower()}",
    "our code, :443": f"HTTPS://RC.EXAMPLE.COM:443/C/{TOKEN}",
    "forged code": f"HTTPS://RC.EXAMPLE.COM/C/{TOKEN[:-2]}AA",
    "foreign url": "https://www.example.org/path?q=1",
    "foreign IDN": "https://例え.jp/x",
    "backslash trick": f"HTTP://evil.example\\@RC.EXAMPLE.COM/C/{TOKEN}",
    "gtin": "6901234567892",
    "text": "hello world",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    lookup = {1: KEY}.get
    for name, text in INPUTS.items():
        call = lambda t=text: classify(t, HOSTS, lookup)  # noqa: E731
        runs = timeit.repeat(call, number=args.number, repeat=9, timer=time.process_time)
        print(f"{name:22} {min(runs) / args.number * 1e6:7.2f} µs")


if __name__ == "__main__":
    main()

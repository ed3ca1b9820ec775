"""The fake X in its own process for a benchmark, so the bot's CPU and RSS are measured without it.

``python bench/_fake.py --limits pro --start EPOCH`` starts FakeX on a free loopback port with a frozen clock
(speed 0) at ``EPOCH``, prints its URL on one line and serves until its stdin closes. ``--speed F --epoch T``
runs the clock F times faster than real time from fake ``EPOCH`` at real time ``T`` (the bench's clock does the
same, so both agree); ``--latency S``: every API call takes S fake seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fakex import Clock, FakeX


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limits", default="pro")
    parser.add_argument("--start", type=float, required=True)
    parser.add_argument("--speed", type=float, default=0.0)
    parser.add_argument("--epoch", type=float, default=None, help="real time at which the fake clock read --start")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    start = args.start + ((time.time() - args.epoch) * args.speed if args.epoch is not None else 0.0)
    clock = Clock(start=start, speed=args.speed)
    with FakeX(limits=args.limits, clock=clock, latency_s=args.latency) as fx:
        print(fx.url, flush=True)
        sys.stdin.read()  # until the bench closes the pipe (or dies)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fake X in its own process for a benchmark, so the bot's CPU and RSS are measured without it.

``python bench/_fake.py --limits pro --start EPOCH`` starts FakeX on a free loopback port with a frozen clock
(speed 0) at ``EPOCH``, prints its URL on one line and serves until its stdin closes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fakex import Clock, FakeX


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limits", default="pro")
    parser.add_argument("--start", type=float, required=True)
    args = parser.parse_args()
    with FakeX(limits=args.limits, clock=Clock(start=args.start, speed=0.0)) as fx:
        print(fx.url, flush=True)
        sys.stdin.read()  # until the bench closes the pipe (or dies)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What X bills for each call on pay-per-use (since February 2026), as a closed set with its price table.

$0.01 per summoned reply, $0.015 per ordinary post, $0.20 per post with a URL (whatever it replies to), and
$0.001-0.005 per post a read returns. The prices are settings (``[limits] cost_per_*``), so a change of X's
price list is a config change; the defaults take the top of each range.
"""

from __future__ import annotations

from enum import StrEnum

from twitter_text.extract_urls import extract_urls_with_indices

from bot.settings import Limits


class Spend(StrEnum):
    READ = "read"
    """One post returned by a read (mentions, the account's own timeline)."""
    REPLY = "reply"
    """A reply to a post that mentioned the account."""
    POST = "post"
    """An ordinary post (a status post)."""
    URL_POST = "url_post"
    """Any post with a URL in it (an incident note with a status link makes replies cost this)."""


PRICE_SETTING = {
    Spend.READ: "cost_per_read_usd",
    Spend.REPLY: "cost_per_reply_usd",
    Spend.POST: "cost_per_post_usd",
    Spend.URL_POST: "cost_per_url_post_usd",
}


def unit_price(kind: Spend, limits: Limits) -> float:
    return float(getattr(limits, PRICE_SETTING[kind]))


def has_url(text: str) -> bool:
    return bool(extract_urls_with_indices(text))


def post_kind(text: str, *, reply: bool) -> Spend:
    """How X bills a post: a URL decides first, then whether it answers someone who summoned the account."""
    if has_url(text):
        return Spend.URL_POST
    return Spend.REPLY if reply else Spend.POST

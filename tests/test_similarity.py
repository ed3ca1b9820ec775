"""No two accounts post the same or nearly the same text (X's rule on content across accounts, issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import Action, Category, IncidentState
from bot.core.replies import NoFreshWording, ReplyComposer
from bot.core.similarity import NEAR, OtherAccounts, gist, near, overlap, shingles
from bot.core.template_check import check_templates, near_duplicates
from bot.settings import Account

BASE = "@rina We know some users can't log in and our team is working on it. Sorry! Ref: A7K2QX - Shopee ID"


def score(a: str, b: str) -> float:
    return overlap(shingles(a), shingles(b))


def test_the_gist_drops_whom_it_addresses_the_reference_and_links() -> None:
    assert gist("@rina Sorry!! Ref: A7K2QX https://shopee.co.id/s 2023") == "sorry ref"


def test_a_reply_to_someone_else_with_another_signature_is_the_same_text() -> None:
    other = "@budi_99 We know some users can't log in and our team is working on it. Sorry! Ref: Q9WMZ3 - Shopee SG"
    assert score(BASE, other) >= 0.85


def test_light_edits_are_near_the_same_and_a_rewrite_is_not() -> None:
    edited = "@rina We know that some users cannot log in and our team is on it. Sorry! Ref: A7K2QX - Shopee MY"
    rewrite = "@rina Logins are failing for a number of people right now; engineers are fixing it. Ref: A7K2QX"
    assert score(BASE, edited) >= NEAR
    assert score(BASE, rewrite) < 0.3


@given(st.frozensets(st.integers(0, 40).map(str), max_size=30), st.frozensets(st.integers(0, 40).map(str), max_size=30))
def test_near_skips_only_pairs_that_cannot_reach_the_threshold(a: frozenset[str], b: frozenset[str]) -> None:
    """The size shortcut of ``near`` never hides a pair whose overlap reaches NEAR, and never invents one."""
    score = overlap(a, b)
    assert near(a, b) == (score if score >= NEAR else None)


def test_thai_and_chinese_are_compared_without_spaces() -> None:
    th = "@rina เราทราบปัญหาการเข้าสู่ระบบแล้ว และกำลังเร่งแก้ไขค่ะ"
    assert score(th, th.replace("@rina", "@budi")) == 1.0
    assert score("@a 我们正在修复登录问题", "@b 系统已恢复正常，谢谢耐心等待") < NEAR


ACCOUNTS = [
    Account(
        code=code,
        handle=f"Shopee{code}",
        country=code,
        languages=("en",),
        default_language="en",
        timezone="UTC",
        signature=f"- Shopee {code}",
    )
    for code in ("AA", "BB")
]


def write(root: Path, name: str, *wordings: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n---\n".join(wordings), encoding="utf-8")


WORDINGS = [
    "@{{ handle }} Logins are failing for some people; engineers are on it. Ref: {{ ref }} {{ signature }}",
    "@{{ handle }} Sorry, the app will not open for a few of you and a fix is under way. Ref: {{ ref }}",
    "@{{ handle }} Thanks for telling us: payments stall at the last step, we are checking. Ref: {{ ref }}",
]


def test_the_check_reports_a_file_copied_to_another_account(tmp_path: Path) -> None:
    write(tmp_path, "AA/en/none/general.j2", *WORDINGS)
    write(
        tmp_path,
        "BB/en/none/general.j2",
        WORDINGS[0],
        "@{{ handle }} Something else entirely, friend. Ref: {{ ref }}",
        "@{{ handle }} A third way to say a different thing here. Ref: {{ ref }}",
    )
    problems = near_duplicates(ReplyComposer(tmp_path), ACCOUNTS)
    assert [(p.template, p.variant) for p in problems] == [("BB/en/none/general.j2", 0)]
    assert "near the same as AA/en/none/general.j2 wording 1" in str(problems[0])
    every = [str(p) for p in check_templates(ReplyComposer(tmp_path), ACCOUNTS)]
    assert any("near the same" in p for p in every)


def test_a_wording_another_account_just_posted_is_not_posted_again(tmp_path: Path) -> None:
    write(tmp_path, "BB/en/none/general.j2", *WORDINGS)
    composer = ReplyComposer(tmp_path)

    def compose(others: OtherAccounts) -> str:
        out = composer.compose(
            account=ACCOUNTS[1],
            lang="en",
            state=IncidentState.NONE,
            action=Action.REPLY,
            category=Category.LOGIN,
            author_handle="budi",
            mention_id="1622450000000000001",
            others=others,
        )
        assert out is not None
        return out.text

    first = compose(OtherAccounts())
    their_post = first.replace("@budi", "@someone").replace("- Shopee BB", "- Shopee AA")
    second = compose(OtherAccounts.of([their_post]))
    assert second != first and score(first, second) < NEAR
    all_theirs = [
        w.replace("{{ handle }}", "x").replace("{{ ref }}", "").replace("{{ signature }}", "") for w in WORDINGS
    ]
    with pytest.raises(NoFreshWording, match="another account"):
        compose(OtherAccounts.of(all_theirs))

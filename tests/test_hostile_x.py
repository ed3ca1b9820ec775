"""Issue 14: what a misbehaving X may send never blocks an account, loses a mention or hangs a poll."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest
from conftest import CONFIG, fake_env
from hostile_x import HostileX

from bot.adapters.x_api import MAX_PAGES, RetryPolicy, XPlatform
from bot.bootstrap import build
from bot.core.lifecycle import Event
from bot.ports import TransientPlatformError
from bot.settings import Settings, load_settings

BASE_ID = 1_900_000_000_000_000_000


def good(n: int) -> dict[str, object]:
    return {
        "id": str(BASE_ID + n),
        "text": f"@shopeeid aplikasinya error, gabisa login {n}",
        "author_id": str(500 + n),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "lang": "in",
    }


BAD = [
    {"id": str(BASE_ID + 100), "author_id": "7"},  # no text
    {"id": "12ab", "text": "@shopeeid down"},  # not digits
    {"text": "@shopeeid no id at all"},
    "not an object",
]
ODD_BUT_FINE = [
    {**good(200), "lang": ["in", "en"]},  # lang as a list: unknown, detected from the text
    {**good(201), "created_at": "yesterday"},  # bad date: the id's time
    {**good(202), "created_at": "0001-01-01T00:00:00Z"},
]


def settings_for(url: str, tmp_path: Path) -> Settings:
    settings = load_settings(CONFIG, {**fake_env(), "X_API_BASE_URL": url}, db_override=tmp_path / "h.db")
    settings = dataclasses.replace(settings, http_timeout_s=1.0, accounts=(settings.account("ID"),))
    return settings


def platform(url: str, tmp_path: Path) -> XPlatform:
    settings = settings_for(url, tmp_path)
    return XPlatform(settings.account("ID"), settings, retry=RetryPolicy(1, 0, 0), sleep=lambda s: None)


def users(n: int) -> dict[str, object]:
    return {"users": [{"id": str(500 + i), "username": f"user{i}"} for i in range(n)]}


def test_one_malformed_record_is_quarantined_and_the_rest_of_the_page_goes_on(tmp_path: Path) -> None:
    records = [good(n) for n in range(9)] + BAD + ODD_BUT_FINE
    with HostileX(records) as x:
        page = platform(x.url, tmp_path).fetch_mentions(None)
    assert sorted(m.id for m in page.mentions) == sorted(str(BASE_ID + n) for n in [*range(9), 200, 201, 202])
    assert len(page.quarantined) == len(BAD)
    assert {q.reason for q in page.quarantined} >= {"no text", "id is not a string of digits: '12ab'"}
    odd = {m.id: m for m in page.mentions}
    assert odd[str(BASE_ID + 200)].lang is None
    dated = odd[str(BASE_ID + 202)].created_at
    assert dated is not None and dated.year > 2006


def test_a_float_id_is_rejected_never_rounded(tmp_path: Path) -> None:
    text = '[{"id": 1.9e18, "text": "@shopeeid a"}, {"id": 1900000000000000001, "text": "@shopeeid b"}]'
    with HostileX(text) as x:
        page = platform(x.url, tmp_path).fetch_mentions(None)
    assert [m.id for m in page.mentions] == ["1900000000000000001"]  # an integer is exact; the float is kept apart
    assert page.quarantined[0].reason.startswith("id is not a string of digits: FloatId")


def test_a_lone_surrogate_in_a_username_leaves_the_author_unknown_not_the_page_lost(tmp_path: Path) -> None:
    text = (
        '{"data": [{"id": "1900000000000000005", "text": "@shopeeid error \\ud800", "author_id": "9"}], '
        '"includes": {"users": [{"id": "9", "username": "bad\\udc00"}]}, "meta": {}}'
    )

    class Raw(HostileX):
        def mention_page(self, query: dict[str, list[str]]) -> str:
            return text

    with Raw() as x:
        (m,) = platform(x.url, tmp_path).fetch_mentions(None).mentions
    assert m.author_handle == "" and "\ufffd" in m.text


def test_the_wired_bot_answers_the_good_ones_keeps_the_bad_and_counts_only_what_it_committed(tmp_path: Path) -> None:
    records = [good(n) for n in range(9)] + BAD

    class WithUsers(HostileX):
        def mention_page(self, query: dict[str, list[str]]) -> str:
            return '{"data": ' + self.mentions + ', "includes": ' + json.dumps(users(9)) + ', "meta": {}}'

    with WithUsers(records) as x:
        settings = settings_for(x.url, tmp_path)
        heard: list[tuple[str, object]] = []

        class Listen:
            def decided(self, account, mention, decision, status):  # type: ignore[no-untyped-def]
                heard.append(("decided", mention.id))

            def posted(self, *args):  # type: ignore[no-untyped-def]
                pass

            def noted(self, account, event, count):  # type: ignore[no-untyped-def]
                heard.append((event, count))

            def poll_done(self, account):  # type: ignore[no-untyped-def]
                pass

        app = build(settings, dry_run=False, observer=Listen())
        account = settings.account("ID")
        app.service.poll(account)
        app.service.poll(account)  # the re-read brings the same page: nothing new is heard or kept
        replied = {p["parent"] for p in x.posts}
    assert replied == {str(BASE_ID + n) for n in range(9)}
    assert app.store.checkpoint("ID") == str(BASE_ID + 8)
    assert len(app.store.quarantined("ID")) == len(BAD)
    assert [h for h in heard if h[0] == "decided"] == [("decided", str(BASE_ID + n)) for n in range(9)]
    assert (Event.QUARANTINED, len(BAD)) in heard and heard.count((Event.QUARANTINED, len(BAD))) == 1
    app.store.close()


@pytest.mark.parametrize("paging", ["repeat", "endless"])
def test_pagination_that_never_ends_stops_at_the_window(paging: str, tmp_path: Path) -> None:
    with HostileX([good(1)], paging=paging) as x:
        platform(x.url, tmp_path).fetch_mentions(None)
        reads = [c for c in x.calls if "/mentions" in c]
    assert len(reads) == (2 if paging == "repeat" else MAX_PAGES)


def test_an_answer_trickling_a_byte_at_a_time_hits_the_total_deadline(tmp_path: Path) -> None:
    with HostileX([good(n) for n in range(3)], trickle_s=0.2) as x:
        x_platform = platform(x.url, tmp_path)
        x_platform.me()
        started = time.monotonic()
        with pytest.raises(TransientPlatformError):
            x_platform.fetch_mentions(None)
        took = time.monotonic() - started
    assert took < x_platform.session.deadline_s + 2  # not 0.2 s x hundreds of bytes
    settings = settings_for(x.url, tmp_path)
    assert x_platform.session.deadline_s == settings.http_call_deadline_s  # what the outbox's claims wait out


def test_observers_hear_only_what_was_committed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: 10 complaints during an unwritable database were counted 340 times (a false spike alert)."""
    from test_outbox import rig

    r = rig(settings)
    account = r.settings.account("ID")
    r.complaints(10, minutes_ago=1)
    decided: list[str] = []
    r.heard.decided = lambda account, mention, *rest: decided.append(mention.id)  # type: ignore[method-assign]
    real = r.store.set_checkpoint
    failures = iter([True, True, False])

    def flaky(*args: object) -> None:
        if next(failures):
            raise OSError("disk I/O error")
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(r.store, "set_checkpoint", flaky)
    for _ in range(2):
        with pytest.raises(OSError):
            r.service.intake.poll(account)
    assert decided == []  # nothing was committed, so nothing was heard
    r.service.intake.poll(account)
    assert len(decided) == 10 and len(set(decided)) == 10

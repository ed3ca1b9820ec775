"""The reply lifecycle's table: every status reachable, posts never undone, every dead end open to a human."""

from __future__ import annotations

import pytest

from bot.core.lifecycle import (
    HUMAN_CAN_REQUEUE,
    POSTED,
    TRANSITIONS,
    UNANSWERED,
    InvalidStatusTransition,
    Status,
    allowed,
    predecessors,
)
from bot.ports import DuplicateContent, NotSummoned, PlatformError, PostOutcomeUnknown, RateLimited, Unauthorized
from bot.service.outbox import POST_FAILURES, failure_for


def reachable() -> set[Status]:
    seen: set[Status] = set()
    frontier: list[Status | None] = [None]
    while frontier:
        for nxt in TRANSITIONS.get(frontier.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def test_every_status_is_reachable_from_a_new_mention_and_has_a_row_in_the_table() -> None:
    assert reachable() == set(Status)
    assert set(TRANSITIONS) == {None, *Status}


def test_a_post_is_only_ever_attempted_from_pending_and_a_reply_is_never_undone() -> None:
    assert predecessors(Status.CLAIMED) == {Status.PENDING, Status.CLAIMED}
    assert TRANSITIONS[Status.REPLIED] == {Status.ESCALATED}  # a holding reply's escalation, nothing else
    assert not allowed(Status.REPLIED, Status.PENDING) and not allowed(Status.CLAIMED, Status.EXPIRED)


def test_every_dead_end_can_be_picked_up_by_a_human() -> None:
    for status in HUMAN_CAN_REQUEUE | UNANSWERED:
        assert allowed(status, Status.PENDING)
        assert status is Status.ESCALATED or allowed(status, Status.ESCALATED)
    assert POSTED.isdisjoint(HUMAN_CAN_REQUEUE)


def test_the_error_names_where_it_was_and_what_is_allowed() -> None:
    error = InvalidStatusTransition("123", Status.REPLIED, Status.PENDING)
    assert "123" in str(error) and "replied" in str(error) and "escalated" in str(error)


@pytest.mark.parametrize(
    ("exc", "status", "outcome"),
    [
        (NotSummoned("x"), Status.SKIPPED, "skipped"),
        (PostOutcomeUnknown("x"), Status.CLAIMED, "transient"),  # may be out: reconciled, never reposted blindly
        (RateLimited("x"), Status.PENDING, "transient"),
        (Unauthorized("x"), Status.PENDING, "transient"),
        (DuplicateContent("x"), Status.FAILED, "error"),  # after the retry with another wording
        (PlatformError("x"), Status.FAILED, "error"),
    ],
)
def test_each_refusal_of_x_maps_to_one_status(exc: PlatformError, status: Status, outcome: str) -> None:
    failure = failure_for(exc)
    assert failure.status is status and failure.outcome == outcome
    assert allowed(Status.CLAIMED, failure.status)


def test_subclasses_come_before_their_parents_in_the_failure_table() -> None:
    for i, earlier in enumerate(POST_FAILURES):
        for later in POST_FAILURES[i + 1 :]:
            assert not issubclass(later.error, earlier.error), (earlier.error, later.error)

"""Incident state as operators declare it, and the state replies use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.incident import (
    Incident,
    InvalidTransition,
    can_transition,
    effective_note,
    effective_state,
    transition,
)
from bot.core.models import IncidentState

NONE, INVESTIGATING, MONITORING, RESOLVED = (
    IncidentState.NONE,
    IncidentState.INVESTIGATING,
    IncidentState.MONITORING,
    IncidentState.RESOLVED,
)
OUTAGE_START = datetime(2023, 2, 6, 2, 0, tzinfo=UTC)
QUIET = 6 * 3600.0


def calm(code: str = "ID") -> Incident:
    return Incident(code=code, state=NONE, started_at=None, updated_at=None)


def resolved_at(when: datetime) -> Incident:
    return Incident("ID", RESOLVED, started_at=OUTAGE_START, updated_at=when, note="https://status.example")


def test_no_incident_means_ordinary_replies() -> None:
    assert effective_state(None, OUTAGE_START, QUIET) is NONE
    assert effective_state(calm(), OUTAGE_START, QUIET) is NONE


@pytest.mark.parametrize("state", [INVESTIGATING, MONITORING])
def test_an_open_incident_lasts_until_an_operator_changes_it(state: IncidentState) -> None:
    incident = Incident("TH", state, OUTAGE_START, OUTAGE_START)
    assert effective_state(incident, OUTAGE_START + timedelta(days=3), QUIET) is state


def test_resolved_says_were_back_during_the_quiet_period() -> None:
    assert effective_state(resolved_at(OUTAGE_START), OUTAGE_START + timedelta(hours=5), QUIET) is RESOLVED


def test_resolved_falls_back_to_none_after_the_quiet_period() -> None:
    assert effective_state(resolved_at(OUTAGE_START), OUTAGE_START + timedelta(hours=6), QUIET) is NONE


def test_resolved_without_a_timestamp_is_treated_as_long_past() -> None:
    incident = Incident("ID", RESOLVED, started_at=None, updated_at=None)
    assert effective_state(incident, OUTAGE_START, QUIET) is NONE


def test_the_note_is_shown_only_while_the_incident_shapes_replies() -> None:
    incident = resolved_at(OUTAGE_START)
    assert effective_note(incident, OUTAGE_START + timedelta(hours=1), QUIET) == "https://status.example"
    assert effective_note(incident, OUTAGE_START + timedelta(hours=7), QUIET) == ""
    assert effective_note(None, OUTAGE_START, QUIET) == ""


def test_declaring_an_incident_records_when_it_started() -> None:
    incident = transition(calm(), INVESTIGATING, OUTAGE_START, note="https://status.example")
    assert incident == Incident("ID", INVESTIGATING, OUTAGE_START, OUTAGE_START, "https://status.example")


def test_the_february_outage_runs_investigating_monitoring_resolved() -> None:
    incident = transition(calm(), INVESTIGATING, OUTAGE_START)
    later = OUTAGE_START + timedelta(hours=2)
    incident = transition(incident, MONITORING, later)
    incident = transition(incident, RESOLVED, later + timedelta(hours=1), note="All good")
    assert incident.state is RESOLVED
    assert incident.started_at == OUTAGE_START
    assert incident.updated_at == later + timedelta(hours=1)
    assert incident.note == "All good"


def test_a_resolved_incident_can_be_reopened_and_keeps_its_start() -> None:
    incident = transition(
        resolved_at(OUTAGE_START + timedelta(hours=3)), INVESTIGATING, OUTAGE_START + timedelta(hours=4)
    )
    assert incident.state is INVESTIGATING and incident.started_at == OUTAGE_START


def test_standing_down_clears_the_start_and_the_note() -> None:
    incident = transition(resolved_at(OUTAGE_START), NONE, OUTAGE_START + timedelta(hours=1))
    assert (incident.state, incident.started_at, incident.note) == (NONE, None, "")


def test_staying_in_a_state_updates_only_the_note() -> None:
    declared = transition(calm(), INVESTIGATING, OUTAGE_START)
    updated = transition(declared, INVESTIGATING, OUTAGE_START + timedelta(minutes=5), note="new URL")
    assert (updated.state, updated.started_at, updated.note) == (INVESTIGATING, OUTAGE_START, "new URL")


@pytest.mark.parametrize("target", [MONITORING, RESOLVED])
def test_an_incident_cannot_be_monitored_or_resolved_before_it_is_declared(target: IncidentState) -> None:
    assert not can_transition(NONE, target)
    with pytest.raises(InvalidTransition, match="allowed: investigating"):
        transition(calm(), target, OUTAGE_START)


def test_resolved_cannot_go_back_to_monitoring() -> None:
    assert not can_transition(RESOLVED, MONITORING)

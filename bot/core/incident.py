"""Per-country incident state, as operators declare it, and what the bot should say right now.

Pure: storage and the ``incident`` commands live elsewhere and call these functions. Datetimes should be
timezone-aware (UTC); mixing aware and naive values raises ``TypeError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.models import IncidentState

_NONE, _INV, _MON, _RES = (
    IncidentState.NONE,
    IncidentState.INVESTIGATING,
    IncidentState.MONITORING,
    IncidentState.RESOLVED,
)

ALLOWED_TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    _NONE: frozenset({_INV}),
    _INV: frozenset({_MON, _RES, _NONE}),
    _MON: frozenset({_INV, _RES, _NONE}),
    _RES: frozenset({_INV, _NONE}),
}
"""Declare (none → investigating), fix (→ monitoring → resolved), regress or reopen (→ investigating) and
stand down (→ none, e.g. a false alarm). Nothing is monitored or resolved before it is declared."""


class InvalidTransition(ValueError):
    """The requested state change is not one of :data:`ALLOWED_TRANSITIONS`."""


@dataclass(frozen=True)
class Incident:
    code: str
    """The account (country) code, e.g. ``ID``."""
    state: IncidentState
    started_at: datetime | None
    """When the incident was declared (left ``none``)."""
    updated_at: datetime | None
    """When the state or note last changed."""
    note: str = ""
    """Public note from operators, e.g. a status page URL; shown in incident replies."""


def can_transition(old: IncidentState, new: IncidentState) -> bool:
    """True when ``old → new`` is allowed; staying in the same state (e.g. to change the note) always is."""
    return old is new or new in ALLOWED_TRANSITIONS[old]


def transition(incident: Incident, new: IncidentState, now: datetime, note: str | None = None) -> Incident:
    """The incident after an operator moves it to ``new`` at ``now``; ``note=None`` keeps the current note.

    Declaring sets ``started_at``; going back to ``none`` clears it and the note.
    """
    if not can_transition(incident.state, new):
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[incident.state]))
        raise InvalidTransition(
            f"{incident.code}: cannot go from {incident.state.value} to {new.value}; allowed: {allowed}"
        )
    if new is _NONE:
        return replace(incident, state=new, started_at=None, updated_at=now, note="")
    started = incident.started_at if incident.state is not _NONE and incident.started_at else now
    return replace(
        incident,
        state=new,
        started_at=started,
        updated_at=now,
        note=incident.note if note is None else note,
    )


def reopen_fresh(incident: Incident) -> Incident:
    """A resolved incident as a new one would start: no start time, no note (``incident open`` after a fix).

    ``update --state investigating`` keeps the start and the note: the same outage came back. ``open`` declares a
    new one, whose replies must not carry the old status link."""
    if incident.state is not _RES:
        return incident
    return replace(incident, started_at=None, note="")


def effective_state(incident: Incident | None, now: datetime, resolved_quiet_s: float) -> IncidentState:
    """The state replies should use at ``now``.

    A resolved incident says "we're back" for ``resolved_quiet_s`` seconds after it was resolved, then the bot
    goes back to ordinary troubleshooting (``none``). A resolved incident without ``updated_at`` is treated as
    long past. No incident at all is ``none``.
    """
    if incident is None:
        return _NONE
    if incident.state is not _RES:
        return incident.state
    if incident.updated_at is None or (now - incident.updated_at).total_seconds() >= resolved_quiet_s:
        return _NONE
    return _RES


def effective_note(incident: Incident | None, now: datetime, resolved_quiet_s: float) -> str:
    """The note to show at ``now``: none once the incident no longer shapes the replies."""
    if incident is None or effective_state(incident, now, resolved_quiet_s) is _NONE:
        return ""
    return incident.note

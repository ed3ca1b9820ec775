"""Status posts: the account's one public post per incident state, for the complaints it cannot answer in time.

When a spike brings more complaints than the post budget can answer within the freshness window, one public
post ("we know the app is down, we're on it") reaches every one of them at the cost of one reply. Its wordings
live in ``templates/<CODE>/<lang>/status/<state>.j2`` (the account's default language; states
``investigating``, ``monitoring``, ``resolved``), with the same ``---`` separated wordings and variables as a
reply but no ``handle`` or ``ref``: a status post addresses nobody. They are optional: without them, the
complaints that go stale are left for a human (status ``expired``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot.core.models import IncidentState
from bot.core.replies import (
    MAX_WEIGHT,
    STATUS,
    SUFFIX,
    WORST_CASE_NOTE,
    ComposedReply,
    NoFreshWording,
    ReplyComposer,
    ReplyTooLong,
    TemplateMissing,
    TemplateProblem,
    TemplateRenderError,
    clean_text,
    fits_in_post,
    safe_note,
    weighted_length,
)
from bot.settings import Account

STATES = tuple(s for s in IncidentState if s is not IncidentState.NONE)


def status_template(account: Account, state: IncidentState) -> str:
    return f"{account.code}/{account.default_language}/{STATUS}/{state.value}{SUFFIX}"


def has_status_template(composer: ReplyComposer, account: Account, state: IncidentState) -> bool:
    return status_template(account, state) in composer.sources


def _variables(account: Account, note: str) -> dict[str, str]:
    signature = clean_text(account.signature_for(account.default_language))
    return {"signature": signature, "country": clean_text(account.country), "note": note}


def compose_status(
    composer: ReplyComposer, account: Account, state: IncidentState, note: str = "", recent_texts: Collection[str] = ()
) -> ComposedReply:
    """The status post for ``state``: the first wording that fits and was not posted recently (the note is
    dropped if no wording fits with it). Raises :class:`TemplateMissing` without a template for the state."""
    name = status_template(account, state)
    if name not in composer.sources:
        raise TemplateMissing(f"no status post template {name}")
    recent = set(recent_texts)
    cleaned = safe_note(note)
    fits = False
    for notes in [cleaned, ""] if cleaned else [""]:
        for variant in range(len(composer.sources[name])):
            text = composer.render(name, variant, _variables(account, notes))
            if not fits_in_post(text):
                continue
            fits = True
            if text not in recent:
                return ComposedReply(text, name, variant, account.default_language)
        if fits:
            break
    if not fits:
        raise ReplyTooLong(f"{name}: every wording is longer than {MAX_WEIGHT} weighted characters")
    raise NoFreshWording(f"{name}: every wording was posted recently")


def status_problems(composer: ReplyComposer, accounts: Iterable[Account]) -> list[TemplateProblem]:
    """Problems of the status post templates that exist: a wording that fails to render, is longer than 280
    with the longest note, or starts with an @handle (a status post must address nobody)."""
    problems = []
    for account in accounts:
        for state in STATES:
            name = status_template(account, state)
            for variant in range(len(composer.sources.get(name, []))):
                try:
                    text = composer.render(name, variant, _variables(account, WORST_CASE_NOTE))
                except TemplateRenderError as exc:
                    problems.append(TemplateProblem(name, str(exc), account.code, account.default_language, variant))
                    continue
                if not fits_in_post(text):
                    problems.append(
                        TemplateProblem(
                            name,
                            f"{weighted_length(text)} weighted characters with a status URL; the limit is {MAX_WEIGHT}",
                            account.code,
                            account.default_language,
                            variant,
                        )
                    )
                elif text.startswith("@"):
                    problems.append(
                        TemplateProblem(
                            name, "a status post addresses nobody: no @handle", account.code, account.default_language
                        )
                    )
    return problems

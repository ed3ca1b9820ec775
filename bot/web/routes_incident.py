"""Incident control per country: the state now, a form offering only the allowed transitions (``move_incident``,
as ``replybot incident`` uses), and a preview of the reply each category would get in a state (now, or the one
about to be chosen), composed by the outbox's own composer for a first reply to a made-up author."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.core.incident import ALLOWED_TRANSITIONS, InvalidTransition
from bot.core.models import Action, Category, IncidentState
from bot.core.replies import note_problem
from bot.service import move_incident
from bot.service.incidents import IncidentNow
from bot.settings import Account
from bot.web.console import Console, choice, field, flash, who

PREVIEW_ID = "1623456789012345678"
"""A made-up mention id for previews (its reference code is shown as it would be)."""
NOTE_LIMIT = 200


def previews(console: Console, account: Account, state: IncidentState, note: str, lang: str) -> list[dict[str, Any]]:
    """What a complaint of each category (and an escalation's holding reply) gets in ``state``, in ``lang``."""
    incident = IncidentNow(state, note if state is not IncidentState.NONE else "", None)
    out = []
    kinds: list[tuple[str, Action, str | None]] = [(c.value, Action.REPLY, c.value) for c in Category]
    kinds += [("(no category)", Action.REPLY, None), ("escalation: holding reply", Action.ESCALATE, None)]
    for label, action, category in kinds:
        row = {"id": PREVIEW_ID, "account": account.code, "action": action.value, "status": "pending",
               "author_handle": "customer", "lang": lang, "category": category}  # fmt: skip
        text, template, problem = console.compose(account, row, incident)
        out.append({"kind": label, "text": text, "template": template, "problem": problem})
    return out


def routes(console: Console) -> list[Route]:
    def account_or_404(request: Request) -> Account | Response:
        found = console.account(request.path_params["code"])
        return found if found is not None else PlainTextResponse("unknown account", status_code=404)

    def show(request: Request) -> Response:
        account = account_or_404(request)
        if isinstance(account, Response):
            return account
        now = console.outbox.incident(account)
        stored = console.store.incident(account.code)
        states = tuple(s.value for s in IncidentState)
        preview_state = IncidentState(choice(request.query_params.get("state", ""), states) or now.state.value)
        lang = choice(request.query_params.get("lang", ""), account.languages) or account.default_language
        allowed = [now.state, *sorted(ALLOWED_TRANSITIONS[now.state], key=list(IncidentState).index)]
        return console.page(
            request,
            "incident.html",
            account=account,
            now=now,
            stored=stored,
            allowed=[s.value for s in allowed],
            preview_state=preview_state.value,
            lang=lang,
            previews=previews(console, account, preview_state, stored.note, lang),
            states=states,
        )

    def move(request: Request) -> Response:
        account = account_or_404(request)
        if isinstance(account, Response):
            return account
        state = choice(field(request, "state"), tuple(s.value for s in IncidentState))
        note = field(request, "note")[:NOTE_LIMIT] or None
        if state is None:
            return PlainTextResponse("unknown state", status_code=400)
        if note and (problem := note_problem(note)):
            return PlainTextResponse(f"note refused: {problem}", status_code=400)
        now = console.now()
        try:
            quiet_s, fresh = console.settings.limits.resolved_quiet_s, field(request, "fresh") == "1"
            move_incident(console.store, account.code, IncidentState(state), now, quiet_s, note, fresh=fresh)
        except InvalidTransition as exc:
            return PlainTextResponse(str(exc), status_code=409)
        console.store.audit(who(request), f"incident-{state}", account.code, now, note or "")
        flash(request, f"{account.code}: incident {state}")
        return RedirectResponse(f"/incident/{account.code}", status_code=303)

    return [
        Route("/incident/{code:str}", console.guard(show)),
        Route("/incident/{code:str}", console.guard(move), methods=["POST"]),
    ]

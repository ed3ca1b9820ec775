"""One mention: the post, the post it replied to and its thread as recorded, the classifier's decision, reason
and confidence, its label and history; and every decision of the queue on it: approve, edit and send (the
template reply prefilled), write a reply, hand back to the bot, escalate, done / not a complaint.

Each decision is the ``review_actions`` function that ``replybot review`` calls, labels the mention as the
CLI does and is audited; each reply goes through the outbox's claim -> post -> record path, so a double submit
posts once and the second is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.adapters.store import LABEL_ACTIONS
from bot.core.models import Action
from bot.entrypoints import review_actions as act
from bot.entrypoints.labels import NO_CATEGORY
from bot.web.console import CATEGORIES, Console, choice, field, flash, who

REPLY_INPUT_LIMIT = 2000
NOTE_LIMIT = 500


def template_reply(console: Console, row: dict[str, Any]) -> tuple[str, str]:
    """(text, template) the bot would post for this mention now, or ("", why not). An escalation gets the
    account's holding wording (``escalate.j2``): it is only a starting point."""
    account = console.account(row["account"])
    if account is None:
        return "", "the account is no longer configured"
    action = Action.ESCALATE if row["action"] == Action.ESCALATE.value else Action.REPLY
    outbox = console.outbox
    text, template, problem = console.compose(
        account, {**row, "action": action.value, "manual_text": None}, outbox.incident(account), outbox.recent(account)
    )
    return (text, template) if text else ("", f"no template reply: {problem}" if problem else "no template reply")


def routes(console: Console) -> list[Route]:
    def mention_or_404(request: Request) -> dict[str, Any] | Response:
        row = console.store.mention(request.path_params["mention_id"])
        return row if row is not None else PlainTextResponse("no such mention", status_code=404)

    def back(mention_id: str) -> Response:
        return RedirectResponse(f"/mention/{mention_id}", status_code=303)

    def category_field(request: Request) -> str | None:
        return choice(field(request, "category"), (*CATEGORIES, NO_CATEGORY))

    def show(request: Request) -> Response:
        row = mention_or_404(request)
        if isinstance(row, Response):
            return row
        store = console.store
        answerable = act.written_refusal(row) is None
        no_template = act.template_refusal(store, row) if answerable or row["status"] in act.APPROVABLE else None
        prefill, template = template_reply(console, row) if answerable else ("", "")
        return console.page(
            request,
            "mention.html",
            m=row,
            parent=store.parent_of(row),
            thread=[t for t in store.thread_of(row) if t["id"] != row["id"]],
            history=store.history_of(row["id"]),
            label=store.label(row["id"]),
            posts=store.posts_for(row["id"]),
            approvable=row["status"] in act.APPROVABLE and no_template is None,
            answerable=answerable,
            no_template=no_template,
            outcome_unknown=row["error"] == "outcome_unknown_twice",
            prefill=prefill,
            template=template,
            label_actions=LABEL_ACTIONS,
        )

    def approve(request: Request) -> Response:
        row = mention_or_404(request)
        if isinstance(row, Response):
            return row
        if not act.approve(console.settings, console.store, row, who(request), console.now()):
            flash(request, f"{row['id']} is no longer waiting for approval: nothing was posted")
        else:
            flash(request, f"approved: {console.post_now(row['account'], row['id'])}")
        return back(row["id"])

    def decide_and_post(request: Request, decide: Callable[[dict[str, Any]], str], said_line: str) -> Response:
        """A decision that releases a reply (``review_actions``), then the post through the outbox, once."""
        row = mention_or_404(request)
        if isinstance(row, Response):
            return row
        try:
            said = decide(row)
        except act.Refused as exc:
            flash(request, str(exc))
            return back(row["id"])
        flash(request, f"{said_line.format(said=said)}; {console.post_now(row['account'], row['id'])}")
        return back(row["id"])

    def reply(request: Request) -> Response:
        text = field(request, "text")[:REPLY_INPUT_LIMIT]
        label = choice(field(request, "label"), ("reply", "escalate"))
        category, agent_name = category_field(request), who(request)

        def decide(row: dict[str, Any]) -> str:
            return act.reply(console.settings, console.store, row, text, label, category, agent_name, console.now())

        return decide_and_post(request, decide, "{said}")

    def hand_back(request: Request) -> Response:
        return decide_and_post(
            request,
            lambda row: act.hand_back(console.settings, console.store, row, who(request), console.now()),
            "handed back to the bot ({said})",
        )

    def escalate(request: Request) -> Response:
        row = mention_or_404(request)
        if isinstance(row, Response):
            return row
        note = field(request, "note")[:NOTE_LIMIT] or None
        said = act.escalate(console.settings, console.store, row, category_field(request), note, who(request),
                            console.now())  # fmt: skip
        flash(request, f"escalated ({said}); it waits in the queue")
        return back(row["id"])

    def done(request: Request) -> Response:
        row = mention_or_404(request)
        if isinstance(row, Response):
            return row
        not_complaint = field(request, "verdict") == "ignore"  # the "Not a complaint" button
        label = "ignore" if not_complaint else choice(field(request, "label"), LABEL_ACTIONS)
        category = category_field(request) if label in ("reply", "escalate") else None
        note = field(request, "note")[:NOTE_LIMIT] or None
        said = act.done(console.settings, console.store, row, label, category, note, who(request), console.now())
        flash(request, f"done ({said})")
        return back(row["id"])

    path = "/mention/{mention_id:str}"
    return [
        Route(path, console.guard(show)),
        Route(f"{path}/approve", console.guard(approve), methods=["POST"]),
        Route(f"{path}/reply", console.guard(reply), methods=["POST"]),
        Route(f"{path}/hand-back", console.guard(hand_back), methods=["POST"]),
        Route(f"{path}/escalate", console.guard(escalate), methods=["POST"]),
        Route(f"{path}/done", console.guard(done), methods=["POST"]),
    ]

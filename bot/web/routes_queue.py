"""The queue: what waits for a human, counted by kind, filtered by account, category and language; approve one
or a selection (one form of checkboxes), or close one. Each decision is a ``review_actions`` function, as in
``replybot review``, and each approved reply goes out through the outbox's claim -> post -> record path."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.entrypoints import review_actions as act
from bot.entrypoints.labels import NO_CATEGORY
from bot.settings import SUPPORTED_LANGUAGES
from bot.web.console import CATEGORIES, Console, choice, flash, who
from bot.web.numbers import unanswered_by_budget

LIMIT = 200
SELECTION_LIMIT = 100


def routes(console: Console) -> list[Route]:
    codes = tuple(a.code for a in console.settings.accounts)

    def filters(request: Request) -> dict[str, str]:
        q = request.query_params
        chosen = {
            "account": choice(q.get("account", ""), codes),
            "category": choice(q.get("category", ""), (*CATEGORIES, NO_CATEGORY)),
            "lang": choice(q.get("lang", ""), SUPPORTED_LANGUAGES),
        }
        return {k: v for k, v in chosen.items() if v}

    def queue(request: Request) -> Response:
        only = filters(request)
        rows, total = console.store.queue_filtered(only.get("account"), only.get("category"), only.get("lang"), LIMIT)
        counts = console.store.queue_counts(only.get("account"))
        return console.page(
            request,
            "queue.html",
            rows=rows,
            total=total,
            only=only,
            counts=counts,
            unanswered=unanswered_by_budget(
                console.store, console.outbox, console.settings.accounts, only.get("account")
            ),
            back="/queue" + (f"?{urlencode(only)}" if only else ""),
        )

    def back_to(request: Request) -> str:
        back = str(request.state.form.get("back") or "/queue")
        return back if back.startswith("/queue") and "//" not in back else "/queue"

    def approve_ids(request: Request, ids: list[str], *, bulk: bool) -> Response:
        """Approve each; in a selection only replies approval mode held back (an unsure mention is approved
        alone, after reading, as ``replybot review approve --all`` leaves them out)."""
        now, posted, refused, results = console.now(), 0, 0, []
        for mention_id in ids[:SELECTION_LIMIT]:
            row = console.store.mention(mention_id)
            held_back = row is not None and (not bulk or row["status"] == "awaiting_approval")
            if row is None or not held_back or not act.approve(console.settings, console.store, row, who(request), now):
                refused += 1  # a second click, no longer waiting, or the bot must not post to it: nothing posted
                continue
            outcome = console.post_now(row["account"], mention_id)
            posted += outcome == "posted"
            results.append(outcome)
        said = f"approved {len(results)}, posted {posted}"
        if refused:
            said += f"; {refused} refused: no longer waiting, unsure (approve those alone) or not to be answered"
        if results and posted < len(results):
            said += f"; {next(r for r in results if r != 'posted')}"
        flash(request, said)
        return RedirectResponse(back_to(request), status_code=303)

    def approve_one(request: Request) -> Response:
        if console.store.mention(request.path_params["mention_id"]) is None:
            return PlainTextResponse("no such mention", status_code=404)
        return approve_ids(request, [request.path_params["mention_id"]], bulk=False)

    def approve_selected(request: Request) -> Response:
        ids = [str(i) for i in request.state.form.getlist("id")]
        if not ids:
            flash(request, "nothing selected")
            return RedirectResponse(back_to(request), status_code=303)
        return approve_ids(request, list(dict.fromkeys(ids)), bulk=True)

    def done(request: Request) -> Response:
        mention_id = request.path_params["mention_id"]
        row = console.store.mention(mention_id)
        if row is None:
            return PlainTextResponse("no such mention", status_code=404)
        said = act.done(console.settings, console.store, row, None, None, None, who(request), console.now())
        flash(request, f"{mention_id} done ({said})")
        return RedirectResponse(back_to(request), status_code=303)

    return [
        Route("/queue", console.guard(queue)),
        Route("/queue/approve", console.guard(approve_selected), methods=["POST"]),
        Route("/queue/{mention_id:str}/approve", console.guard(approve_one), methods=["POST"]),
        Route("/queue/{mention_id:str}/done", console.guard(done), methods=["POST"]),
    ]

"""The overview: per account a chart of mentions per minute (uPlot, fed by ``/api/series``), and the numbers
(incident, spike, queue, posts, budget, latency) that htmx reloads from ``/overview/numbers`` every 30 s; the
charts follow each reload. The JSON carries counts only: no mention text ever reaches a script."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.web.console import Console
from bot.web.numbers import MAX_HOURS, account_numbers, series

REFRESH_S = 30
HOURS = (1, 3, 6, 12, 24)


def _hours(request: Request) -> int:
    try:
        wanted = int(request.query_params.get("hours", "3"))
    except ValueError:
        return 3
    return max(1, min(wanted, MAX_HOURS))


def routes(console: Console) -> list[Route]:
    def rows(hours: int) -> list[dict[str, object]]:
        now = console.now()
        return [
            account_numbers(console.settings, console.store, console.outbox, a, now, hours)
            for a in console.settings.accounts
        ]

    def overview(request: Request) -> Response:
        hours = _hours(request)
        return console.page(request, "overview.html", rows=rows(hours), hours=hours, choices=HOURS, refresh=REFRESH_S)

    def numbers(request: Request) -> Response:
        hours = _hours(request)
        return console.page(request, "_numbers.html", rows=rows(hours), hours=hours, refresh=REFRESH_S)

    def chart_data(request: Request) -> Response:
        data = series(console.store, console.settings.accounts, console.now(), _hours(request))
        return JSONResponse(data, headers={"cache-control": "no-store"})

    return [
        Route("/", console.guard(overview)),
        Route("/overview/numbers", console.guard(numbers)),
        Route("/api/series", console.guard(chart_data, api=True)),
    ]

"""``replybot doctor``: what can be checked live before a brand lets the bot answer for it.

X's rules (docs/COMPLIANCE.md) ask for things only X can show: the token belongs to the configured account,
it may read and write, and the account is labelled as automated. The first two are asked of X here; posting is
tried only against a local fake X (never a public post on the real one); the label is a checklist.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click

from bot import bootstrap
from bot.entrypoints.common import common_options, load
from bot.ports import PlatformError, ReadOnlyToken
from bot.settings import Account, Settings

LABEL_CHECKLIST = (
    'Turn on the "Automated" label: x.com > Settings > Your account > Account information > Automation, and '
    "name the human account that manages this one.",
    'Say so in the bio, e.g. "Automated replies from the <country> support team; a person reads every DM."',
    "The managing human account is real, reachable and named in the bio or pinned post.",
    "The developer app is registered for this use (X Developer Console: app description says automated replies).",
    "Every reply offers a way to stop (opt-out.j2) and the bot only answers people who typed the handle.",
)


@dataclass(frozen=True)
class Check:
    account: str
    name: str
    ok: bool | None
    """None: not checked (say why)."""
    detail: str

    def line(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "skip"}[self.ok]
        return f"  {mark} {self.name}: {self.detail}"


def is_local(url: str | None) -> bool:
    """True when the X API base URL is a fake on this machine (127.0.0.1, ::1, localhost)."""
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def account_checks(settings: Settings, account: Account, try_post: bool) -> list[Check]:
    from bot.adapters.x_api import XPlatform

    platform = bootstrap.x_platforms(settings, (account,))[account.code]
    assert isinstance(platform, XPlatform)
    checks = []
    try:
        me = platform.me()
    except ReadOnlyToken as exc:
        return [Check(account.code, "access level", False, str(exc))]
    except PlatformError as exc:
        return [Check(account.code, "credentials", False, f"X refused them: {exc}")]
    same = me.handle.lower() == account.handle.lower()
    checks.append(
        Check(
            account.code,
            "credentials",
            same,
            f"belong to @{me.handle}" + ("" if same else f", not the configured @{account.handle}"),
        )
    )
    level = platform.access_level
    checks.append(
        Check(
            account.code,
            "access level",
            None if level is None else level.startswith("read-write"),
            f"x-access-level: {level}" if level else "X sent no x-access-level header",
        )
    )
    usage = platform.usage()
    checks.append(
        Check(
            account.code,
            "usage",
            None if usage is None else usage["used"] < usage["cap"],
            f"{usage['used']:,} of {usage['cap']:,} post reads this billing cycle"
            if usage
            else "X did not report usage (GET /2/usage/tweets needs the app's bearer token)",
        )
    )
    if not is_local(settings.api_base_url):
        checks.append(Check(account.code, "posting", None, "not tried on the real X (it would be a public post)"))
    elif try_post and same:
        try:
            posted = platform.post_status(f"replybot doctor check {int(time.time())}")
            checks.append(Check(account.code, "posting", True, f"the fake X took post {posted.id}"))
        except PlatformError as exc:
            checks.append(Check(account.code, "posting", False, str(exc)))
    return checks


@click.command()
@common_options
@click.option("--no-post", is_flag=True, help="Do not try a post, even against a local fake X.")
def doctor(config_path: Path | None, db_path: Path | None, no_post: bool) -> None:
    """Check each account against X (credentials, access level, posting on a fake X) and print the
    automated-account checklist. Exit 1 if any check fails."""
    from bot.cli import template_problems

    settings = load(config_path, db_path)
    failed = False
    target = settings.api_base_url or "https://api.x.com"
    click.echo(f"X API: {target}" + (" (local fake)" if is_local(settings.api_base_url) else ""))
    for account in settings.accounts:
        click.echo(f"{account.code} @{account.handle}")
        if not account.enabled:
            click.echo(Check(account.code, "credentials", None, f"{account.disabled_reason()}: not run").line())
            continue
        for check in account_checks(settings, account, try_post=not no_post):
            click.echo(check.line())
            failed |= check.ok is False
    problems = template_problems(settings)
    click.echo(f"templates: {'ok' if not problems else f'{len(problems)} problem(s), run replybot templates check'}")
    failed |= bool(problems)
    click.echo("Before going live, for every account (X's automation rules; docs/COMPLIANCE.md):")
    for item in LABEL_CHECKLIST:
        click.echo(f"  [ ] {item}")
    raise SystemExit(1 if failed else 0)

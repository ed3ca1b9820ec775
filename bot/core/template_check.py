"""``replybot templates check``: every problem to fix before the bot may use a template folder.

Unreadable or unused files, fewer than three distinct wordings, a missing fall-back, a wording that fails to
render, does not address the author or is longer than 280 weighted characters with worst-case values.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.login_problem import LoginProblem
from bot.core.models import Action, Category, IncidentState
from bot.core.replies import (
    ESCALATE,
    GENERAL,
    MAX_WEIGHT,
    MIN_WORDINGS,
    OPT_OUT,
    REF_LENGTH,
    STATUS,
    SUFFIX,
    WORST_CASE_HANDLE,
    WORST_CASE_NOTE,
    ReplyComposer,
    TemplateMissing,
    TemplateProblem,
    TemplateRenderError,
    clean_text,
    fits_in_post,
    login_file,
    weighted_length,
)
from bot.core.similarity import near, shingles
from bot.settings import Account


def _worst_case(account: Account, note: str, lang: str) -> dict[str, str]:
    return {
        "handle": WORST_CASE_HANDLE,
        "ref": "W" * REF_LENGTH,
        "signature": clean_text(account.signature_for(lang)),
        "country": clean_text(account.country),
        "note": note,
    }


def _expected_files(account: Account) -> set[str]:
    names = [GENERAL, *(c.value for c in Category), *(login_file(p) for p in LoginProblem)]
    status = [f"{STATUS}/{s.value}{SUFFIX}" for s in IncidentState if s is not IncidentState.NONE]
    return {
        f"{account.code}/{lang}/{rest}"
        for lang in account.languages
        for rest in [
            f"{ESCALATE}{SUFFIX}",
            f"{OPT_OUT}{SUFFIX}",
            *(f"{s.value}/{n}{SUFFIX}" for s in IncidentState for n in names),
            *status,
        ]
    }


def _file_problems(composer: ReplyComposer, expected: set[str], codes: set[str]) -> list[TemplateProblem]:
    """Problems of the files of configured accounts (another country's folder is simply not used)."""
    problems = []
    for name, wordings in composer.sources.items():
        if name.split("/", 1)[0] not in codes:
            continue
        if name not in expected:
            problems.append(
                TemplateProblem(
                    name,
                    "not used: no account has this code and language, or the state/category in the path is misspelt",
                )
            )
        for i, wording in enumerate(wordings):
            if not wording:
                problems.append(TemplateProblem(name, "empty wording (two --- lines in a row?)", variant=i))
        distinct = {" ".join(w.split()) for w in wordings if w}
        if len(distinct) < MIN_WORDINGS:
            problems.append(TemplateProblem(name, f"{len(distinct)} distinct wordings; at least {MIN_WORDINGS}"))
    return problems


def _render_problems(composer: ReplyComposer, account: Account, name: str, lang: str) -> list[TemplateProblem]:
    problems = []
    for variant in range(len(composer.sources[name])):
        for note in (WORST_CASE_NOTE, ""):
            try:
                text = composer.render(name, variant, _worst_case(account, note, name.split("/")[1]))
            except TemplateRenderError as exc:
                problems.append(TemplateProblem(name, str(exc), account.code, lang, variant))
                break
            if not fits_in_post(text):
                weight = weighted_length(text)
                problems.append(
                    TemplateProblem(
                        name,
                        f"{weight} weighted characters with a 15-character handle and a status URL; "
                        f"the limit is {MAX_WEIGHT}",
                        account.code,
                        lang,
                        variant,
                    )
                )
                break
            if not text.startswith(f"@{WORST_CASE_HANDLE} "):
                problems.append(TemplateProblem(name, "must start with '@{{ handle }} '", account.code, lang, variant))
                break
    return problems


def check_templates(composer: ReplyComposer, accounts: Iterable[Account]) -> list[TemplateProblem]:
    """Every problem to fix before the bot may use these templates: unreadable or unused files, fewer than
    three distinct wordings, a missing fall-back, a wording that fails to render, does not address the author
    or is longer than 280 weighted characters with worst-case values. Empty means all is well."""
    accounts = list(accounts)
    expected = set().union(*(_expected_files(a) for a in accounts))
    codes = {a.code for a in accounts}
    problems = [p for p in composer.load_problems if p.template.split("/", 1)[0] in codes]
    problems += _file_problems(composer, expected, codes)
    problems += near_duplicates(composer, accounts)
    for account in accounts:
        checked: set[str] = set()
        for lang in account.languages:
            required = [f"{account.code}/{lang}/{s.value}/{GENERAL}{SUFFIX}" for s in IncidentState]
            required.append(f"{account.code}/{lang}/{ESCALATE}{SUFFIX}")
            for name in required:
                if name not in composer.sources:
                    problems.append(
                        TemplateProblem(
                            name,
                            "missing: every language of an account needs a general.j2 per state and an escalate.j2",
                            account.code,
                            lang,
                        )
                    )
            requests: list[tuple[Action, IncidentState, Category | None, LoginProblem | None]]
            requests = [(Action.ESCALATE, IncidentState.NONE, None, None)]
            requests += [(Action.REPLY, s, c, None) for s in IncidentState for c in (None, *Category)]
            requests += [(Action.REPLY, s, Category.LOGIN, p) for s in IncidentState for p in LoginProblem]
            for action, state, category, problem in requests:
                try:
                    name = composer.resolve(account, lang, action, state, category, problem)
                except TemplateMissing as exc:
                    problems.append(TemplateProblem(f"{account.code}/{lang}", str(exc), account.code, lang))
                    continue
                if name not in checked:
                    checked.add(name)
                    problems.extend(_render_problems(composer, account, name, lang))
            problems.extend(_opt_out_problems(composer, account, lang, sorted(checked)))
    return problems


MAX_HINT = 40
"""Weighted characters an opt-out hint may take: it is added to a first reply, whatever the wording."""


def _opt_out_problems(
    composer: ReplyComposer, account: Account, lang: str, replies: list[str]
) -> list[TemplateProblem]:
    """The opt-out hint exists, is one short line, and every reply file has a wording with room for it."""
    name = f"{account.code}/{lang}/{OPT_OUT}{SUFFIX}"
    if name not in composer.sources:
        why = "missing: every language of an account needs an opt-out.j2 (X: users must be able to opt out)"
        return [TemplateProblem(name, why, account.code, lang)]
    problems, hints = [], []
    signature = {"signature": clean_text(account.signature_for(lang))}
    for variant in range(len(composer.sources[name])):
        try:
            hint = composer.render(name, variant, signature)
        except TemplateRenderError as exc:
            problems.append(TemplateProblem(name, str(exc), account.code, lang, variant))
            continue
        if hint.startswith("@") or "\n" in hint or weighted_length(hint) > MAX_HINT:
            why = f"must be one line of at most {MAX_HINT} weighted characters that does not start with @"
            problems.append(TemplateProblem(name, why, account.code, lang, variant))
        hints.append(hint)
    if problems or not hints:
        return problems
    longest = max(hints, key=weighted_length)
    for reply in replies:
        if reply.split("/")[1] != lang:
            continue  # a fall-back to the default language is checked with that language
        texts = []
        for variant in range(len(composer.sources[reply])):
            try:
                texts.append(composer.render(reply, variant, _worst_case(account, "", lang)))
            except TemplateRenderError:
                continue  # reported by the render check
        if texts and not any(fits_in_post(f"{t}\n{longest}") for t in texts):
            room = weighted_length(longest)
            why = f"no wording leaves room for the opt-out hint ({room} weighted), even without the note"
            problems.append(TemplateProblem(reply, why, account.code, lang))
    return problems


def near_duplicates(composer: ReplyComposer, accounts: Iterable[Account]) -> list[TemplateProblem]:
    """Wordings of one account that are the same or nearly the same as another account's, in one language.

    X forbids identical or substantially similar content across accounts, so each country's team writes its
    own words; a copied file with only the signature changed is reported here.
    """
    seen: dict[str, list[tuple[str, int, frozenset[str]]]] = {}  # lang -> (file, wording, shingles)
    problems = []
    for account in accounts:
        mine: dict[str, list[tuple[str, int, frozenset[str]]]] = {}
        for name, wordings in sorted(composer.sources.items()):
            code, lang = name.split("/")[:2]
            if code != account.code or name.endswith(f"/{OPT_OUT}{SUFFIX}"):
                continue
            for i in range(len(wordings)):
                try:
                    text = composer.render(name, i, _worst_case(account, "", lang))
                except TemplateRenderError:
                    continue  # reported by the render check
                grams = shingles(text)
                twin = next(
                    ((n, j, score) for n, j, g in seen.get(lang, []) if (score := near(grams, g)) is not None), None
                )
                if twin:
                    problems.append(
                        TemplateProblem(
                            name,
                            f"near the same as {twin[0]} wording {twin[1] + 1} (overlap {twin[2]:.2f}); X forbids "
                            "the same content across accounts: write it in this country's own words",
                            account.code,
                            lang,
                            i,
                        )
                    )
                mine.setdefault(lang, []).append((name, i, grams))
        for lang, rows in mine.items():
            seen.setdefault(lang, []).extend(rows)
    return problems

"""Placeholder reply composer (replaced by the template engine)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.core.models import Action, Category, IncidentState
from bot.settings import Account


class TemplateError(Exception):
    pass


@dataclass(frozen=True)
class ComposedReply:
    text: str
    template: str
    variant: int
    lang: str


def reference_code(mention_id: str) -> str:
    return "#" + hashlib.sha256(mention_id.encode()).hexdigest()[:6].upper()


class ReplyComposer:
    def __init__(self, templates_dir: Path) -> None:
        self.dir = templates_dir
        self.env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

    def compose(
        self,
        *,
        account: Account,
        lang: str,
        state: IncidentState,
        action: Action,
        category: Category | None,
        author_handle: str,
        mention_id: str,
        note: str = "",
        recent_texts: Collection[str] = (),
        exclude_variants: Collection[int] = (),
    ) -> ComposedReply | None:
        lang = lang if lang in account.languages else account.default_language
        name = "escalate.j2" if action is Action.ESCALATE else "general.j2"
        path = self.dir / account.code / lang / name
        text = self.env.from_string(path.read_text()).render(
            handle=author_handle, ref=reference_code(mention_id), signature=account.signature, note=note
        )
        return ComposedReply(text.strip(), str(path.relative_to(self.dir)), 0, lang)

"""What failed at login, so a reply does not tell a logged-out user about late SMS codes.

A post about login (category ``login``) is read for one of three failures, from the ``[login_problem]`` table
of the lexicon files: the app logged the user out, the code or link never came (or does not work), or signing
in fails. The reply composer then prefers ``<state>/login-<problem>.j2`` and falls back to ``login.j2``.
This reading picks wording only; it is not a feature of the classifier or the learned model.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from bot.core.lexicon import Lexicon, compile_matcher, load_lexicon, phrases_in
from bot.core.normalize import prepare

log = logging.getLogger(__name__)


class LoginProblem(StrEnum):
    """The failure a login complaint describes; the value is the template file's suffix."""

    NO_CODE = "no-code"
    """The OTP, SMS/WhatsApp code or login link does not arrive or is refused."""
    LOGGED_OUT = "logged-out"
    """The app logged the user out by itself."""
    CANNOT_SIGN_IN = "cannot-sign-in"
    """Signing in fails (and neither of the above is said)."""


PRECEDENCE = (LoginProblem.NO_CODE, LoginProblem.LOGGED_OUT, LoginProblem.CANNOT_SIGN_IN)
"""When a post says several ("logged me out and the OTP never came"), the first here is what blocks the user."""

LEXICON_KEYS = {problem.value.replace("-", "_"): problem for problem in LoginProblem}
"""``[login_problem]`` keys in the lexicon files: ``no_code``, ``logged_out``, ``cannot_sign_in``."""


class LoginReader:
    """Reads a post for its :class:`LoginProblem`. Pure after construction; :meth:`read` never raises."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._problems: dict[str, frozenset[LoginProblem]] = {
            phrase: frozenset(LEXICON_KEYS[key] for key in keys) for phrase, keys in lexicon.login_problems.items()
        }
        self._pattern = compile_matcher(self._problems)
        self._fold = lexicon.fold

    @classmethod
    def load(cls, lexicon_dir: Path) -> LoginReader:
        return cls(load_lexicon(lexicon_dir))

    def read(self, text: str) -> LoginProblem | None:
        """The failure the post describes, or None when it names none of them."""
        try:
            found: set[LoginProblem] = set()
            for _start, _end, phrase in phrases_in(self._pattern, prepare(str(text), self._fold)):
                found |= self._problems.get(phrase, frozenset())
        except Exception:  # wording only: a post it cannot read gets the general login reply
            log.exception("login reading failed on a post of %d chars", len(str(text)))
            return None
        return next((p for p in PRECEDENCE if p in found), None)

"""Who asks the bot to stop: "stop", "please stop replying", "jangan balas lagi", "หยุดตอบ", "别再回复"...

X asks that users can opt out of automated replies. The phrases are lexicon data (``[opt_out]`` of each
language file, docs/LEXICON.md): ``whole`` phrases count when they are all the post says (apart from
@handles, links and punctuation: "@ShopeeID stop!"), ``anywhere`` phrases wherever they stand ("the app is
down, and stop replying with bots"). "can't stop crying" is neither. Not a feature of the classifier.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

from bot.core.lexicon import Lexicon, compile_matcher, load_lexicon, phrases_in
from bot.core.normalize import prepare

log = logging.getLogger(__name__)


class OptOutReader:
    """Reads a post for a request to stop replying. Pure after construction; never raises."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._whole = frozenset(lexicon.opt_out.get("whole", ()))
        self._pattern = compile_matcher(lexicon.opt_out.get("anywhere", ()))
        self._fold = lexicon.fold

    @classmethod
    def load(cls, lexicon_dir: Path) -> OptOutReader:
        return cls(load_lexicon(lexicon_dir))

    def asks_to_stop(self, text: str) -> bool:
        try:
            folded = prepare(str(text), self._fold)
            bare = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in folded)
            if " ".join(bare.split()) in self._whole:
                return True
            return next(phrases_in(self._pattern, folded), None) is not None
        except Exception:  # a post it cannot read is not a request to stop
            log.exception("opt-out reading failed on a post of %d chars", len(str(text)))
            return False

"""The reply composer and the templates it reads."""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata
from collections import deque
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet
from twitter_text.regexp.emoji import emoji as emoji_pattern

from bot.core.models import Action, Category, IncidentState
from bot.core.replies import (
    BIDI_CONTROLS,
    MAX_WEIGHT,
    MAY_HOLD_EMOJI,
    REF_ALPHABET,
    UNPOSTABLE,
    WORST_CASE_NOTE,
    ComposedReply,
    NoFreshWording,
    ReplyComposer,
    TemplateMissing,
    TemplateRenderError,
    UnsafeInput,
    reference_code,
    split_wordings,
    weighted_length,
)
from bot.core.template_check import check_templates
from bot.settings import Account, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
STATES = list(IncidentState)
CATEGORIES: list[Category | None] = [None, *Category]
DM_WORDS = ("DM", "私信", "nhắn tin riêng", "tin nhắn riêng")


@pytest.fixture(scope="module")
def config() -> Settings:
    """The shipped accounts, every one with a holding reply so that escalation wordings are rendered too."""
    settings = load_settings(ROOT / "config" / "replybot.toml", {})
    accounts = tuple(dataclasses.replace(a, holding_reply=True) for a in settings.accounts)
    return dataclasses.replace(settings, accounts=accounts)


@pytest.fixture(scope="module")
def composer(config: Settings) -> ReplyComposer:
    return ReplyComposer(config.templates_dir)


@pytest.fixture(scope="module")
def thailand(config: Settings) -> Account:
    return config.account("TH")


def reply(composer: ReplyComposer, account: Account, **kw: object) -> ComposedReply:
    args: dict[str, object] = {
        "account": account,
        "lang": account.default_language,
        "state": IncidentState.NONE,
        "action": Action.REPLY,
        "category": Category.LOGIN,
        "author_handle": "budi_santoso",
        "mention_id": "1622450000000000001",
    }
    args.update(kw)
    out = composer.compose(**args)  # type: ignore[arg-type]
    assert out is not None
    return out


# --- every template, every combination ------------------------------------------------------------


def test_every_template_renders_and_fits_for_every_account_language_state_and_category(
    composer: ReplyComposer, config: Settings
) -> None:
    problems = check_templates(composer, config.accounts)
    assert [str(p) for p in problems] == []


def test_every_combination_composes_a_reply_in_the_requested_language(
    composer: ReplyComposer, config: Settings
) -> None:
    for account in config.accounts:
        for lang, state, category in itertools.product(account.languages, STATES, CATEGORIES):
            out = reply(composer, account, lang=lang, state=state, category=category, note=WORST_CASE_NOTE)
            assert out.lang == lang
            assert out.template.startswith(f"{account.code}/{lang}/{state.value}/")
            assert weighted_length(out.text) <= MAX_WEIGHT


def test_every_template_file_has_at_least_three_distinct_wordings(composer: ReplyComposer) -> None:
    assert len(composer.sources) >= 11 * 19
    for name, wordings in composer.sources.items():
        assert len({" ".join(w.split()) for w in wordings}) >= 3, name


def test_every_escalation_wording_invites_a_dm(composer: ReplyComposer, config: Settings) -> None:
    for account in config.accounts:
        for lang in account.languages:
            for variant in range(3):
                out = reply(
                    composer,
                    account,
                    lang=lang,
                    action=Action.ESCALATE,
                    exclude_variants=[v for v in range(3) if v != variant],
                )
                assert any(word in out.text for word in DM_WORDS), out.text


# --- language and fall-backs ----------------------------------------------------------------------


def test_reply_is_in_the_mentions_language_when_the_account_speaks_it(
    composer: ReplyComposer, thailand: Account
) -> None:
    out = reply(composer, thailand, lang="en", state=IncidentState.INVESTIGATING)
    assert out.lang == "en"
    assert out.template == "TH/en/investigating/login.j2"


def test_reply_falls_back_to_the_accounts_default_language_otherwise(
    composer: ReplyComposer, thailand: Account
) -> None:
    out = reply(composer, thailand, lang="vi", state=IncidentState.INVESTIGATING)
    assert out.lang == "th"
    assert out.template == "TH/th/investigating/login.j2"
    assert "ค่ะ" in out.text


@pytest.mark.parametrize(
    ("code", "x_lang", "expected"), [("ID", "in", "id"), ("PH", "fil", "tl"), ("SG", "zh-cn", "zh")]
)
def test_xs_own_language_codes_are_understood(
    composer: ReplyComposer, config: Settings, code: str, x_lang: str, expected: str
) -> None:
    assert reply(composer, config.account(code), lang=x_lang).lang == expected


def test_a_category_without_its_own_file_uses_the_states_general_wording(
    composer: ReplyComposer, thailand: Account
) -> None:
    out = reply(composer, thailand, state=IncidentState.INVESTIGATING, category=Category.CART)
    assert out.template == "TH/th/investigating/general.j2"
    assert reply(composer, thailand, category=None).template == "TH/th/none/general.j2"


def test_every_reply_addresses_the_author_first(composer: ReplyComposer, thailand: Account) -> None:
    assert reply(composer, thailand, author_handle="Somchai_99").text.startswith("@Somchai_99 ")


# --- incident state -------------------------------------------------------------------------------


def test_changing_the_incident_state_changes_the_reply(composer: ReplyComposer, config: Settings) -> None:
    for account in config.accounts:
        texts = {state: reply(composer, account, state=state).text for state in STATES}
        assert len(set(texts.values())) == len(STATES), account.code


def test_the_operators_note_appears_only_during_an_incident(composer: ReplyComposer, config: Settings) -> None:
    account = config.account("ID")
    note = "https://shopee.co.id/status"
    assert note in reply(composer, account, state=IncidentState.INVESTIGATING, note=note).text
    assert note not in reply(composer, account, state=IncidentState.NONE, note=note).text


def test_a_note_too_long_for_the_post_is_dropped_rather_than_failing_the_reply(
    composer: ReplyComposer, thailand: Account
) -> None:
    note = "status " * 40
    out = reply(composer, thailand, state=IncidentState.MONITORING, note=note)
    assert "status status" not in out.text
    assert weighted_length(out.text) <= MAX_WEIGHT


# --- escalation -----------------------------------------------------------------------------------


def test_holding_reply_is_posted_when_the_account_wants_one(composer: ReplyComposer, thailand: Account) -> None:
    out = reply(composer, thailand, action=Action.ESCALATE)
    assert out.template == "TH/th/escalate.j2"


def test_no_holding_reply_when_the_account_disables_it(composer: ReplyComposer, thailand: Account) -> None:
    quiet = dataclasses.replace(thailand, holding_reply=False)
    out = composer.compose(
        account=quiet,
        lang="th",
        state=IncidentState.INVESTIGATING,
        action=Action.ESCALATE,
        category=Category.WALLET,
        author_handle="somchai",
        mention_id="1",
    )
    assert out is None


def test_ignored_mentions_are_not_composed(composer: ReplyComposer, thailand: Account) -> None:
    with pytest.raises(ValueError):
        reply(composer, thailand, action=Action.IGNORE)


# --- rotation -------------------------------------------------------------------------------------


def test_the_same_mention_always_gets_the_same_reply(composer: ReplyComposer, thailand: Account) -> None:
    assert reply(composer, thailand, mention_id="42") == reply(composer, thailand, mention_id="42")


def test_mentions_spread_over_every_wording(composer: ReplyComposer, thailand: Account) -> None:
    variants = {reply(composer, thailand, mention_id=str(i)).variant for i in range(60)}
    assert variants == {0, 1, 2}


def test_rotation_never_repeats_a_text_within_the_window(composer: ReplyComposer, config: Settings) -> None:
    account, window = config.account("ID"), config.limits.rotation_window
    recent: deque[str] = deque(maxlen=window)
    for i in range(4 * window):
        out = reply(
            composer,
            account,
            mention_id=str(1622450000000000000 + i),
            recent_texts=recent,
            state=IncidentState.INVESTIGATING,
            category=Category.LOGIN,
        )
        assert out.text not in recent
        recent.append(out.text)


def test_a_wording_posted_recently_is_skipped(composer: ReplyComposer, thailand: Account) -> None:
    first = reply(composer, thailand)
    second = reply(composer, thailand, recent_texts=[first.text])
    assert second.variant != first.variant and second.text != first.text


def test_the_caller_can_ask_for_another_wording_after_a_duplicate_refusal(
    composer: ReplyComposer, thailand: Account
) -> None:
    first = reply(composer, thailand)
    again = reply(composer, thailand, exclude_variants={first.variant})
    assert again.variant != first.variant
    with pytest.raises(NoFreshWording):
        reply(composer, thailand, exclude_variants={0, 1, 2})


def test_reference_code_is_short_readable_and_stable() -> None:
    code = reference_code("1622450000000000001")
    assert code == reference_code("1622450000000000001")
    assert re.fullmatch(f"[{REF_ALPHABET}]{{6}}", code)
    assert len({reference_code(str(i)) for i in range(2000)}) >= 1995


def test_the_reply_carries_the_reference_code(composer: ReplyComposer, thailand: Account) -> None:
    assert reference_code("777") in reply(composer, thailand, mention_id="777").text


def test_weighted_length_counts_like_x() -> None:
    assert weighted_length("abc") == 3
    assert weighted_length("您好") == 4
    assert weighted_length("สวัสดีค่ะ") == 9
    assert weighted_length("see https://status.example.com/a/very/long/path/indeed") == 4 + 23


PIECES = st.sampled_from(
    [
        "a",
        "Z",
        "9",
        " ",
        ".",
        "\n",
        "\r\n",
        "#",
        "*",
        "ạ",
        "ế",
        "ก",
        "ค่ะ",
        "您",
        "。",
        "，",
        "、",
        "©",
        "™",
        "1\u20e3",
        "\ufe0f",
        "\u200d",
        "😷",
        "👨\u200d🎤",
        "🇮🇩",
        "❤",
        "https://t.co/x",
        " shopee.co.id/help ",
        "1.2.3.4",
        "end. Next",
        "www.example",
        "例子.中国",
        "a.b",
        "e\u0301",
        "\u2028",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=60).map("".join))
def test_weighted_length_agrees_with_twitter_text_on_any_text(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


def test_unpostable_characters_are_exactly_the_control_characters_but_newline_and_the_bidi_controls() -> None:
    controls = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"} - {"\n"}
    dropped = {chr(c) for c in range(0x110000) if UNPOSTABLE.match(chr(c))}
    assert dropped == controls | BIDI_CONTROLS


def test_no_emoji_hides_in_text_made_only_of_characters_the_fast_count_accepts() -> None:
    plain = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000 and not MAY_HOLD_EMOJI.match(chr(c))]
    assert emoji_pattern.search(" ".join(plain)) is None
    assert emoji_pattern.search("".join(plain)) is None


# --- hostile input --------------------------------------------------------------------------------

HOSTILE_HANDLES = [
    "{{ 7*7 }}",
    "{{7*7}}",
    "@everyone",
    "everyone @here",
    "evil\u202egnp.exe",
    "\u202eabc",
    "a" * 16,
    "spam https://evil.example",
    "ok\nnewline",
    "trailing\n",
    "name\u200b",
]


@pytest.mark.parametrize("handle", HOSTILE_HANDLES)
def test_a_hostile_handle_never_reaches_the_output(composer: ReplyComposer, thailand: Account, handle: str) -> None:
    with pytest.raises(UnsafeInput):
        reply(composer, thailand, author_handle=handle)


def test_an_operators_note_is_printed_literally_without_control_characters(
    composer: ReplyComposer, thailand: Account
) -> None:
    note = "{{ 7*7 }}\u202e\u2066 see\nstatus"
    out = reply(composer, thailand, state=IncidentState.INVESTIGATING, note=note)
    assert "{{ 7*7 }} see status" in out.text
    assert "49" not in out.text
    assert not set(out.text) & BIDI_CONTROLS


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40))
def test_arbitrary_text_as_handle_is_refused_or_is_a_valid_handle(
    composer: ReplyComposer, thailand: Account, text: str
) -> None:
    try:
        out = reply(composer, thailand, author_handle=text)
    except UnsafeInput:
        return
    if text == "":  # X did not say who wrote it: the reply goes without a handle
        assert not out.text.startswith("@")
        return
    assert re.fullmatch(r"[A-Za-z0-9_]{1,15}", text)
    assert out.text.startswith(f"@{text} ")


# --- property: every variant fits -----------------------------------------------------------------

VALID_HANDLES = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    handle=VALID_HANDLES,
    mention_id=st.text(min_size=1, max_size=25),
    code=st.sampled_from(["ID", "TH", "PH", "SG", "MY", "VN"]),
    pick=st.integers(min_value=0, max_value=1),
    state=st.sampled_from(STATES),
    category=st.sampled_from(CATEGORIES),
    escalate=st.booleans(),
    note=st.sampled_from(["", WORST_CASE_NOTE, "https://shopee.sg/status"]),
    variant=st.integers(min_value=0, max_value=2),
)
def test_every_variant_fits_in_a_post_for_any_valid_handle(
    composer: ReplyComposer,
    config: Settings,
    handle: str,
    mention_id: str,
    code: str,
    pick: int,
    state: IncidentState,
    category: Category | None,
    escalate: bool,
    note: str,
    variant: int,
) -> None:
    account = config.account(code)
    lang = account.languages[pick % len(account.languages)]
    out = reply(
        composer,
        account,
        lang=lang,
        state=state,
        category=category,
        author_handle=handle,
        mention_id=mention_id,
        note=note,
        action=Action.ESCALATE if escalate else Action.REPLY,
        exclude_variants={v for v in range(3) if v != variant},
    )
    assert out.variant == variant
    assert weighted_length(out.text) <= MAX_WEIGHT
    assert out.text.startswith(f"@{handle} ")
    assert not set(out.text) & BIDI_CONTROLS


# --- the check reports what a support lead must fix -----------------------------------------------


@pytest.fixture
def tiny_account() -> Account:
    return Account(
        code="XX",
        handle="ShopeeXX",
        country="Testland",
        languages=("en",),
        default_language="en",
        timezone="UTC",
        signature="- Team",
    )


def write(root: Path, name: str, *wordings: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n---\n".join(wordings), encoding="utf-8")


def fine(n: int) -> list[str]:
    return [f"@{{{{ handle }}}} Sorry, wording {i}. Ref: {{{{ ref }}}} {{{{ signature }}}}" for i in range(n)]


def test_check_reports_missing_short_broken_overlong_and_unused_templates(
    tmp_path: Path, tiny_account: Account
) -> None:
    write(tmp_path, "XX/en/escalate.j2", *fine(3))
    write(tmp_path, "XX/en/none/general.j2", *fine(2))
    write(tmp_path, "XX/en/investigating/general.j2", *fine(2), "@{{ handle }} {% if %}")
    write(tmp_path, "XX/en/monitoring/general.j2", *fine(2), "@{{ handle }} {{ customer_name }}")
    write(tmp_path, "XX/en/monitoring/login.j2", *fine(2), "@{{ handle }} " + "x" * 270)
    write(tmp_path, "XX/en/monitoring/logn.j2", *fine(3))
    write(tmp_path, "XX/en/monitoring/cart.j2", *fine(2), "Hi {{ handle }}")
    problems = [str(p) for p in check_templates(ReplyComposer(tmp_path), [tiny_account])]

    def reported(name: str, words: str) -> bool:
        return any(p.startswith(name) and words in p for p in problems)

    assert reported("XX/en/resolved/general.j2", "missing")
    assert reported("XX/en/none/general.j2", "2 distinct wordings")
    assert reported("XX/en/investigating/general.j2", "syntax error")
    assert reported("XX/en/monitoring/general.j2 wording 3", "customer_name")
    assert reported("XX/en/monitoring/login.j2 wording 3", "weighted characters")
    assert reported("XX/en/monitoring/logn.j2", "not used")
    assert reported("XX/en/monitoring/cart.j2 wording 3", "must start with")


def test_compose_names_the_problem_when_a_template_is_missing_or_broken(tmp_path: Path, tiny_account: Account) -> None:
    write(tmp_path, "XX/en/none/general.j2", *fine(2), "@{{ handle }} {{ nope }}")
    composer = ReplyComposer(tmp_path)
    with pytest.raises(TemplateMissing, match=re.escape("XX/en/investigating/general.j2")):
        reply(composer, tiny_account, state=IncidentState.INVESTIGATING)
    with pytest.raises(TemplateRenderError, match="nope"):
        reply(composer, tiny_account, exclude_variants={0, 1})


def test_wordings_are_separated_by_a_line_of_three_dashes() -> None:
    assert split_wordings("one\n---\ntwo --- still two\n---  \nthree\n") == [
        "one",
        "two --- still two",
        "three",
    ]


def test_templates_cannot_reach_python_internals(tmp_path: Path, tiny_account: Account) -> None:
    write(
        tmp_path,
        "XX/en/none/general.j2",
        *fine(2),
        "@{{ handle }} {{ handle.__class__.__mro__[1].__subclasses__() }}",
    )
    with pytest.raises(TemplateRenderError):
        reply(ReplyComposer(tmp_path), tiny_account, exclude_variants={0, 1})


COURIER_WORDS = ("courier", "weight", "kurir", "berat", "น้ำหนัก", "ขนส่ง", "快递", "重量", "cân nặng", "giao hàng")


def test_with_no_incident_a_failing_checkout_is_not_answered_with_courier_rules() -> None:
    """Asked "is the app down? cannot checkout", a support lead checks; she does not list weight limits."""
    files = sorted(ROOT.glob("templates/*/*/none/checkout.j2"))
    assert len(files) >= 11
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        assert not [w for w in COURIER_WORDS if w in text], path


ASKS_FOR_A_SECRET = {
    "en": (r"(send|share|give|tell|reply with|post|provide|type)\s+(us\s+)?(your|the)\s+(otp|password|pin|card number|phone number|email)", r"never|don't|do not|no need|not"),  # noqa: E501
    "id": (r"(kirim|berikan|kasih|bagikan|sebutkan|tulis)(kan)?\s+(kode otp|otp|kata sandi|password|pin|nomor kartu|nomor hp)", r"jangan|tidak perlu|tak perlu|gak perlu|tidak usah"),  # noqa: E501
    "ms": (r"(hantar|berikan|kongsi|beritahu|tulis)(kan)?\s+(kod otp|otp|kata laluan|pin|nombor kad)", r"jangan|tak perlu|tidak perlu"),  # noqa: E501
    "tl": (r"(ibigay|i-send|isend|send|sabihin|i-share|ishare|share|i-post)\s+(ang\s+|mo\s+|ninyo\s+|your\s+)?(otp|password|pin)", r"huwag|wag|never|don't"),  # noqa: E501
    "th": (r"(ส่ง|แจ้ง|บอก|แชร์)\s*(รหัส\s*otp|otp|รหัสผ่าน)", r"อย่า|ห้าม|ไม่ต้อง"),
    "vi": (r"((cung cấp|chia sẻ)\s+(mã otp|otp|mật khẩu)|gửi\s+cho\s+\w+(\s\w+)?\s+(mã otp|otp|mật khẩu))", r"đừng|không|tuyệt đối"),  # noqa: E501
    "zh": (r"(发送|提供|告诉|回复|分享)(验证码|密码)", r"不要|切勿|请勿|别|勿"),
}  # fmt: skip


def test_no_wording_asks_for_a_secret_in_public() -> None:
    """X and the support leads: never ask for an OTP, password, PIN or card in public. A wording may name one
    only to say never to share it (a negation just before the request)."""
    for path in sorted(ROOT.glob("templates/*/*/**/*.j2")):
        lang = path.relative_to(ROOT / "templates").parts[1]
        ask, negation = ASKS_FOR_A_SECRET[lang]
        for wording in split_wordings(path.read_text(encoding="utf-8")):
            text = wording.lower()
            for found in re.finditer(ask, text):
                before = text[max(0, found.start() - 25) : found.start()]
                assert re.search(negation, before), (path, found.group(0), wording)


def test_the_secret_check_catches_a_request() -> None:
    ask, negation = ASKS_FOR_A_SECRET["en"]
    found = re.search(ask, "@x please send us your otp so we can check")
    assert found and not re.search(negation, "@x please ")

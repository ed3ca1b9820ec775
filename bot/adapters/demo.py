"""The demo feed: a scripted replay of the 6 February 2023 outage across the country accounts.

Each scripted mention carries what a careful support agent would want done with it, so the demo doubles as
an end-to-end test of classifier, policy and templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.adapters.mock import MockPlatform
from bot.core.models import IncidentState
from bot.settings import Settings


@dataclass(frozen=True)
class Scripted:
    account: str
    author: str
    text: str
    expect: str
    """Expected action: reply, escalate or ignore."""
    category: str | None = None
    lang: str | None = None
    minutes_ago: int = 8
    """Written this long before the demo starts: within the 15-minute freshness window, so it is answered."""


SCENARIO: tuple[Scripted, ...] = (
    # Indonesia: users logged out by themselves, login links via WhatsApp fail, wallet-balance panic.
    Scripted("ID", "rinaa_ps", "kok tiba2 ke logout sendiri sih, login lagi gabisa 😭", "reply", "login", "in"),
    # "masuk" is also "credited": a money word, so the model's reply goes to a human to confirm
    Scripted("ID", "bagas_dw", "link login lewat WhatsApp ga masuk2, udh minta 3x", "review", "login"),
    Scripted("ID", "dewi_lestari88", "aplikasinya error terus, ga bisa dibuka sama sekali", "reply", "outage", "in"),
    Scripted(
        "ID",
        "mas_tono",
        "saldo ShopeePay aku hilang 500rb habis ke-logout sendiri!! tolong dicek",
        "escalate",
        "wallet",
        "in",
    ),
    Scripted("ID", "putri_ayu", "min kapan flash sale 12.12 mulai?", "ignore", None, "in"),
    Scripted("ID", "andika_r", "makasih min paketnya udah sampe, cepet banget 👍", "ignore", None, "in"),
    # Thailand
    Scripted("TH", "ploy_sk", "แอปล่มหรือเปล่าคะ เข้าไม่ได้เลย", "reply", "outage", "th"),
    Scripted("TH", "nattapong_k", "โดนเด้งออกจากระบบเอง ล็อกอินใหม่ก็ไม่ได้ครับ", "reply", "login", "th"),
    Scripted("TH", "mint_cha", "สแกน QR จ่ายเงินไม่ได้ค่ะ ขึ้นว่าทำรายการไม่สำเร็จ", "reply", "scan", "th"),
    Scripted("TH", "beam_tw", "ขอบคุณค่ะ ตอนนี้ใช้ได้แล้ว", "ignore", None, "th"),
    # Philippines
    Scripted("PH", "jas_delacruz", "bakit ako na-logout bigla? can't log in na ulit huhu", "reply", "login", "tl"),
    Scripted(
        "PH",
        "migs_ramos",
        "checkout keeps failing with 'something went wrong', can't place my order",
        "reply",
        "checkout",
    ),
    Scripted("PH", "bea_santos", "ang ganda ng deals ngayon, thank you Shopee!", "ignore", None, "tl"),
    # Singapore
    Scripted("SG", "weiling_t", "is the app down? pages not loading at all", "reply", "outage", "en"),
    Scripted("SG", "darren_ong", "chat messages to the seller won't send, stuck on sending", "reply", "chat", "en"),
    Scripted(
        "SG",
        "kumar_s",
        "my ShopeePay top up was deducted from my bank but never credited. where is my money?",
        "escalate",
        "wallet",
        "en",
    ),
    Scripted("SG", "xiaoming_l", "购物车里的商品删不掉，一直显示错误", "reply", "cart", "zh"),
    Scripted("SG", "jolene_k", "lazada is down again lol, good thing you guys are fine", "ignore", None, "en"),
    # Malaysia
    Scripted("MY", "aina_z", "tak boleh top up ShopeePay, asyik gagal je", "reply", "wallet", "ms"),
    Scripted("MY", "hafiz_m", "bila nak ada voucher free shipping lagi?", "ignore", None, "ms"),
    # Vietnam
    Scripted("VN", "minh_anh", "app shopee bị lỗi à, không đăng nhập được", "reply", "login", "vi"),
    Scripted("VN", "thu_trang", "ví ShopeePay không hiện số dư luôn", "reply", "wallet", "vi"),
)


# Where each country stood that morning; the replies follow the declared state.
INCIDENTS: dict[str, tuple[IncidentState, str]] = {
    "ID": (IncidentState.INVESTIGATING, ""),
    "TH": (IncidentState.INVESTIGATING, ""),
    "PH": (IncidentState.RESOLVED, ""),
    "SG": (IncidentState.MONITORING, ""),
    "MY": (IncidentState.NONE, ""),
    "VN": (IncidentState.INVESTIGATING, ""),
}


def demo_platforms(settings: Settings, now: datetime) -> dict[str, MockPlatform]:
    """One in-memory platform per configured account, filled with that account's share of the scenario."""
    platforms = {a.code: MockPlatform(handle=a.handle, account=a.code) for a in settings.accounts}
    for item in SCENARIO:
        platform = platforms.get(item.account)
        if platform is not None:
            platform.add_mention(
                item.text,
                item.author,
                lang=item.lang,
                created_at=now - timedelta(minutes=item.minutes_ago),
            )
    return platforms

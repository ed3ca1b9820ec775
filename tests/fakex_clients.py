"""Helpers for the fake X tests: real tweepy clients routed to a local FakeX, and admin calls."""

from __future__ import annotations

from typing import Any

import requests
import tweepy

from bot.adapters.x_session import RoutedSession, Timeout

CONSUMER_SECRET = "consumer-secret-never-logged"
TOKEN_SECRET = "token-secret-never-logged"


def oauth_client(url: str, handle: str, timeout: Timeout = (2.0, 5.0)) -> tweepy.Client:
    """OAuth 1.0a user context, as the bot runs it: the access token ``fake:<handle>`` names the account."""
    client = tweepy.Client(
        consumer_key="fake-consumer-key",
        consumer_secret=CONSUMER_SECRET,
        access_token=f"fake:{handle}",
        access_token_secret=TOKEN_SECRET,
    )
    client.session = RoutedSession(url, timeout)
    return client


def bearer_client(url: str, handle: str, timeout: Timeout = (2.0, 5.0)) -> tweepy.Client:
    client = tweepy.Client(bearer_token=f"fake:{handle}")
    client.session = RoutedSession(url, timeout)
    return client


def admin_post(url: str, path: str, payload: Any) -> Any:
    response = requests.post(f"{url}/_admin/{path}", json=payload, timeout=5)
    response.raise_for_status()
    return response.json()


def admin_get(url: str, path: str) -> Any:
    response = requests.get(f"{url}/_admin/{path}", timeout=5)
    response.raise_for_status()
    return response.json()


def mention(to: str, text: str, author: str = "budi", **extra: Any) -> dict[str, Any]:
    return {"to": to, "text": text, "author": author, **extra}

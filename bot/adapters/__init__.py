"""Adapters: the X API (tweepy), the in-memory mock client, the demo feed, the dry-run publisher, SQLite."""

"""replybot: answers outage complaints on X, once, in the customer's language."""

__version__ = "0.1.0"

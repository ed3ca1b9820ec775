"""The support team's web console: the incident, the queue and the numbers in one page (``replybot web``)."""

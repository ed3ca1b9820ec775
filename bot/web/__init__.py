"""The support team's web console (``replybot web``): overview, incident control, the queue and a mention's page,
replies and the audit trail; one module of routes per page (``routes_*``), shared parts in ``console``."""

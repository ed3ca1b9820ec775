"""The pure core: models, classifier, policy and reply composer. No I/O here."""

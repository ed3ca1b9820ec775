"""The learned classifier: hashed n-gram features, linear models in numpy, the lexicon as guardrail.

- ``features``: a post as hashed feature buckets (no stored vocabulary);
- ``linear``: the model files (weights, calibration) and prediction, numpy only;
- ``decide``: the operating point (thresholds) and the rule that turns probabilities into an action;
- ``learned``: the classifier the bot runs, ``classify(text, lang) -> Verdict``;
- ``data``: labelled rows in the corpus format; ``train`` and ``evaluate``: fitting and honest scoring
  (scikit-learn, a training-only extra); ``card``: the model card.
"""

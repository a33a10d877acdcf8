"""Next-best-action: an action catalogue, guardrails, a contextual bandit, rewards from events.

`nba.service.NextBestActionService` decides; `nba.learning.update` learns from the exposure
log (`nba.exposures`) and conversions (`nba.rewards`); the catalogue format is in
`nba.catalogue`, the rule language in `nba.rules`, the features in `nba.features`.
"""

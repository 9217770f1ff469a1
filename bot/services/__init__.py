"""Use cases: keyword-only, typed results, no Slack imports, domain errors."""

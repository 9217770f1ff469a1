"""The product's own vocabulary, free of Slack, HTTP and storage: domain errors, the
permission table, `/seats` commands, durations, the account file's schema and the clock."""

"""Everything that talks to Slack's Web API."""

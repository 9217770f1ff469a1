"""The one delivery path for messages to anyone but the person clicking:
an outbox row in the same transaction as the change, then a sender."""

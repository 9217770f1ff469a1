"""The one delivery path for messages to anyone but the person clicking: use cases
queue an outbox row in the same transaction as the change (`bot.services.outbox`);
the sender here renders and posts it, once."""

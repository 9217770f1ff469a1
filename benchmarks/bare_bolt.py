"""The baseline: a synchronous Bolt app that only acknowledges, behind waitress.

``python -m benchmarks.bare_bolt --port P --threads N``, with ``SLACK_SIGNING_SECRET``,
``SLACK_BOT_TOKEN`` and ``SLACK_API_URL`` from the environment. It verifies the
signature and dispatches through Bolt exactly like any Bolt app, then acks with an
empty body: the cost of the serving stack alone, which seatbot's figures are divided by.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

EVERYTHING = re.compile(".*")


def _ack(ack: Ack) -> None:
    ack()


def create_app(signing_secret: str, *, token: str, api_url: str) -> App:
    # Like any single-workspace Bolt app: its token is checked once (auth.test, cached)
    # against the same Slack stand-in seatbot talks to; nothing else reaches the Web API.
    # process_before_response=True as in seatbot (bot/runtime/app.py): the listener runs on the
    # request thread, so the ack is not delayed by Bolt's default 10 ms ack polling and
    # the ratio measures seatbot's own work.
    client = WebClient(token=token, base_url=api_url)
    app = App(
        signing_secret=signing_secret,
        client=client,
        token_verification_enabled=False,
        process_before_response=True,
    )
    app.command(EVERYTHING)(_ack)
    app.action(EVERYTHING)(_ack)
    app.view(EVERYTHING)(_ack)
    return app


def wsgi(app: App) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    handler = SlackRequestHandler(app)

    def serve_request(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return handler(environ, start_response)

    return serve_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    app = create_app(
        os.environ["SLACK_SIGNING_SECRET"],
        token=os.environ["SLACK_BOT_TOKEN"],
        api_url=os.environ["SLACK_API_URL"],
    )
    serve(wsgi(app), host=args.host, port=args.port, threads=args.threads, ident="bare-bolt")


if __name__ == "__main__":
    main()

"""The baselines: a synchronous Bolt app behind waitress that only acknowledges, or
that also answers every request with a fixed reply.

``python -m benchmarks.bare_bolt --port P --threads N [--answer]``, with
``SLACK_SIGNING_SECRET``, ``SLACK_BOT_TOKEN`` and ``SLACK_API_URL`` from the environment.
It verifies the signature and dispatches through Bolt exactly like any Bolt app, then
acks with an empty body: the cost of the serving stack alone, which seatbot's ack
figures are divided by. With ``--answer`` it then answers each request as seatbot does
(the same Web API method, after the ack, on four workers like ``seatbot serve``) with
a small fixed reply and no database: the floor of an answered request on this machine,
which seatbot's answer figures are divided by.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

EVERYTHING = re.compile(".*")


REPLY_BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Support*: 5 of 10 seats in use"}}]
REPLY_VIEW = {
    "type": "modal",
    "callback_id": "bare",
    "title": {"type": "plain_text", "text": "Seats"},
    "blocks": REPLY_BLOCKS,
}


def _ack(ack: Ack) -> None:
    ack()


def _answering(client: WebClient) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    """Listeners that ack, then answer on a pool as seatbot does: the summary through the
    command's response_url, a modal with views.open, a keystroke or a submission with
    views.update, a click on a message with chat.update."""
    workers = ThreadPoolExecutor(4, thread_name_prefix="answer")

    def command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        if str(body.get("text") or "").strip():
            workers.submit(client.views_open, trigger_id=body["trigger_id"], view=REPLY_VIEW)
        else:
            workers.submit(respond, text="Seats", blocks=REPLY_BLOCKS, response_type="ephemeral")

    def action(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        if body.get("view"):
            workers.submit(client.views_update, view_id=body["view"]["id"], view=REPLY_VIEW)
        else:
            where = body["container"]
            workers.submit(
                client.chat_update,
                channel=where["channel_id"],
                ts=where["message_ts"],
                text="Seats",
                blocks=REPLY_BLOCKS,
            )

    def view(ack: Ack, body: dict[str, Any]) -> None:
        ack(response_action="update", view=REPLY_VIEW)
        workers.submit(client.views_update, view_id=body["view"]["id"], view=REPLY_VIEW)

    return command, action, view


def create_app(signing_secret: str, *, token: str, api_url: str, answer: bool = False) -> App:
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
    command, action, view = _answering(client) if answer else (_ack, _ack, _ack)
    app.command(EVERYTHING)(command)
    app.action(EVERYTHING)(action)
    app.view(EVERYTHING)(view)
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
    parser.add_argument("--answer", action="store_true", help="also answer, with a fixed reply")
    args = parser.parse_args()
    app = create_app(
        os.environ["SLACK_SIGNING_SECRET"],
        token=os.environ["SLACK_BOT_TOKEN"],
        api_url=os.environ["SLACK_API_URL"],
        answer=args.answer,
    )
    serve(wsgi(app), host=args.host, port=args.port, threads=args.threads, ident="bare-bolt")


if __name__ == "__main__":
    main()

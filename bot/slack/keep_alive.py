"""Keep-alive connections to Slack for every Web API call and response_url post.

slack_sdk's clients and Bolt's `respond` open a new connection (and, in production, a new
TLS session) for every call: two or three round trips to Slack before the request is even
sent, and a handshake's CPU, on every answer. They all go through `urllib.request.urlopen`,
which uses the process's installed opener when no SSL context is given; `install()` makes
that opener send through one urllib3 pool, where a connection is reused while it lives.

What a call sees is unchanged: the same response object, `HTTPError` for a 4xx/5xx, and the
same connection errors, which slack_sdk's retry handlers and the outbox sender already
handle. Nothing is retried here: a post that may have landed is never sent twice by this
layer. A pooled connection the server has closed is noticed before use and replaced.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import urllib.error
import urllib.request
import urllib.response
from http.client import HTTPMessage
from typing import IO, Any, cast
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError

logger = logging.getLogger(__name__)

CONNECTIONS_PER_HOST = 32  # kept idle per Slack host; more may open at once, the rest are closed
SLACK_HOSTS = 10  # hosts (slack.com, hooks.slack.com, a stand-in…) with a pool each

_lock = threading.Lock()
_installed: urllib.request.OpenerDirector | None = None
_pool: urllib3.PoolManager | None = None


class _PooledHandler(urllib.request.BaseHandler):
    """Opens http(s) URLs through a shared urllib3 pool instead of a fresh connection."""

    handler_order = 100  # before urllib's own HTTP(S) handlers, which then never run

    def __init__(self, pool: urllib3.PoolManager) -> None:
        self._pool = pool

    def http_open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        return self._send(req)

    https_open = http_open

    def _send(self, req: urllib.request.Request) -> urllib.response.addinfourl:
        timeout: Any = getattr(req, "timeout", None)
        if not isinstance(timeout, int | float):  # urllib's "no timeout given" sentinel
            timeout = socket.getdefaulttimeout()
        reply = send(
            self._pool,
            req.full_url,
            body=cast(bytes | None, req.data),  # bytes from slack_sdk; never a file
            headers={name.title(): value for name, value in req.header_items()},  # as urllib sends
            timeout=timeout,
            method=req.get_method(),
        )
        headers = HTTPMessage()
        for name, value in reply.headers.items():
            headers[name] = value
        body: IO[bytes] = io.BytesIO(reply.data)
        answer = urllib.response.addinfourl(body, headers, req.full_url, reply.status)
        answer.msg = reply.reason or ""  # type: ignore[attr-defined]  # urllib's error path reads it
        return answer


def send(
    pool: urllib3.PoolManager,
    url: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float | None,
    method: str = "POST",
) -> urllib3.BaseHTTPResponse:
    """One call, read whole, never retried nor redirected here, failing as urllib would
    (`URLError`, `TimeoutError`, a connection reset): what slack_sdk and the outbox sender
    already handle."""
    try:
        return request(
            pool,
            method,
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,  # a post that may have landed is the caller's to retry, or not
            redirect=False,  # urllib's redirect handler still sees a 3xx
            preload_content=True,  # read whole: the connection goes back at once
            decode_content=False,  # bytes as urllib would hand them
        )
    except (NewConnectionError, ConnectTimeoutError) as exc:
        raise urllib.error.URLError(exc) from exc  # what urllib raises for these
    except ReadTimeoutError as exc:
        raise TimeoutError(str(exc)) from exc
    except ProtocolError as exc:  # cut mid-call: urllib raises the cause itself
        cause = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], Exception) else exc
        raise cause from exc
    except urllib3.exceptions.HTTPError as exc:  # a refused certificate, a bad answer…
        raise urllib.error.URLError(exc) from exc  # as urllib would: slack_sdk retries these


def request(pool: urllib3.PoolManager, method: str, url: str, **options: Any) -> urllib3.BaseHTTPResponse:
    """`pool.request(method, url, **options)` on the host's connections, found once: the
    pool manager's own lookup parsed each URL twice, about a tenth of a call's CPU."""
    parts = urlsplit(url)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    host = _host_pool(pool, parts.scheme, parts.netloc, url)
    return host.urlopen(method, target or "/", assert_same_host=False, **options)


_hosts: dict[tuple[str, str], tuple[urllib3.PoolManager, urllib3.HTTPConnectionPool]] = {}


def _host_pool(pool: urllib3.PoolManager, scheme: str, netloc: str, url: str) -> urllib3.HTTPConnectionPool:
    """urllib3 2 never closes a host's connections when its manager lets the host go for
    another, so one kept here stays usable."""
    kept = _hosts.get((scheme, netloc))
    if kept is not None and kept[0] is pool:
        return kept[1]
    found = pool.connection_from_url(url)
    if len(_hosts) >= SLACK_HOSTS:
        _hosts.clear()  # tests' stand-ins come and go; Slack is two hosts
    _hosts[(scheme, netloc)] = (pool, found)
    return found


def install() -> bool:
    """Route the process's urllib calls to Slack through keep-alive connections, once.

    Not when a proxy is configured in the environment (urllib's default opener honours
    it; this pool would not): then calls go as before. Returns whether the pool is in use.
    """
    global _installed, _pool
    with _lock:
        if _installed is not None:
            return True
        if urllib.request.getproxies():
            logger.info("keep-alive connections to Slack off: a proxy is configured")
            return False
        quiet = logging.getLogger("urllib3")
        if quiet.level == logging.NOTSET:  # a line per call at DEBUG: slack_sdk logs the calls
            quiet.setLevel(logging.INFO)
        _pool = urllib3.PoolManager(num_pools=SLACK_HOSTS, maxsize=CONNECTIONS_PER_HOST, block=False)
        _installed = urllib.request.build_opener(_PooledHandler(_pool))
        urllib.request.install_opener(_installed)
        return True


def pool() -> urllib3.PoolManager | None:
    """The pool `install()` put in place, for callers that skip urllib's opener (None
    when it is not in use: before `install()`, or with a proxy)."""
    return _pool

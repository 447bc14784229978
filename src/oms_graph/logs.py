"""Structured logs: one JSON object per line on stderr, carrying the id of the work it belongs to (the HTTP
request's `request_id`, or a worker's broker `message_id`), with API keys, passwords and bearer tokens
scrubbed from everything written."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Awaitable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# ("request_id", "…") while an HTTP request or WebSocket is served, ("message_id", "…") while a worker runs a
# message; None otherwise (start-up, background loops).
WORK: ContextVar[tuple[str, str] | None] = ContextVar("oms_work", default=None)

REQUEST_ID_HEADER = "x-request-id"
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_SECRETS = (
    (re.compile(r"oms_[A-Za-z0-9_-]{8,}"), "oms_***"),  # API keys
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1***"),
    (re.compile(r"(://[^:/@\s\"]+:)[^@\s\"]+@"), r"\1***@"),  # user:password@ in URLs
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+"), r"\1***"),  # the whole header value
    (re.compile(r"(?i)((?:password|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"), r"\1***"),
)


def scrub(text: str) -> str:
    """`text` without API keys, bearer tokens, URL passwords and `password=`/`secret:` values."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def request_id(offered: str | None) -> str:
    """The client's X-Request-Id when it is a plain short token, else a new one."""
    if offered and _GOOD_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(8)


class JsonLines(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"|"message_id", "error"}`, scrubbed; access lines
    add "client", "method", "path" and "status"."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _, status = record.args
            entry.update(client=client, method=method, path=scrub(str(path)), status=status)
        work = WORK.get()
        if work is not None:
            entry[work[0]] = work[1]
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["error"] = scrub(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str) -> dict[str, Any]:
    """A logging.config.dictConfig for the API (uvicorn's loggers included) and the workers."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level.upper()}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq")
        },
    }


class RequestIds:
    """ASGI middleware: every HTTP request and WebSocket runs with a request id (the client's X-Request-Id
    when it sends a usable one), which its log lines carry and HTTP responses echo in X-Request-Id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        # The app's own awaitable where nothing is wrapped: a WebSocket keeps no frame of this alive for
        # its whole life (ten thousand idle subscribers).
        if scope["type"] not in ("http", "websocket"):
            return self.app(scope, receive, send)  # type: ignore[no-any-return]
        offered = next((v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID_HEADER.encode()), None)
        rid = request_id(offered)
        if scope["type"] == "websocket":  # its own task: the id stays with it; no response headers to add
            WORK.set(("request_id", rid))
            return self.app(scope, receive, send)  # type: ignore[no-any-return]
        return self._http(scope, receive, send, rid)

    async def _http(self, scope: Any, receive: Any, send: Any, rid: str) -> None:
        token = WORK.set(("request_id", rid))

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_id)
        # Not in a `finally`: when the app fails, the server's own error line still carries the id (the
        # server runs each request in a task of its own, so the id goes no further).
        WORK.reset(token)

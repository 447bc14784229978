"""Structured log lines: JSON, with the id of the work they belong to, and no secrets."""

from __future__ import annotations

import io
import json
import logging
import threading

import dramatiq

from oms_graph.logs import WORK, JsonLines, request_id, scrub
from oms_graph.tasks.broker import build_broker

KEY = "oms_Zk3v9XqL0aB7cD2eF4gH6iJ8kL0mN2oP4qR6sT8uV0w"


def capture(name: str) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, out


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_scrub_removes_api_keys_bearer_tokens_url_passwords_and_secret_values():
    text = (
        f"key {KEY} header Bearer abc.def-ghi url postgresql+asyncpg://oms:hunter2@db:5432/oms "
        'password=swordfish {"secret": "s3cr3t"} authorization: Basic dXNlcjpwYXNz'
    )
    cleaned = scrub(text)
    for secret in (KEY, "abc.def-ghi", "hunter2", "swordfish", "s3cr3t", "dXNlcjpwYXNz"):
        assert secret not in cleaned
    assert "postgresql+asyncpg://oms:***@db:5432/oms" in cleaned
    assert "oms_***" in cleaned


def test_a_line_is_one_json_object_with_the_request_id_of_its_work():
    logger, out = capture("oms.test.request")
    logger.info("outside any request")
    token = WORK.set(("request_id", "r-1"))
    try:
        logger.warning("placing %s", "an order")
    finally:
        WORK.reset(token)
    first, second = lines(out)
    assert "request_id" not in first
    assert second["request_id"] == "r-1"
    assert second["level"] == "WARNING" and second["message"] == "placing an order"
    assert second["logger"] == "oms.test.request" and second["time"].endswith("+00:00")


def test_errors_are_logged_with_their_traceback_scrubbed():
    logger, out = capture("oms.test.error")
    try:
        raise RuntimeError(f"gateway refused {KEY}")
    except RuntimeError:
        logger.exception("charge failed for key %s", KEY)
    (entry,) = lines(out)
    assert "RuntimeError: gateway refused oms_***" in entry["error"]
    assert KEY not in out.getvalue()


def test_a_client_request_id_is_kept_only_when_it_is_a_short_plain_token():
    assert request_id("abc-123.x_y") == "abc-123.x_y"
    for bad in (None, "", "a" * 65, "two words", "line\nbreak", '{"json": 1}'):
        made = request_id(bad)
        assert made != bad and len(made) == 16
    assert request_id(None) != request_id(None)


def test_lines_written_while_a_worker_runs_a_message_carry_its_message_id():
    broker = build_broker(None)
    logger, out = capture("oms.test.actor")
    done = threading.Event()

    @dramatiq.actor(broker=broker, actor_name="logs.say")
    def say(text: str) -> None:
        logger.info(text)
        done.set()

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)  # stops in a tenth of a second
    worker.start()
    try:
        message = say.send("hello")
        assert done.wait(10)
        broker.join(say.queue_name)
    finally:
        worker.stop()
    (entry,) = lines(out)
    assert entry["message"] == "hello"
    assert entry["message_id"] == message.message_id

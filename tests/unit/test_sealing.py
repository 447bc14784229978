"""Secrets at rest: sealed with the first configured key, named by its id, opened by any configured key."""

from __future__ import annotations

import pytest

from oms_graph.adapters import sealing


def ring(*ids: str, keys: dict[str, str]) -> sealing.KeyRing:
    return sealing.parse_keys(",".join(f"{i}={keys[i]}" for i in ids))


KEYS = {"k1": sealing.new_key(), "k2": sealing.new_key()}


def test_a_sealed_secret_holds_no_trace_of_it_and_opens_again():
    keys = ring("k1", keys=KEYS)
    sealed = keys.seal("whsec-0123456789abcdef")
    assert sealed.startswith("sealed:k1:") and "0123456789" not in sealed
    assert keys.open(sealed) == "whsec-0123456789abcdef"
    assert keys.seal("same") != keys.seal("same")  # a fresh token each time


def test_after_a_rotation_the_old_key_opens_and_the_new_one_seals():
    old = ring("k1", keys=KEYS).seal("s3cret-value-long-enough")
    rotated = ring("k2", "k1", keys=KEYS)
    assert rotated.open(old) == "s3cret-value-long-enough"
    assert not rotated.sealed_with_current(old)
    assert rotated.seal("x").startswith("sealed:k2:")


def test_a_secret_sealed_with_a_key_no_longer_configured_says_which():
    sealed = ring("k1", keys=KEYS).seal("value")
    with pytest.raises(sealing.SealingError, match="'k1'"):
        ring("k2", keys=KEYS).open(sealed)
    forged = sealed[:-4] + "AAAA"
    with pytest.raises(sealing.SealingError, match="does not open"):
        ring("k1", keys=KEYS).open(forged)


@pytest.mark.parametrize(
    "text", ["", "nokey", "k1=short", "a:b=" + KEYS["k1"]], ids=["empty", "no pair", "bad key", "colon in id"]
)
def test_a_malformed_key_setting_is_refused(text):
    with pytest.raises(sealing.SealingError):
        sealing.parse_keys(text)


def test_processes_starting_together_share_the_key_file(tmp_path):
    path = tmp_path / "oms-secret.key"
    first = sealing._file_key(path)
    assert sealing._file_key(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["oms-secret.key"]  # no draft left behind

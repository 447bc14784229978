"""What text from outside may hold: the one rule for every string a caller sends (codes, names, notes,
addresses, ids), whichever field it lands in. Fields add their own shape (a code's pattern, a length)."""

from __future__ import annotations

import re

MAX_TEXT = 10_000  # characters in any one string; fields keep their own, smaller limits
# C0 controls but tab, line feed and carriage return; DEL; C1 controls; lone surrogates (which no database
# encodes), and the byte-order mark.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")


def text_problem(value: str) -> str | None:
    """Why the string may not be taken, or None when it may."""
    if len(value) > MAX_TEXT:
        return f"at most {MAX_TEXT} characters"
    found = _FORBIDDEN.search(value)
    if found is not None:
        return f"holds a control character (U+{ord(found.group()):04X} at position {found.start()})"
    return None

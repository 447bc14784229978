"""Message templates: the text a customer gets, with placeholders filled in the customer's language.

A template is plain text with two kinds of placeholder:
- `{name}`: a value of the event (PLACEHOLDERS); the money ones (MONEY) are written as money in the language
  (`12,50 €`, `1 390,50 ₽`, `€12.50`);
- `{units|one=товар|few=товара|many=товаров|other=товара}`: the word for a number (a numeric placeholder) in
  the language's plural form (CLDR: one, two, few, many, zero, other); `other` is required, as every
  language has it.
Nothing else is evaluated: a template edited by an ADMIN is checked when it is saved (unknown placeholders,
unknown plural forms, unbalanced braces) and filled by this module alone, never by str.format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from oms_graph.domain.errors import ErrorCode, ErrorList

PLACEHOLDERS = frozenset(
    {
        "number",
        "name",
        "currency",
        "amount",
        "total",
        "tracking",
        "expires",
        "ready_by",
        "pickup_code",
        "location",
        "units",
    }
)
MONEY = frozenset({"amount", "total"})  # written as money, in the order's currency
COUNTS = frozenset({"units"})  # numbers a plural form can follow
FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})
LANGUAGES = frozenset({"en", "de", "ru"})  # the languages the built-in templates are written in
MAX_SUBJECT, MAX_BODY = 300, 5000

_TOKEN = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Plural:
    count: str
    forms: dict[str, str]


def _tokens(text: str) -> list[str | tuple[str, Plural | None]]:
    """The text as literal parts and placeholders ((name, plural or None)); ValueError on a bad brace."""
    parts: list[str | tuple[str, Plural | None]] = []
    at = 0
    for found in _TOKEN.finditer(text):
        literal = text[at : found.start()]
        if "{" in literal or "}" in literal:
            raise ValueError("a brace that opens or closes no placeholder")
        parts.append(literal)
        inner = found.group(1).strip()
        name, _, rest = inner.partition("|")
        plural = None
        if rest:
            forms = dict(option.partition("=")[::2] for option in rest.split("|"))
            plural = Plural(name.strip(), {k.strip(): v for k, v in forms.items()})
        parts.append((name.strip(), plural))
        at = found.end()
    tail = text[at:]
    if "{" in tail or "}" in tail:
        raise ValueError("a brace that opens or closes no placeholder")
    parts.append(tail)
    return parts


def placeholders(text: str) -> set[str]:
    """The names a template's placeholders use."""
    return {token[0] for token in _tokens(text) if not isinstance(token, str)}


def check_template(errors: ErrorList, *, language: str, subject: str, body: str, path: Sequence[str | int]) -> None:
    """A template that can be filled: a known language, sizes, and only known placeholders and plural forms."""
    if not _locale(language):
        errors.add(ErrorCode.INVALID_INPUT, [*path, "language"], f"no language {language!r} (e.g. en, de, ru)")
    for field, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        where = [*path, field]
        if not text.strip() or len(text) > limit:
            errors.add(ErrorCode.INVALID_INPUT, where, f"must be 1 to {limit} characters")
            continue
        try:
            tokens = _tokens(text)
        except ValueError as problem:
            errors.add(ErrorCode.INVALID_INPUT, where, str(problem))
            continue
        for token in tokens:
            if isinstance(token, str):
                continue
            name, plural = token
            if name not in PLACEHOLDERS:
                errors.add(
                    ErrorCode.INVALID_INPUT, where, f"no placeholder {{{name}}} ({', '.join(sorted(PLACEHOLDERS))})"
                )
            elif plural is not None and name not in COUNTS:
                errors.add(ErrorCode.INVALID_INPUT, where, f"{{{name}}} is no number to take a plural form")
            elif plural is not None and (set(plural.forms) - FORMS or "other" not in plural.forms):
                errors.add(
                    ErrorCode.INVALID_INPUT, where, f"plural forms are {', '.join(sorted(FORMS))}, with other always"
                )


def fill(text: str, values: Mapping[str, Any], *, language: str, currency: str) -> str:
    """The text with its placeholders filled in the language (a missing value: empty)."""
    locale = _locale(language) or Locale("en")
    out: list[str] = []
    for token in _tokens(text):
        if isinstance(token, str):
            out.append(token)
            continue
        name, plural = token
        value = values.get(name)
        if plural is not None:
            form = locale.plural_form(_number(value) or 0)
            out.append(plural.forms.get(form, plural.forms.get("other", "")))
        elif value is None or value == "":
            out.append("")
        elif name in MONEY and (amount := _number(value)) is not None:
            out.append(format_currency(amount, currency, locale=locale))
        else:
            out.append(str(value))
    return "".join(out)


def _number(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except InvalidOperation:
        return None


def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language) if language and language.replace("_", "").isalpha() else None
    except (ValueError, UnknownLocaleError):
        return None

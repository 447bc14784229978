"""Message templates: placeholders filled in the customer's language (money, plural forms by CLDR), and a
template that could do anything else refused when it is saved."""

from __future__ import annotations

import pytest

from oms_graph.domain.errors import ErrorList
from oms_graph.domain.messages import check_template, fill

ITEMS_RU = "{units} {units|one=товар|few=товара|many=товаров|other=товара}"


@pytest.mark.parametrize(
    ("units", "said"),
    [(1, "1 товар"), (2, "2 товара"), (5, "5 товаров"), (11, "11 товаров"), (21, "21 товар"), (24, "24 товара")],
)
def test_russian_counts_take_their_plural_form(units, said):
    assert fill(ITEMS_RU, {"units": units}, language="ru", currency="RUB") == said


def test_english_has_one_and_other():
    text = "{units} {units|one=item|other=items}"
    assert [fill(text, {"units": n}, language="en", currency="EUR") for n in (1, 2, 0)] == [
        "1 item",
        "2 items",
        "0 items",
    ]


@pytest.mark.parametrize(
    ("language", "currency", "written"),
    [("ru", "RUB", "1\xa0390,50\xa0₽"), ("de", "EUR", "1.390,50\xa0€"), ("en", "EUR", "€1,390.50")],
)
def test_money_is_written_as_the_language_writes_it(language, currency, written):
    assert fill("{amount}", {"amount": "1390.5"}, language=language, currency=currency) == written


def test_a_missing_value_is_left_empty_and_text_stays_as_written():
    assert fill("Hi {name}, order {number}.", {"number": "W-1"}, language="en", currency="EUR") == "Hi , order W-1."


def problems(subject: str, body: str, language: str = "ru") -> list[str]:
    errors = ErrorList()
    check_template(errors, language=language, subject=subject, body=body, path=["input"])
    return [f"{'.'.join(e.field or ())}: {e.message}" for e in errors.errors]


def test_a_good_template_passes():
    assert problems("Заказ {number}", f"Здравствуйте, {{name}}! {ITEMS_RU} на {{total}}.") == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{name.__class__}", "no placeholder"),  # no attribute access: only known names
        ("{secret}", "no placeholder"),
        ("{units|one=товар}", "other always"),
        ("{units|one=a|lots=b|other=c}", "other always"),
        ("{name|one=a|other=b}", "no number"),
        ("a } brace", "brace"),
        ("{{number}}", "brace"),
    ],
)
def test_a_template_that_could_do_anything_else_is_refused(body, problem):
    (found,) = problems("Заказ {number}", body)
    assert found.startswith("input.body:") and problem in found


def test_an_unknown_language_and_an_empty_subject_are_refused():
    assert [p.split(":")[0] for p in problems(" ", "ok", language="xx-nope")] == ["input.language", "input.subject"]

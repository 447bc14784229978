"""Every customer message exists in English, German and Russian, each with the same placeholders."""

from __future__ import annotations

from oms_graph.domain.messages import placeholders
from oms_graph.domain.notifications import TEMPLATES, render


def test_every_event_is_written_in_each_language_with_the_same_placeholders():
    for event, texts in TEMPLATES.items():
        assert set(texts) == {"en", "de", "ru"}, event
        english = [placeholders(part) for part in texts["en"]]
        for language in ("de", "ru"):
            assert [placeholders(part) for part in texts[language]] == english, (event, language)


def test_a_russian_message_is_rendered_in_russian():
    message = render("FULFILMENT_SHIPPED", "ru", {"number": "WEB-000042", "name": "Иван", "tracking": "1106207000"})
    assert message.subject == "Ваш заказ WEB-000042 в пути"
    assert message.body.startswith("Здравствуйте, Иван!") and "1106207000" in message.body

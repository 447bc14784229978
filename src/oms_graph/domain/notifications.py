"""Customer messages: which events a customer hears about, and what they say, per language (English, German,
Russian)."""
# ruff: noqa: E501  (message texts read best unbroken)

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from oms_graph.domain import messages
from oms_graph.domain.events import EventType


class Medium(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # no sender configured for its medium


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


DEFAULT_LANGUAGE = "en"
# event type -> language -> (subject, body); placeholders come from `values` in render().
TEMPLATES: dict[EventType, dict[str, tuple[str, str]]] = {
    EventType.ORDER_PLACED: {
        "en": (
            "Your order {number}",
            "Hello {name},\n\nthank you for your order {number} of {units} {units|one=item|other=items}. We will let you know when it is on its way.",
        ),
        "de": (
            "Ihre Bestellung {number}",
            "Hallo {name},\n\nvielen Dank für Ihre Bestellung {number} über {units} {units|one=Artikel|other=Artikel}. Wir melden uns, sobald sie unterwegs ist.",
        ),
        "ru": (
            "Ваш заказ {number}",
            "Здравствуйте, {name}!\n\nСпасибо за ваш заказ {number}: {units} {units|one=товар|few=товара|many=товаров|other=товара}. Мы сообщим, когда он будет в пути.",
        ),
    },
    EventType.ORDER_EDITED: {
        "en": (
            "Your order {number} was changed",
            "Hello {name},\n\nyour order {number} was changed as you asked. Its new total is {total}.",
        ),
        "de": (
            "Ihre Bestellung {number} wurde geändert",
            "Hallo {name},\n\nIhre Bestellung {number} wurde wie gewünscht geändert. Der neue Gesamtbetrag ist {total}.",
        ),
        "ru": (
            "Ваш заказ {number} изменён",
            "Здравствуйте, {name}!\n\nВаш заказ {number} изменён по вашей просьбе. Новая сумма заказа: {total}.",
        ),
    },
    EventType.ORDER_BACKORDERED: {
        "en": (
            "Your order {number} is delayed",
            "Hello {name},\n\nsome items of your order {number} are out of stock right now. We will send them as soon as they arrive.",
        ),
        "de": (
            "Ihre Bestellung {number} verzögert sich",
            "Hallo {name},\n\neinige Artikel Ihrer Bestellung {number} sind gerade nicht vorrätig. Wir senden sie, sobald sie eintreffen.",
        ),
        "ru": (
            "Ваш заказ {number} задерживается",
            "Здравствуйте, {name}!\n\nНекоторых товаров из вашего заказа {number} сейчас нет в наличии. Мы отправим их, как только они поступят.",
        ),
    },
    EventType.FULFILMENT_READY_FOR_PICKUP: {
        "en": (
            "Your order {number} is ready for pickup",
            "Hello {name},\n\nyour order {number} is waiting for you at {location} until {expires}.\nShow this pickup code at the counter: {pickup_code}",
        ),
        "de": (
            "Ihre Bestellung {number} liegt zur Abholung bereit",
            "Hallo {name},\n\nIhre Bestellung {number} liegt bis {expires} für Sie in {location} bereit.\nNennen Sie an der Kasse diesen Abholcode: {pickup_code}",
        ),
        "ru": (
            "Ваш заказ {number} готов к выдаче",
            "Здравствуйте, {name}!\n\nВаш заказ {number} ждёт вас в {location} до {expires}.\nНазовите на кассе код получения: {pickup_code}",
        ),
    },
    EventType.PICKUP_DELAYED: {
        "en": (
            "Your order {number} will be ready later",
            "Hello {name},\n\nsome items of your order {number} are on their way to {location} from another of our locations. Your order will be ready for pickup by {ready_by}; we will tell you when it is.",
        ),
        "de": (
            "Ihre Bestellung {number} ist später abholbereit",
            "Hallo {name},\n\neinige Artikel Ihrer Bestellung {number} sind aus einem anderen unserer Standorte auf dem Weg nach {location}. Ihre Bestellung liegt bis {ready_by} zur Abholung bereit; wir melden uns, sobald es so weit ist.",
        ),
        "ru": (
            "Ваш заказ {number} будет готов позже",
            "Здравствуйте, {name}!\n\nЧасть товаров из вашего заказа {number} едет в {location} из другого нашего магазина или склада. Заказ будет готов к выдаче к {ready_by}; мы сообщим, когда он будет готов.",
        ),
    },
    EventType.FULFILMENT_SHIPPED: {
        "en": (
            "Your order {number} is on its way",
            "Hello {name},\n\nyour parcel of order {number} has left us. Tracking number: {tracking}",
        ),
        "de": (
            "Ihre Bestellung {number} ist unterwegs",
            "Hallo {name},\n\nIhr Paket zur Bestellung {number} ist unterwegs. Sendungsnummer: {tracking}",
        ),
        "ru": (
            "Ваш заказ {number} в пути",
            "Здравствуйте, {name}!\n\nПосылка с вашим заказом {number} отправлена. Номер для отслеживания: {tracking}",
        ),
    },
    EventType.FULFILMENT_DELIVERED: {
        "en": (
            "Your order {number} was delivered",
            "Hello {name},\n\nyour parcel of order {number} was delivered. Enjoy!",
        ),
        "de": (
            "Ihre Bestellung {number} wurde zugestellt",
            "Hallo {name},\n\nIhr Paket zur Bestellung {number} wurde zugestellt. Viel Freude damit!",
        ),
        "ru": (
            "Ваш заказ {number} доставлен",
            "Здравствуйте, {name}!\n\nПосылка с вашим заказом {number} доставлена. Приятных покупок!",
        ),
    },
    EventType.PAYMENT_REFUNDED: {
        "en": (
            "Refund for your order {number}",
            "Hello {name},\n\nwe refunded {amount} for your order {number}.",
        ),
        "de": (
            "Erstattung zu Ihrer Bestellung {number}",
            "Hallo {name},\n\nwir haben {amount} zu Ihrer Bestellung {number} erstattet.",
        ),
        "ru": (
            "Возврат денег по заказу {number}",
            "Здравствуйте, {name}!\n\nМы вернули {amount} по вашему заказу {number}.",
        ),
    },
}


def notified(event_type: str) -> bool:
    return event_type in TEMPLATES


def built_in(event_type: str, language: str) -> tuple[str, str]:
    """The template oms-graph ships for an event in a language (English when it has no such translation)."""
    texts = TEMPLATES[EventType(event_type)]
    return texts.get(language) or texts[DEFAULT_LANGUAGE]


def render(event_type: str, language: str, values: dict[str, Any], *, texts: tuple[str, str] | None = None) -> Message:
    """The message for an event in a language: `texts` (a template set up as data) or the built-in one,
    filled by the language's rules (domain/messages.py)."""
    subject, body = texts or built_in(event_type, language)
    currency = str(values.get("currency") or "EUR")
    return Message(
        messages.fill(subject, values, language=language, currency=currency),
        messages.fill(body, values, language=language, currency=currency),
    )


def medium_for(customer: dict[str, Any]) -> tuple[Medium, str] | None:
    """Email when the customer gave one, else a text message to their phone, else nothing."""
    if customer.get("email"):
        return Medium.EMAIL, str(customer["email"])
    if customer.get("phone"):
        return Medium.SMS, str(customer["phone"])
    return None

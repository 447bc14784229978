"""Shipping documents as PDF (reportlab): a label per shipment, a packing slip per fulfilment, a handover
manifest per location, carrier and day, and a transfer's manifest (it travels with the goods). Pure
rendering: the caller hands in plain values."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class Address:
    name: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class LabelInfo:
    carrier: str
    service: str | None
    tracking_number: str
    order_number: str
    parcels: int
    weight_grams: int
    sender: Address
    recipient: Address


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class ManifestRow:
    tracking_number: str
    order_number: str
    parcels: int
    weight_grams: int


def label(info: LabelInfo) -> bytes:
    """A 105 × 148 mm label: sender, recipient, parcel count, and the tracking number as Code128."""
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A6)
    pdf.setTitle(f"Label {info.tracking_number}")
    width, height = A6
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(8 * mm, height - 12 * mm, f"{info.carrier.upper()}  {info.service or ''}".strip())
    y = _block(pdf, "From", info.sender, 8 * mm, height - 22 * mm, size=8)
    _block(pdf, "To", info.recipient, 8 * mm, y - 4 * mm, size=12)
    pdf.setFont("Helvetica", 9)
    kg = info.weight_grams / 1000
    pdf.drawString(8 * mm, 42 * mm, f"Order {info.order_number}   {info.parcels} parcel(s)   {kg:.2f} kg")
    barcode = Code128(info.tracking_number, barHeight=18 * mm, barWidth=0.33 * mm)
    barcode.drawOn(pdf, (width - barcode.width) / 2, 18 * mm)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawCentredString(width / 2, 12 * mm, info.tracking_number)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def packing_slip(order_number: str, location: str, recipient: Address, lines: Sequence[SlipLine]) -> bytes:
    """What is in the parcel, for the customer and the packer."""
    with _a4(f"Packing slip, order {order_number}", f"Packed at {location}") as (pdf, y):
        y = _block(pdf, "Deliver to", recipient, 20 * mm, y, size=10)
        _table(pdf, ["SKU", "Item", "Qty"], [[ln.sku, ln.name, str(ln.quantity)] for ln in lines], y - 8 * mm)
    return pdf.document


def manifest(location: str, carrier: str, day: date, rows: Sequence[ManifestRow]) -> bytes:
    """The shipments handed to the carrier's driver at a location on a day, with room for signatures."""
    with _a4(f"Handover manifest: {carrier}", f"{location}, {day.isoformat()}") as (pdf, y):
        table = [[r.tracking_number, r.order_number, str(r.parcels), f"{r.weight_grams / 1000:.2f}"] for r in rows]
        y = _table(pdf, ["Tracking number", "Order", "Parcels", "kg"], table, y)
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(20 * mm, y - 6 * mm, f"{len(rows)} shipment(s), {sum(r.parcels for r in rows)} parcel(s)")
        pdf.setFont("Helvetica", 10)
        pdf.drawString(20 * mm, 40 * mm, "Handed over by: ______________________")
        pdf.drawString(110 * mm, 40 * mm, "Driver: ______________________")
    return pdf.document


@dataclass(frozen=True)
class TransferSheet:
    number: str
    source: Address
    destination: Address
    order_number: str | None  # ship-to-store: the pickup order it serves
    expected: str | None
    lines: tuple[SlipLine, ...]  # the units that leave (picked, else asked for)


def transfer_manifest(sheet: TransferSheet) -> bytes:
    """What a transfer carries, for the driver and the receiving store: both ends, the lines, the number as
    Code128 to scan at receipt, and room to sign at each end."""
    with _a4(f"Transfer {sheet.number}", f"Expected {sheet.expected or '-'}") as (pdf, y):
        _block(pdf, "From", sheet.source, 20 * mm, y, size=10)
        y = _block(pdf, "To", sheet.destination, 110 * mm, y, size=10)
        if sheet.order_number:
            pdf.setFont("Helvetica", 10)
            y -= 8 * mm
            pdf.drawString(20 * mm, y, f"For pickup order {sheet.order_number}")
        rows = [[ln.sku, ln.name, str(ln.quantity)] for ln in sheet.lines]
        y = _table(pdf, ["SKU", "Item", "Qty"], rows, y - 10 * mm)
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(20 * mm, y - 6 * mm, f"{sum(ln.quantity for ln in sheet.lines)} unit(s)")
        barcode = Code128(sheet.number, barHeight=12 * mm, barWidth=0.4 * mm)
        barcode.drawOn(pdf, 20 * mm, 52 * mm)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(20 * mm, 40 * mm, "Sent by: ______________________")
        pdf.drawString(110 * mm, 40 * mm, "Received by: ______________________")
    return pdf.document


class _Document(Canvas):
    document = b""


@contextmanager
def _a4(title: str, subtitle: str) -> Iterator[tuple[_Document, float]]:
    """An A4 page with a title and a subtitle; yields the canvas and where the content starts. The PDF's
    bytes are in `.document` after the block."""
    out = io.BytesIO()
    pdf = _Document(out, pagesize=A4)
    pdf.setTitle(title)
    height = A4[1]
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(20 * mm, height - 25 * mm, title)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(20 * mm, height - 32 * mm, subtitle)
    yield pdf, height - 45 * mm
    pdf.showPage()
    pdf.save()
    pdf.document = out.getvalue()


def _block(pdf: Canvas, title: str, address: Address, x: float, y: float, *, size: int) -> float:
    pdf.setFont("Helvetica", 7)
    pdf.drawString(x, y, title.upper())
    pdf.setFont("Helvetica-Bold", size)
    y -= size * 1.3
    pdf.drawString(x, y, address.name)
    pdf.setFont("Helvetica", size)
    for line in address.lines:
        y -= size * 1.2
        pdf.drawString(x, y, line)
    return y


def _table(pdf: Canvas, header: list[str], rows: list[list[str]], y: float) -> float:
    columns = [20 * mm, 70 * mm, 150 * mm, 175 * mm][: len(header)]
    pdf.setFont("Helvetica-Bold", 10)
    for x, text in zip(columns, header, strict=True):
        pdf.drawString(x, y, text)
    pdf.setFont("Helvetica", 10)
    for row in rows:
        y -= 6 * mm
        if y < 50 * mm:  # a new page, header repeated
            pdf.showPage()
            y = A4[1] - 25 * mm
        for x, text in zip(columns, row, strict=True):
            pdf.drawString(x, y, text[:60])
    return y

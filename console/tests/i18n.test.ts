import { describe, expect, it } from "vitest";
import { i18n, savedLang } from "../src/lib/i18n";

describe("messages", () => {
  it("fills parameters in each language", () => {
    expect(i18n("en").t("placed", { number: "WEB-1" })).toBe("Order WEB-1 placed.");
    expect(i18n("ru").t("placed", { number: "WEB-1" })).toBe("Заказ WEB-1 оформлен.");
    expect(i18n("de").t("placed", { number: "WEB-1" })).toBe("Bestellung WEB-1 aufgegeben.");
  });

  it("chooses Russian plural forms by the count", () => {
    const ru = i18n("ru");
    expect(ru.plural("results", 1)).toBe("1 заказ");
    expect(ru.plural("results", 3)).toBe("3 заказа");
    expect(ru.plural("results", 5)).toBe("5 заказов");
    expect(ru.plural("results", 21)).toBe("21 заказ");
    expect(i18n("en").plural("results", 1)).toBe("1 order");
    expect(i18n("de").plural("results", 2)).toBe("2 Bestellungen");
  });

  it("names grouped values, and shows an unknown one as it is", () => {
    expect(i18n("de").named("stuckKinds", "BACKORDERED")).toBe("Im Rückstand");
    expect(i18n("en").named("rejectReasons", "SOMETHING_NEW")).toBe("SOMETHING_NEW");
  });
});

describe("formats", () => {
  it("writes money in the locale's way", () => {
    const nbsp = /\u00a0|\u202f/g;
    expect(i18n("en").money("1234.5", "EUR")).toBe("€1,234.50");
    expect(i18n("de").money("1234.5", "EUR").replace(nbsp, " ")).toBe("1.234,50 €");
    expect(i18n("ru").money(1234.5, "RUB").replace(nbsp, " ")).toBe("1 234,50 ₽");
  });

  it("writes dates and numbers in the locale's way", () => {
    const day = new Date(Date.UTC(2026, 11, 6, 12));
    expect(i18n("de").date(day)).toBe("06.12.2026");
    expect(
      i18n("ru")
        .number(12345.678, 1)
        .replace(/\u00a0/g, " "),
    ).toBe("12 345,7");
    expect(i18n("en").percent(0.255)).toBe("25.5%");
  });
});

describe("the chosen language", () => {
  it("is the saved one, else the browser's when we have it, else English", () => {
    expect(savedLang({ getItem: () => "ru" }, "de-DE")).toBe("ru");
    expect(savedLang({ getItem: () => null }, "de-AT")).toBe("de");
    expect(savedLang({ getItem: () => null }, "fr-FR")).toBe("en");
    expect(savedLang({ getItem: () => "xx" }, "fr-FR")).toBe("en");
  });
});

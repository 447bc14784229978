import { describe, expect, it } from "vitest";
import { actionsFor, appFor, mayAct, mayOpen, screensFor } from "../src/lib/roles";
import { href, parseHash } from "../src/lib/router";

describe("what a role sees", () => {
  it("gives ADMIN and ANALYST the console, STORE the store app, STOREFRONT the shop", () => {
    expect(appFor("ADMIN")).toBe("console");
    expect(appFor("ANALYST")).toBe("console");
    expect(appFor("STORE")).toBe("store");
    expect(appFor("STOREFRONT")).toBe("storefront");
    expect(screensFor("STORE")).toEqual(["queue", "collect", "returns", "aisle"]);
    expect(screensFor("STOREFRONT")).toEqual(["shop"]);
    expect(screensFor("ANALYST")).toContain("dashboards");
    expect(screensFor("INTEGRATION")).not.toContain("dashboards");
  });

  it("lets only ADMIN and INTEGRATION act on orders", () => {
    expect(mayAct("ADMIN")).toBe(true);
    expect(mayAct("INTEGRATION")).toBe(true);
    expect(mayAct("ANALYST")).toBe(false);
    expect(mayAct("STORE")).toBe(false);
  });

  it("keeps a role out of another app's screens, even by URL", () => {
    expect(mayOpen("STORE", "dashboards")).toBe(false);
    expect(mayOpen("STOREFRONT", "order")).toBe(false);
    expect(mayOpen("ANALYST", "order")).toBe(true);
    expect(mayOpen("ANALYST", "queue")).toBe(false);
  });
});

describe("routes", () => {
  it("round-trips a screen and its parameter through the hash", () => {
    expect(parseHash(href("order", "T3JkZXI6MQ=="))).toEqual({ screen: "order", param: "T3JkZXI6MQ==" });
    expect(parseHash("")).toEqual({ screen: null, param: null });
    expect(parseHash("#/feed")).toEqual({ screen: "feed", param: null });
  });
});

describe("actions on an order", () => {
  it("offers what its status admits", () => {
    expect(actionsFor("PLACED")).toEqual(["hold", "cancel", "cancelLines"]);
    expect(actionsFor("ON_HOLD")).toEqual(["release", "cancel", "cancelLines"]);
    expect(actionsFor("ROUTED")).toEqual(["cancel", "cancelLines"]);
    expect(actionsFor("SHIPPED")).toEqual([]);
    expect(actionsFor("CANCELLED")).toEqual([]);
  });
});

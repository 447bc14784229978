// What each role sees: the screens of its app, and whether it may act or only look.
import type { Role } from "./session";

export type Screen =
  | "feed"
  | "orders"
  | "order"
  | "stuck"
  | "dashboards"
  | "queue"
  | "collect"
  | "returns"
  | "aisle"
  | "shop";

export type App = "console" | "store" | "storefront";

export function appFor(role: Role): App {
  if (role === "STORE") return "store";
  if (role === "STOREFRONT") return "storefront";
  return "console";
}

/** The screens in the role's menu, the first one shown at sign-in ("order" is reached from the others). */
export function screensFor(role: Role): Screen[] {
  switch (appFor(role)) {
    case "store":
      return ["queue", "collect", "returns", "aisle"];
    case "storefront":
      return ["shop"];
    default:
      return role === "INTEGRATION" ? ["feed", "orders", "stuck"] : ["feed", "orders", "stuck", "dashboards"];
  }
}

/** May the role hold, release, cancel and re-route orders (an ANALYST only reads). */
export function mayAct(role: Role): boolean {
  return role === "ADMIN" || role === "INTEGRATION";
}

export function mayOpen(role: Role, screen: Screen): boolean {
  return screensFor(role).includes(screen) || (screen === "order" && appFor(role) === "console");
}

export type OrderAction = "hold" | "release" | "cancel" | "cancelLines";

/** The actions an order's status admits (the server decides; the console offers only these). */
export function actionsFor(status: string): OrderAction[] {
  const actions: OrderAction[] = [];
  if (status === "PLACED" || status === "BACKORDERED") actions.push("hold");
  if (status === "ON_HOLD") actions.push("release");
  if (!["PARTIALLY_SHIPPED", "SHIPPED", "COMPLETED", "CANCELLED"].includes(status)) {
    actions.push("cancel", "cancelLines");
  }
  return actions;
}

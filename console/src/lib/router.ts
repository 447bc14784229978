// Screens by the URL's hash (#/orders, #/order/<id>), so the back button and links work.
import type { Screen } from "./roles";

export interface Route {
  screen: Screen | null;
  param: string | null;
}

export function parseHash(hash: string): Route {
  const [screen, ...rest] = hash.replace(/^#\/?/, "").split("/");
  return {
    screen: (screen || null) as Screen | null,
    param: rest.length ? decodeURIComponent(rest.join("/")) : null,
  };
}

export function href(screen: Screen, param?: string): string {
  return param ? `#/${screen}/${encodeURIComponent(param)}` : `#/${screen}`;
}

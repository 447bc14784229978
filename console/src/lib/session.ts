// The signed-in key lives in this tab's session storage only: never in a URL, gone when the tab closes.

const KEY = "oms-graph.key";

export interface Viewer {
  name: string;
  role: Role;
  channel: string | null;
  location: string | null;
}

export type Role = "ADMIN" | "INTEGRATION" | "STOREFRONT" | "STORE" | "ANALYST";

export const VIEWER = "{ viewer { name role channel location } }";

export function savedKey(storage: Pick<Storage, "getItem"> = sessionStorage): string | null {
  return storage.getItem(KEY);
}

export function saveKey(key: string, storage: Pick<Storage, "setItem"> = sessionStorage): void {
  storage.setItem(KEY, key.trim());
}

export function forgetKey(storage: Pick<Storage, "removeItem"> = sessionStorage): void {
  storage.removeItem(KEY);
}

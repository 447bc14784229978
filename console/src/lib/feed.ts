// The live feed of order events: newest first, each event once, at most `limit` kept.

export interface OrderEvent {
  id: string;
  orderId: string;
  orderNumber: string;
  type: string;
  at: string;
  actor: string | null;
}

export function addEvent(feed: readonly OrderEvent[], event: OrderEvent, limit = 200): OrderEvent[] {
  if (feed.some((e) => e.id === event.id)) return feed as OrderEvent[];
  return [event, ...feed].slice(0, limit);
}

/** Orders placed among the events at or after `since` (the live "orders today" counter). */
export function placedSince(feed: readonly OrderEvent[], since: Date): number {
  return feed.filter((e) => e.type === "ORDER_PLACED" && new Date(e.at) >= since).length;
}

export function startOfDay(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

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

/** Whether an event adds one to the day's count of orders placed: an ORDER_PLACED at or after `since` not
 * counted before (`seen` remembers those counted). */
export function countsAsPlaced(
  event: Pick<OrderEvent, "id" | "type" | "at">,
  since: Date,
  seen: Set<string>,
): boolean {
  if (event.type !== "ORDER_PLACED" || seen.has(event.id) || new Date(event.at) < since) return false;
  seen.add(event.id);
  return true;
}

export function startOfDay(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

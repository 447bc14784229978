// The live count of orders placed today: the count at load, plus each ORDER_PLACED event since.
import { useEffect, useState } from "preact/hooks";
import { useSession } from "../lib/context";
import { countsAsPlaced, startOfDay } from "../lib/feed";
import { follow } from "../lib/live";

const TODAY = `query($since: DateTime!) { orders(filter: {createdAfter: $since}, first: 1) { totalCount } }`;
const PLACED = `subscription { orderEvents { id type at } }`;

export function Today() {
  const { api, live, i18n } = useSession();
  const [count, setCount] = useState<number | null>(null);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const since = startOfDay(new Date());
    const seen = new Set<string>();
    let extra = 0;
    let base: number | null = null;
    const show = () => base !== null && setCount(base + extra);
    const offConnected = live.on("connected", () => setConnected(true));
    const offClosed = live.on("closed", () => setConnected(false));
    const stop = follow<{ orderEvents: { id: string; type: string; at: string } }>(
      live,
      PLACED,
      {},
      ({ orderEvents }) => {
        if (!countsAsPlaced(orderEvents, since, seen)) return;
        extra += 1;
        show();
      },
    );
    api.query<{ orders: { totalCount: number } }>(TODAY, { since: since.toISOString() }).then((data) => {
      base = data.orders.totalCount - extra; // events that arrived first are in the count already
      show();
    });
    return () => {
      stop();
      offConnected();
      offClosed();
    };
  }, [api, live]);
  return (
    <div class="counters">
      <div class="counter" aria-live="polite">
        <span>{i18n.t("ordersToday")}</span>
        <strong data-testid="orders-today">{count === null ? "…" : i18n.number(count)}</strong>
      </div>
      <div class="counter">
        <span class={connected ? "dot on" : "dot"} aria-hidden="true" />
        {connected ? i18n.t("live") : i18n.t("connecting")}
      </div>
    </div>
  );
}

// Sales by channel, region, category and day; store load against capacity; fulfilment times; inventory
// turnover: charts from the analytics query, each with its figures a click away, and the live count today.
import { useCallback } from "preact/hooks";
import { Chart } from "../../components/Chart";
import { Today } from "../../components/Today";
import { Loading, Section } from "../../components/ui";
import { byDay, byDimension, type SalesRow } from "../../lib/charts";
import { useSession } from "../../lib/context";
import { useQuery } from "../../lib/hooks";

const SALES = "channel region category day orders units revenue currency";
const ANALYTICS = `query($from: DateTime!, $to: DateTime!) { analytics {
  channels: sales(from: $from, to: $to, groupBy: [CHANNEL]) { ${SALES} }
  regions: sales(from: $from, to: $to, groupBy: [REGION]) { ${SALES} }
  categories: sales(from: $from, to: $to, groupBy: [CATEGORY]) { ${SALES} }
  days: sales(from: $from, to: $to, groupBy: [DAY]) { ${SALES} }
  storeLoad { location { code } openFulfilments assignedToday capacity utilisation }
  fulfilmentTimes(from: $from, to: $to) { orders p50Hours p90Hours }
  inventoryTurnover(from: $from, to: $to, groupBy: [CATEGORY]) { category unitsSold averageOnHand turnover } } }`;

interface Analytics {
  channels: (SalesRow & { currency: string })[];
  regions: SalesRow[];
  categories: SalesRow[];
  days: SalesRow[];
  storeLoad: {
    location: { code: string };
    openFulfilments: number;
    assignedToday: number;
    capacity: number | null;
    utilisation: number | null;
  }[];
  fulfilmentTimes: { orders: number; p50Hours: number | null; p90Hours: number | null };
  inventoryTurnover: {
    category: string | null;
    unitsSold: number;
    averageOnHand: number;
    turnover: number | null;
  }[];
}

export const DAYS = 30;

export function Dashboards() {
  const { api, i18n } = useSession();
  const to = new Date();
  const from = new Date(to.getTime() - DAYS * 86_400_000);
  const found = useQuery(
    () => api.query<{ analytics: Analytics }>(ANALYTICS, { from: from.toISOString(), to: to.toISOString() }),
    [api],
  );
  const currency = found.data?.analytics.channels[0]?.currency ?? "EUR";
  const money = useCallback((v: number) => i18n.money(v, currency), [i18n, currency]);
  const whole = useCallback((v: number) => i18n.number(v), [i18n]);
  const share = useCallback((v: number) => i18n.percent(v), [i18n]);
  if (!found.data) return <Loading error={found.error} text={i18n.t("loading")} />;
  const a = found.data.analytics;
  const channel = byDimension(a.channels, "channel");
  const region = byDimension(a.regions, "region");
  const category = byDimension(a.categories, "category");
  const [days, revenue] = byDay(a.days, from, to);
  const load = a.storeLoad.filter((s) => s.capacity);
  return (
    <>
      <Today />
      <div class="grid charts">
        <Chart
          title={i18n.t("byChannel")}
          kind="bars"
          labels={channel.labels}
          values={channel.values}
          format={money}
        />
        <Chart
          title={i18n.t("byRegion")}
          kind="bars"
          labels={region.labels}
          values={region.values}
          format={money}
        />
        <Chart
          title={i18n.t("byCategory")}
          kind="bars"
          labels={category.labels}
          values={category.values}
          format={money}
        />
        <Chart title={i18n.t("byDay")} kind="line" labels={days} values={revenue} format={money} />
        <Chart
          title={i18n.t("storeLoad")}
          kind="bars"
          labels={load.map((s) => s.location.code)}
          values={load.map((s) => s.utilisation ?? 0)}
          format={share}
        />
        <Chart
          title={i18n.t("turnover")}
          kind="bars"
          labels={a.inventoryTurnover.map((r) => r.category ?? "—")}
          values={a.inventoryTurnover.map((r) => r.turnover ?? 0)}
          format={(v) => i18n.number(v, 2)}
        />
      </div>
      <Section title={i18n.t("fulfilmentTimes")}>
        <dl class="figures">
          <dt>{i18n.t("orders")}</dt>
          <dd>{whole(a.fulfilmentTimes.orders)}</dd>
          <dt>{i18n.t("p50")}</dt>
          <dd>{a.fulfilmentTimes.p50Hours === null ? "—" : i18n.number(a.fulfilmentTimes.p50Hours, 1)}</dd>
          <dt>{i18n.t("p90")}</dt>
          <dd>{a.fulfilmentTimes.p90Hours === null ? "—" : i18n.number(a.fulfilmentTimes.p90Hours, 1)}</dd>
        </dl>
      </Section>
    </>
  );
}

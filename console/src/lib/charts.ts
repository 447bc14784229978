// Analytics rows shaped for the charts: one series per figure, by a dimension or by day.

export interface SalesRow {
  channel: string | null;
  region: string | null;
  category: string | null;
  day: string | null;
  orders: number;
  units: number;
  revenue: string;
}

export type Dimension = "channel" | "region" | "category";

export interface Bars {
  labels: string[];
  values: number[];
}

export function byDimension(
  rows: readonly SalesRow[],
  dimension: Dimension,
  figure: "revenue" | "orders" = "revenue",
): Bars {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const label = row[dimension] ?? "—";
    totals.set(label, (totals.get(label) ?? 0) + Number(row[figure]));
  }
  const sorted = [...totals].sort((a, b) => b[1] - a[1]);
  return { labels: sorted.map(([l]) => l), values: sorted.map(([, v]) => v) };
}

/** Days as unix seconds (UTC midnight) and revenue, every day of the range present (0 where none sold). */
export function byDay(rows: readonly SalesRow[], from: Date, to: Date): [number[], number[]] {
  const revenue = new Map<string, number>();
  for (const row of rows)
    if (row.day) revenue.set(row.day, (revenue.get(row.day) ?? 0) + Number(row.revenue));
  const xs: number[] = [];
  const ys: number[] = [];
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (day <= to) {
    const iso = day.toISOString().slice(0, 10);
    xs.push(day.getTime() / 1000);
    ys.push(revenue.get(iso) ?? 0);
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return [xs, ys];
}

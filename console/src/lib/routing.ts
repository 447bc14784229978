// The routing explanation: the chosen plan against its alternatives, factor by factor.

export interface Factor {
  name: string;
  value: number;
  weight: number;
}

export interface Plan {
  score: number;
  factors: Factor[];
  allocations: {
    location: { code: string };
    distanceKm: number | null;
    lines: { sku: string; quantity: number }[];
  }[];
}

export interface PlanRow {
  label: "chosen" | "alternative";
  rank: number;
  score: number;
  locations: string[];
  units: number;
  /** Per factor name, its weighted part of the score (value × weight). */
  parts: Record<string, number>;
}

export function factorNames(plans: readonly Plan[]): string[] {
  return [...new Set(plans.flatMap((p) => p.factors.map((f) => f.name)))].sort();
}

export function planRows(chosen: Plan, alternatives: readonly Plan[]): PlanRow[] {
  return [chosen, ...alternatives].map((plan, i) => ({
    label: i === 0 ? "chosen" : "alternative",
    rank: i,
    score: plan.score,
    locations: plan.allocations.map((a) => a.location.code),
    units: plan.allocations.reduce((n, a) => n + a.lines.reduce((m, l) => m + l.quantity, 0), 0),
    parts: Object.fromEntries(plan.factors.map((f) => [f.name, f.value * f.weight])),
  }));
}

/** Bar widths (0..1) of each row's factor parts, against the largest part of that factor over all rows. */
export function relative(rows: readonly PlanRow[], factor: string): number[] {
  const most = Math.max(0, ...rows.map((r) => Math.abs(r.parts[factor] ?? 0)));
  return rows.map((r) => (most === 0 ? 0 : Math.abs(r.parts[factor] ?? 0) / most));
}

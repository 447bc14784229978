// The routing decision drawn: the chosen plan and each alternative, with every factor's weighted part as a bar.
import { useSession } from "../../lib/context";
import { factorNames, type Plan, planRows, relative } from "../../lib/routing";

export function RoutingPlans({ chosen, alternatives }: { chosen: Plan; alternatives: Plan[] }) {
  const { i18n } = useSession();
  const rows = planRows(chosen, alternatives);
  const factors = factorNames([chosen, ...alternatives]);
  const widths = Object.fromEntries(factors.map((f) => [f, relative(rows, f)]));
  return (
    <table class="plans" data-testid="routing-plans">
      <thead>
        <tr>
          <th scope="col">{i18n.t("routing")}</th>
          <th scope="col">{i18n.t("locations")}</th>
          <th scope="col" class="num">
            {i18n.t("units")}
          </th>
          <th scope="col" class="num">
            {i18n.t("score")}
          </th>
          {factors.map((f) => (
            <th key={f} scope="col">
              {f}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={row.rank} class={row.label === "chosen" ? "chosen" : undefined} data-plan={row.label}>
            <th scope="row">
              {row.label === "chosen" ? i18n.t("chosen") : i18n.t("alternative", { rank: row.rank })}
            </th>
            <td>{row.locations.join(", ")}</td>
            <td class="num">{row.units}</td>
            <td class="num">{i18n.number(row.score, 2)}</td>
            {factors.map((f) => (
              <td key={f}>
                <span
                  class="bar"
                  style={{ width: `${Math.round(widths[f][i] * 100)}%` }}
                  aria-hidden="true"
                />
                <span class="bar-value">{i18n.number(row.parts[f] ?? 0, 2)}</span>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// A chart drawn by uPlot (bars or a line), with its figures one click away as a table.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useSession } from "../lib/context";

export interface ChartProps {
  title: string;
  /** x labels (bars) or unix seconds (line) */
  labels: (string | number)[];
  values: number[];
  kind: "bars" | "line";
  format: (value: number) => string;
}

export function Chart(props: ChartProps) {
  const { i18n } = useSession();
  const [table, setTable] = useState(false);
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (table || !holder.current) return;
    const bars = props.kind === "bars";
    const xs = bars ? props.labels.map((_, i) => i) : (props.labels as number[]);
    const plot = new uPlot(
      {
        width: Math.max(280, holder.current.clientWidth || 480),
        height: 220,
        legend: { show: false },
        scales: {
          x: bars ? { time: false, range: [-0.5, props.values.length - 0.5] } : { time: true },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          bars ? { values: (_u, splits) => splits.map((i) => String(props.labels[i] ?? "")), gap: 4 } : {},
          { values: (_u, splits) => splits.map((v) => props.format(v)), size: 90 },
        ],
        series: [
          {},
          {
            label: props.title,
            stroke: "#1f5fa8",
            fill: bars ? "#1f5fa8" : "rgba(31,95,168,0.15)",
            paths: bars ? uPlot.paths.bars?.({ size: [0.6, 60] }) : undefined,
            points: { show: !bars },
          },
        ],
      },
      [xs, props.values],
      holder.current,
    );
    return () => plot.destroy();
  }, [table, props.labels, props.values, props.kind, props.title, props.format]);
  const label = (x: string | number) => (typeof x === "number" ? i18n.date(new Date(x * 1000)) : x);
  return (
    <figure class="chart">
      <figcaption>
        {props.title}
        <button type="button" class="link" aria-pressed={table} onClick={() => setTable(!table)}>
          {table ? i18n.t("hideFigures") : i18n.t("showFigures")}
        </button>
      </figcaption>
      {table ? (
        <table>
          <tbody>
            {props.labels.map((x, i) => (
              <tr key={String(x)}>
                <th scope="row">{label(x)}</th>
                <td class="num">{props.format(props.values[i])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div ref={holder} class="plot" role="img" aria-label={props.title} />
      )}
    </figure>
  );
}

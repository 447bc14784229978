// Returns received at the counter: the order by its number, each requested line counted in and graded.
import { useState } from "preact/hooks";
import { Field, Outcome, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useAction } from "../../lib/hooks";

const FIND = `query($number: String!) { order(number: $number) { id number
  returns { id number status lines { sku quantity quantityReceived } } } }`;
const RECEIVE = `mutation($input: ReceiveReturnInput!) { receiveReturn(input: $input) { errors { code field message } } }`;

interface Found {
  id: string;
  number: string;
  returns: {
    id: string;
    number: string;
    status: string;
    lines: { sku: string; quantity: number; quantityReceived: number }[];
  }[];
}

export function Returns() {
  const { api, viewer, i18n } = useSession();
  const action = useAction();
  const [number, setNumber] = useState("");
  const [order, setOrder] = useState<Found | null>(null);
  const [counts, setCounts] = useState<Record<string, { quantity: number; condition: string }>>({});
  const find = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const data = await api.query<{ order: Found | null }>(FIND, { number: number.trim() });
      setOrder(data.order);
      setCounts({});
      if (!data.order) throw new Error(i18n.t("noOrders"));
    });
  };
  const waiting = order?.returns.filter((r) => r.status === "REQUESTED") ?? [];
  return (
    <Section title={i18n.t("returns")}>
      <form onSubmit={find} class="filters">
        <Field label={i18n.t("orderNumber")}>
          <input
            name="orderNumber"
            value={number}
            onInput={(e) => setNumber((e.target as HTMLInputElement).value)}
          />
        </Field>
        <button type="submit">{i18n.t("find")}</button>
      </form>
      {order && waiting.length === 0 && <p>{i18n.t("noReturns")}</p>}
      {waiting.map((r) => (
        <form
          key={r.id}
          class="card"
          aria-label={r.number}
          onSubmit={async (e) => {
            e.preventDefault();
            const lines = r.lines.map((l) => ({
              sku: l.sku,
              quantity: counts[l.sku]?.quantity ?? l.quantity,
              condition: counts[l.sku]?.condition ?? "SELLABLE",
            }));
            const input = { returnId: r.id, locationCode: viewer.location, lines };
            if (await action.run(() => api.mutate(RECEIVE, { input }), i18n.t("received"))) setOrder(null);
          }}
        >
          <h3>{r.number}</h3>
          {r.lines.map((l) => (
            <fieldset key={l.sku}>
              <legend>{l.sku}</legend>
              <Field label={`${i18n.t("quantity")} / ${l.quantity}`}>
                <input
                  type="number"
                  min={0}
                  max={l.quantity}
                  value={counts[l.sku]?.quantity ?? l.quantity}
                  onInput={(e) =>
                    setCounts({
                      ...counts,
                      [l.sku]: {
                        condition: counts[l.sku]?.condition ?? "SELLABLE",
                        quantity: Number((e.target as HTMLInputElement).value),
                      },
                    })
                  }
                />
              </Field>
              <Field label={i18n.t("condition")}>
                <select
                  value={counts[l.sku]?.condition ?? "SELLABLE"}
                  onChange={(e) =>
                    setCounts({
                      ...counts,
                      [l.sku]: {
                        quantity: counts[l.sku]?.quantity ?? l.quantity,
                        condition: (e.target as HTMLSelectElement).value,
                      },
                    })
                  }
                >
                  {["SELLABLE", "DAMAGED"].map((c) => (
                    <option key={c} value={c}>
                      {i18n.named("conditions", c)}
                    </option>
                  ))}
                </select>
              </Field>
            </fieldset>
          ))}
          <button type="submit" class="big" disabled={action.busy}>
            {i18n.t("receive")}
          </button>
        </form>
      ))}
      <Outcome action={action} />
    </Section>
  );
}

// One fulfilment at the store: accept or reject with a reason; pick line by line (a scanner types a sku or
// EAN into the field); pack with parcels; the label and packing slip; hand to the carrier or ready for pickup.
import { useState } from "preact/hooks";
import { Badge, Field, Outcome } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useAction, useQuery } from "../../lib/hooks";
import { allPicked, lineFor, type PickLine, picked } from "../../lib/scan";

export interface Work {
  id: string;
  status: string;
  method: string;
  createdAt: string;
  order: { number: string; customer: { name: string | null } };
  lines: { sku: string; quantity: number; quantityPicked: number | null }[];
  shipment: { id: string; status: string; labelUrl: string | null; trackingNumber: string | null } | null;
}

const PAYLOAD = "errors { code field message }";
const M = {
  accept: `mutation($id: ID!) { acceptFulfilment(id: $id) { ${PAYLOAD} } }`,
  reject: `mutation($id: ID!, $reason: RejectionReason!) { rejectFulfilment(id: $id, reason: $reason) { ${PAYLOAD} } }`,
  pick: `mutation($id: ID!, $lines: [PickedLineInput!]!) { pickFulfilment(id: $id, lines: $lines) { ${PAYLOAD} } }`,
  pack: `mutation($id: ID!, $parcels: [ParcelInput!]!) { packFulfilment(id: $id, parcels: $parcels) { ${PAYLOAD} } }`,
  ship: `mutation($id: ID!) { shipFulfilment(id: $id) { ${PAYLOAD} } }`,
  ready: `mutation($id: ID!) { markReadyForPickup(id: $id) { ${PAYLOAD} } }`,
};
const PRODUCTS = `query($skus: [String!]) { products(skus: $skus) { sku ean name } }`;
const REASONS = ["OUT_OF_STOCK", "DAMAGED", "NO_CAPACITY", "OTHER"];

export function WorkCard({ work, onDone }: { work: Work; onDone: () => void }) {
  const { api, i18n } = useSession();
  const action = useAction();
  const [reason, setReason] = useState("OUT_OF_STOCK");
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [scan, setScan] = useState("");
  const [unknown, setUnknown] = useState<string | null>(null);
  const [parcels, setParcels] = useState<number[]>([1000]);
  const skus = work.lines.map((l) => l.sku);
  const products = useQuery(
    () => api.query<{ products: { sku: string; ean: string | null; name: string }[] }>(PRODUCTS, { skus }),
    [api, skus.join()],
  );
  const lines: PickLine[] = work.lines.map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    ean: products.data?.products.find((p) => p.sku === l.sku)?.ean ?? null,
  }));
  const call = async (mutation: string, variables: Record<string, unknown> = {}) => {
    if (await action.run(() => api.mutate(mutation, { id: work.id, ...variables }), i18n.t("done"))) onDone();
  };
  const scanned = (e: Event) => {
    e.preventDefault();
    const sku = lineFor(scan, lines);
    setUnknown(sku ? null : i18n.t("unknownCode", { code: scan.trim() }));
    if (sku) setCounts(picked(counts, sku, lines));
    setScan("");
  };
  const label = `${work.order.number} ${work.order.customer.name ?? ""}`;

  return (
    <article class="work card" aria-label={label} data-status={work.status}>
      <h3>
        {work.order.number} <Badge value={work.status} /> <small>{work.method}</small>
      </h3>
      <p>
        {work.order.customer.name} · {i18n.dateTime(work.createdAt)}
      </p>
      {work.status === "ASSIGNED" && (
        <div class="actions">
          <button type="button" class="big" disabled={action.busy} onClick={() => call(M.accept)}>
            {i18n.t("accept")}
          </button>
          <Field label={i18n.t("reason")}>
            <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
              {REASONS.map((r) => (
                <option key={r} value={r}>
                  {i18n.named("rejectReasons", r)}
                </option>
              ))}
            </select>
          </Field>
          <button
            type="button"
            class="danger"
            disabled={action.busy}
            onClick={() => call(M.reject, { reason })}
          >
            {i18n.t("reject")}
          </button>
        </div>
      )}
      {work.status === "ACCEPTED" && (
        <>
          <form onSubmit={scanned}>
            <Field label={i18n.t("scan")}>
              <input
                name="scan"
                autoComplete="off"
                value={scan}
                onInput={(e) => setScan((e.target as HTMLInputElement).value)}
              />
            </Field>
          </form>
          {unknown && (
            <p class="outcome error" role="alert">
              {unknown}
            </p>
          )}
          <table>
            <tbody>
              {lines.map((l) => (
                <tr key={l.sku}>
                  <th scope="row">
                    {l.sku} <small>{products.data?.products.find((p) => p.sku === l.sku)?.name}</small>
                  </th>
                  <td>
                    <Field label={`${i18n.t("picked")} / ${l.quantity}`}>
                      <input
                        type="number"
                        name={`picked-${l.sku}`}
                        min={0}
                        max={l.quantity}
                        value={counts[l.sku] ?? 0}
                        onInput={(e) =>
                          setCounts({ ...counts, [l.sku]: Number((e.target as HTMLInputElement).value) })
                        }
                      />
                    </Field>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button
            type="button"
            class={allPicked(counts, lines) ? "big" : "big secondary"}
            disabled={action.busy}
            onClick={() =>
              call(M.pick, { lines: lines.map((l) => ({ sku: l.sku, quantity: counts[l.sku] ?? 0 })) })
            }
          >
            {i18n.t("pick")}
          </button>
        </>
      )}
      {work.status === "PICKED" && work.method === "DELIVERY" && (
        <fieldset>
          <legend>{i18n.t("parcels")}</legend>
          {parcels.map((grams, i) => (
            <Field key={String(i)} label={`#${i + 1}`}>
              <input
                type="number"
                min={1}
                value={grams}
                onInput={(e) =>
                  setParcels(
                    parcels.map((g, j) => (j === i ? Number((e.target as HTMLInputElement).value) : g)),
                  )
                }
              />
            </Field>
          ))}
          <button type="button" onClick={() => setParcels([...parcels, 1000])}>
            {i18n.t("addParcel")}
          </button>
          <button
            type="button"
            class="big"
            disabled={action.busy}
            onClick={() => call(M.pack, { parcels: parcels.map((weightGrams) => ({ weightGrams })) })}
          >
            {i18n.t("pack")}
          </button>
        </fieldset>
      )}
      {work.status === "PICKED" && work.method === "PICKUP" && (
        <button type="button" class="big" disabled={action.busy} onClick={() => call(M.ready)}>
          {i18n.t("ready")}
        </button>
      )}
      {work.status === "PACKED" && (
        <div class="actions">
          {work.shipment?.labelUrl && (
            <button
              type="button"
              onClick={() => action.run(() => api.openDocument(work.shipment?.labelUrl ?? ""))}
            >
              {i18n.t("label")}
            </button>
          )}
          <button
            type="button"
            onClick={() =>
              action.run(() => api.openDocument(`/documents/fulfilments/${work.id}/packing-slip.pdf`))
            }
          >
            {i18n.t("packingSlip")}
          </button>
          <button type="button" class="big" disabled={action.busy} onClick={() => call(M.ship)}>
            {i18n.t("ship")}
          </button>
        </div>
      )}
      <Outcome action={action} />
    </article>
  );
}

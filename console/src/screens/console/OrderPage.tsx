// One order: its timeline, lines, fulfilments, shipments, payments, returns and routing, kept live
// (orderUpdated); hold, release, cancel, cancel lines and re-route for the roles that may act.
import { useEffect, useState } from "preact/hooks";
import { Badge, Field, Loading, Outcome, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useAction, useQuery } from "../../lib/hooks";
import { follow } from "../../lib/live";
import { actionsFor, mayAct } from "../../lib/roles";
import type { Plan } from "../../lib/routing";
import type { OrderRow } from "./Orders";
import { RoutingPlans } from "./RoutingPlans";

const PLAN = `score factors { name value weight } allocations { distanceKm location { code } lines { sku quantity } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { id number status externalId total subtotal currency createdAt
  channel { code } customer { name email } delivery { method carrier pickupLocation { code } address { line1 city country } }
  lines { sku name quantity unitPrice quantityCancelled quantityShipped quantityReturned }
  fulfilments { id status method location { code } lines { sku quantity quantityPicked }
    shipment { carrier trackingNumber status labelUrl } }
  payments { id kind status amount provider error createdAt }
  returns { id number status refundAmount lines { sku quantity quantityReceived } }
  routing { decidedAt profile chosen { ${PLAN} } alternatives { ${PLAN} } }
  events { id type at actor } } }`;
const UPDATED = `subscription($id: ID!) { orderUpdated(id: $id) { id status } }`;
const HOLD = `mutation($id: ID!, $reason: String!) { holdOrder(id: $id, reason: $reason) { errors { code field message } } }`;
const RELEASE = `mutation($id: ID!) { releaseOrder(id: $id) { errors { code field message } } }`;
const CANCEL = `mutation($id: ID!, $reason: String!) { cancelOrder(id: $id, reason: $reason) { errors { code field message } } }`;
const CANCEL_LINES = `mutation($id: ID!, $lines: [CancelLineInput!]!, $reason: String!) {
  cancelOrderLines(id: $id, lines: $lines, reason: $reason) { errors { code field message } } }`;
const REROUTE = `mutation($id: ID!, $note: String) {
  rejectFulfilment(id: $id, reason: OTHER, note: $note) { errors { code field message } } }`;

interface Line {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: string;
  quantityCancelled: number;
  quantityShipped: number;
  quantityReturned: number;
}
interface Fulfilment {
  id: string;
  status: string;
  method: string;
  location: { code: string };
  lines: { sku: string; quantity: number; quantityPicked: number | null }[];
  shipment: {
    carrier: string;
    trackingNumber: string | null;
    status: string;
    labelUrl: string | null;
  } | null;
}
interface Order extends OrderRow {
  delivery: { method: string; carrier: string | null; pickupLocation: { code: string } | null };
  lines: Line[];
  fulfilments: Fulfilment[];
  payments: {
    id: string;
    kind: string;
    status: string;
    amount: string;
    provider: string;
    error: string | null;
  }[];
  returns: { id: string; number: string; status: string; refundAmount: string }[];
  routing: { decidedAt: string; profile: string; chosen: Plan; alternatives: Plan[] } | null;
  events: { id: string; type: string; at: string; actor: string | null }[];
}

export function OrderPage({ id }: { id: string }) {
  const { api, live, viewer, i18n } = useSession();
  const found = useQuery(() => api.query<{ order: Order | null }>(ORDER, { id }), [api, id]);
  const { reload } = found;
  useEffect(() => follow(live, UPDATED, { id }, () => reload()), [live, id, reload]);
  if (!found.data) return <Loading error={found.error} text={i18n.t("loading")} />;
  const order = found.data.order;
  if (!order) return <p role="alert">{i18n.t("noOrders")}</p>;
  const money = (amount: string) => i18n.money(amount, order.currency);

  return (
    <>
      <h1>
        {i18n.t("order")} {order.number} <Badge value={order.status} />
      </h1>
      <p>
        {order.channel.code} · {order.customer.name ?? ""} {order.customer.email ?? ""} ·{" "}
        {i18n.dateTime(order.createdAt)} · {i18n.t("total")} {money(order.total)}
        {order.externalId ? ` · ${order.externalId}` : ""}
      </p>
      {mayAct(viewer.role) && <Actions order={order} onDone={reload} />}
      <div class="grid">
        <Section title={i18n.t("lines")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{i18n.t("sku")}</th>
                <th scope="col">{i18n.t("name")}</th>
                <th scope="col" class="num">
                  {i18n.t("quantity")}
                </th>
                <th scope="col" class="num">
                  {i18n.t("cancelled")}
                </th>
                <th scope="col" class="num">
                  {i18n.t("shipped")}
                </th>
                <th scope="col" class="num">
                  {i18n.t("price")}
                </th>
              </tr>
            </thead>
            <tbody>
              {order.lines.map((l) => (
                <tr key={l.sku}>
                  <td>{l.sku}</td>
                  <td>{l.name}</td>
                  <td class="num">{l.quantity}</td>
                  <td class="num">{l.quantityCancelled}</td>
                  <td class="num">{l.quantityShipped}</td>
                  <td class="num">{money(l.unitPrice)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title={i18n.t("fulfilments")}>
          {order.fulfilments.map((f) => (
            <div key={f.id} class="fulfilment">
              <strong>{f.location.code}</strong> <Badge value={f.status} /> {f.method}
              <ul>
                {f.lines.map((l) => (
                  <li key={l.sku}>
                    {l.sku} × {l.quantity}
                  </li>
                ))}
              </ul>
              {f.shipment && (
                <p>
                  {i18n.t("shipment")}: {f.shipment.carrier} {f.shipment.trackingNumber ?? ""}{" "}
                  <Badge value={f.shipment.status} />{" "}
                  {f.shipment.labelUrl && <LabelButton url={f.shipment.labelUrl} />}
                </p>
              )}
            </div>
          ))}
        </Section>
        <Section title={i18n.t("payments")}>
          <table>
            <tbody>
              {order.payments.map((p) => (
                <tr key={p.id}>
                  <td>{p.kind}</td>
                  <td>
                    <Badge value={p.status} />
                  </td>
                  <td>{p.provider}</td>
                  <td class="num">{money(p.amount)}</td>
                  <td>{p.error ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title={i18n.t("returns")}>
          <ul>
            {order.returns.map((r) => (
              <li key={r.id}>
                {r.number} <Badge value={r.status} /> {money(r.refundAmount)}
              </li>
            ))}
          </ul>
        </Section>
      </div>
      <Section title={i18n.t("routing")}>
        {order.routing ? (
          <RoutingPlans chosen={order.routing.chosen} alternatives={order.routing.alternatives} />
        ) : (
          <p>{i18n.t("notRouted")}</p>
        )}
      </Section>
      <Section title={i18n.t("timeline")}>
        <ol class="timeline">
          {order.events.map((e) => (
            <li key={e.id}>
              <time dateTime={e.at}>{i18n.dateTime(e.at)}</time> <strong>{e.type}</strong> {e.actor ?? ""}
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}

function Actions({ order, onDone }: { order: Order; onDone: () => void }) {
  const { api, i18n } = useSession();
  const action = useAction();
  const [reason, setReason] = useState("");
  const [cancelled, setCancelled] = useState<Record<string, number>>({});
  const act = async (mutation: string, variables: Record<string, unknown>) => {
    if (await action.run(() => api.mutate(mutation, { id: order.id, ...variables }), i18n.t("done")))
      onDone();
  };
  const why = reason.trim() || "console";
  const lines = Object.entries(cancelled)
    .filter(([, quantity]) => quantity > 0)
    .map(([sku, quantity]) => ({ sku, quantity }));
  const assigned = order.fulfilments.filter((f) => f.status === "ASSIGNED");
  const allowed = actionsFor(order.status);
  if (allowed.length === 0 && assigned.length === 0) return null;
  return (
    <Section title={i18n.t("actions")} id="actions">
      <div class="actions">
        <Field label={i18n.t("reason")}>
          <input
            name="reason"
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
        </Field>
        {order.status === "ON_HOLD" ? (
          <button type="button" disabled={action.busy} onClick={() => act(RELEASE, {})}>
            {i18n.t("release")}
          </button>
        ) : (
          <button type="button" disabled={action.busy} onClick={() => act(HOLD, { reason: why })}>
            {i18n.t("hold")}
          </button>
        )}
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() => act(CANCEL, { reason: why })}
        >
          {i18n.t("cancel")}
        </button>
        {assigned.map((f) => (
          <button
            key={f.id}
            type="button"
            disabled={action.busy}
            onClick={async () => {
              const note = i18n.t("rerouteNote", { location: f.location.code });
              if (await action.run(() => api.mutate(REROUTE, { id: f.id, note }), i18n.t("done"))) onDone();
            }}
          >
            {i18n.t("reroute")} ({f.location.code})
          </button>
        ))}
      </div>
      {allowed.includes("cancelLines") && (
        <fieldset class="cancel-lines">
          <legend>{i18n.t("cancelLines")}</legend>
          {order.lines.map((l) => (
            <Field key={l.sku} label={`${l.sku} (${l.quantity - l.quantityCancelled - l.quantityShipped})`}>
              <input
                type="number"
                min={0}
                max={l.quantity}
                value={cancelled[l.sku] ?? 0}
                onInput={(e) =>
                  setCancelled({ ...cancelled, [l.sku]: Number((e.target as HTMLInputElement).value) })
                }
              />
            </Field>
          ))}
          <button
            type="button"
            disabled={action.busy || lines.length === 0}
            onClick={() => act(CANCEL_LINES, { lines, reason: why })}
          >
            {i18n.t("cancelLines")}
          </button>
        </fieldset>
      )}
      <Outcome action={action} />
    </Section>
  );
}

/** The label opened for printing: fetched with the key (a plain link would carry none). */
function LabelButton({ url }: { url: string }) {
  const { api, i18n } = useSession();
  const action = useAction();
  return (
    <>
      <button type="button" class="link" onClick={() => action.run(() => api.openDocument(url))}>
        {i18n.t("label")}
      </button>
      <Outcome action={action} />
    </>
  );
}

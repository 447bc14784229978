// Pickups ready at the store: the customer says the code, the tablet hands the order over.
import { useState } from "preact/hooks";
import { Field, Loading, Outcome, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useAction, useQuery } from "../../lib/hooks";

const READY = `query($loc: String!) { fulfilments(locationCode: $loc, status: [READY_FOR_PICKUP], first: 50) {
  edges { node { id pickupExpiresAt order { number customer { name } } lines { sku quantity } } } } }`;
const COLLECT = `mutation($id: ID!, $code: String!) { collectFulfilment(id: $id, pickupCode: $code) {
  errors { code field message } } }`;

interface Ready {
  id: string;
  pickupExpiresAt: string | null;
  order: { number: string; customer: { name: string | null } };
  lines: { sku: string; quantity: number }[];
}

export function Collect() {
  const { api, viewer, i18n } = useSession();
  const found = useQuery(
    () => api.query<{ fulfilments: { edges: { node: Ready }[] } }>(READY, { loc: viewer.location }),
    [api, viewer.location],
  );
  if (!found.data) return <Loading error={found.error} text={i18n.t("loading")} />;
  const ready = found.data.fulfilments.edges.map((e) => e.node);
  return (
    <Section title={i18n.t("collect")}>
      {ready.length === 0 ? <p>{i18n.t("emptyQueue")}</p> : null}
      <div class="queue">
        {ready.map((r) => (
          <Handover key={r.id} ready={r} onDone={found.reload} />
        ))}
      </div>
    </Section>
  );
}

function Handover({ ready, onDone }: { ready: Ready; onDone: () => void }) {
  const { api, i18n } = useSession();
  const action = useAction();
  const [code, setCode] = useState("");
  return (
    <form
      class="card work"
      aria-label={ready.order.number}
      onSubmit={async (e) => {
        e.preventDefault();
        const done = await action.run(
          () => api.mutate(COLLECT, { id: ready.id, code: code.trim() }),
          i18n.t("collected"),
        );
        if (done) setTimeout(onDone, 1500);
      }}
    >
      <h3>
        {ready.order.number} · {ready.order.customer.name}
      </h3>
      <ul>
        {ready.lines.map((l) => (
          <li key={l.sku}>
            {l.sku} × {l.quantity}
          </li>
        ))}
      </ul>
      <Field label={i18n.t("pickupCode")}>
        <input
          name="pickupCode"
          autoComplete="off"
          inputMode="text"
          value={code}
          onInput={(e) => setCode((e.target as HTMLInputElement).value)}
        />
      </Field>
      <button type="submit" class="big" disabled={action.busy || !code.trim()}>
        {i18n.t("collectNow")}
      </button>
      <Outcome action={action} />
    </form>
  );
}

// The store's queue, live (fulfilmentUpdated): new assignments announced; each worked from accept to pickup
// or the carrier.
import { useEffect, useState } from "preact/hooks";
import { useSession } from "../../lib/context";
import { useQuery } from "../../lib/hooks";
import { follow } from "../../lib/live";
import { Loading, Section } from "../../components/ui";
import { type Work, WorkCard } from "./WorkCard";

const OPEN = ["ASSIGNED", "ACCEPTED", "PICKED", "PACKED", "READY_FOR_PICKUP"];
const WORK = `id status method createdAt order { number customer { name } } lines { sku quantity quantityPicked }
  shipment { id status labelUrl trackingNumber }`;
const QUEUE = `query($loc: String!, $status: [FulfilmentStatus!]) {
  fulfilments(locationCode: $loc, status: $status, first: 50) { edges { node { ${WORK} } } } }`;
const UPDATED = `subscription($loc: String!) { fulfilmentUpdated(locationCode: $loc) { id status order { number } } }`;

export function Queue() {
  const { api, live, viewer, i18n } = useSession();
  const code = viewer.location ?? "";
  const found = useQuery(
    () => api.query<{ fulfilments: { edges: { node: Work }[] } }>(QUEUE, { loc: code, status: OPEN }),
    [api, code],
  );
  const { reload } = found;
  const [announced, setAnnounced] = useState<string | null>(null);
  useEffect(
    () =>
      follow<{ fulfilmentUpdated: { id: string; status: string; order: { number: string } } }>(
        live,
        UPDATED,
        { loc: code },
        ({ fulfilmentUpdated: f }) => {
          if (f.status === "ASSIGNED") setAnnounced(i18n.t("newAssignment", { number: f.order.number }));
          reload();
        },
      ),
    [live, code, reload, i18n],
  );
  return (
    <>
      <p class="announce" role="status" aria-live="assertive">
        {announced}
      </p>
      <Section title={`${i18n.t("queue")} · ${code}`}>
        {!found.data ? (
          <Loading error={found.error} text={i18n.t("loading")} />
        ) : found.data.fulfilments.edges.length === 0 ? (
          <p>{i18n.t("emptyQueue")}</p>
        ) : (
          <div class="queue">
            {found.data.fulfilments.edges.map(({ node }) => (
              <WorkCard key={node.id} work={node} onDone={reload} />
            ))}
          </div>
        )}
      </Section>
    </>
  );
}

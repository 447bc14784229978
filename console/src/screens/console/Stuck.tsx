// Work waiting on someone, by kind, each order a click away.
import { Loading, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useQuery } from "../../lib/hooks";
import { href } from "../../lib/router";

export const KINDS = ["BACKORDERED", "AT_RISK", "ACCEPT_DUE", "BOOKING_FAILED", "PAYMENT_FAILED"] as const;

const STUCK = `{ ${KINDS.map(
  (kind) =>
    `${kind}: orders(filter: {stuck: ${kind}}, first: 10) { totalCount edges { node { id number status } } }`,
).join("\n")} }`;

type Group = { totalCount: number; edges: { node: { id: string; number: string; status: string } }[] };

export function Stuck() {
  const { api, i18n } = useSession();
  const found = useQuery(() => api.query<Record<(typeof KINDS)[number], Group>>(STUCK), [api]);
  if (!found.data) return <Loading error={found.error} text={i18n.t("loading")} />;
  const data = found.data;
  return (
    <div class="grid">
      {KINDS.map((kind) => (
        <Section
          key={kind}
          title={`${i18n.named("stuckKinds", kind)}: ${i18n.number(data[kind].totalCount)}`}
          id={`stuck-${kind}`}
        >
          {data[kind].edges.length === 0 ? (
            <p>{i18n.t("nothingStuck")}</p>
          ) : (
            <ul>
              {data[kind].edges.map(({ node }) => (
                <li key={node.id}>
                  <a href={href("order", node.id)}>{node.number}</a> {node.status}
                </li>
              ))}
            </ul>
          )}
        </Section>
      ))}
    </div>
  );
}

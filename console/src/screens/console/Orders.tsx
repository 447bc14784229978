// Order search: by number, external id, customer email, status, channel, location and dates.
import { useState } from "preact/hooks";
import { Badge, Field, Loading, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useQuery } from "../../lib/hooks";
import { href } from "../../lib/router";

export const STATUSES = [
  "PLACED",
  "ON_HOLD",
  "BACKORDERED",
  "AWAITING_SUPPLY",
  "ROUTED",
  "IN_FULFILMENT",
  "PARTIALLY_SHIPPED",
  "SHIPPED",
  "READY_FOR_PICKUP",
  "COMPLETED",
  "CANCELLED",
];

const SEARCH = `query($filter: OrderFilter) { orders(filter: $filter, first: 50) { totalCount
  edges { node { id number status externalId total currency createdAt channel { code } customer { email name } } } } }`;
const CHOICES = `{ channels { code name } locations { code name } }`;

/** An order as the search lists it (the order page reads these and more). */
export interface OrderRow {
  id: string;
  number: string;
  status: string;
  externalId: string | null;
  total: string;
  currency: string;
  createdAt: string;
  channel: { code: string };
  customer: { email: string | null; name: string | null };
}

type Form = Record<
  "number" | "externalId" | "customerEmail" | "status" | "channel" | "locationCode" | "from" | "to",
  string
>;
const EMPTY: Form = {
  number: "",
  externalId: "",
  customerEmail: "",
  status: "",
  channel: "",
  locationCode: "",
  from: "",
  to: "",
};

export function filterOf(form: Form): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const name of ["number", "externalId", "customerEmail", "channel", "locationCode"] as const) {
    if (form[name].trim()) filter[name] = form[name].trim();
  }
  if (form.status) filter.status = [form.status];
  if (form.from) filter.createdAfter = new Date(`${form.from}T00:00:00`).toISOString();
  if (form.to)
    filter.createdBefore = new Date(new Date(`${form.to}T00:00:00`).getTime() + 86_400_000).toISOString();
  return filter;
}

export function Orders() {
  const { api, i18n } = useSession();
  const [form, setForm] = useState<Form>(EMPTY);
  const [filter, setFilter] = useState<Record<string, unknown>>({});
  const choices = useQuery(
    () =>
      api.query<{ channels: { code: string; name: string }[]; locations: { code: string; name: string }[] }>(
        CHOICES,
      ),
    [api],
  );
  const found = useQuery(
    () => api.query<{ orders: { totalCount: number; edges: { node: OrderRow }[] } }>(SEARCH, { filter }),
    [api, filter],
  );
  const set = (name: keyof Form) => (e: Event) =>
    setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  const text = (name: keyof Form, label: string, type = "text") => (
    <Field label={label}>
      <input type={type} name={name} value={form[name]} onInput={set(name)} />
    </Field>
  );

  return (
    <>
      <Section title={i18n.t("orders")}>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(filterOf(form));
          }}
        >
          {text("number", i18n.t("number"))}
          {text("externalId", i18n.t("externalId"))}
          {text("customerEmail", i18n.t("email"), "email")}
          <Field label={i18n.t("status")}>
            <select name="status" value={form.status} onChange={set("status")}>
              <option value="">{i18n.t("any")}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
          <Field label={i18n.t("channel")}>
            <select name="channel" value={form.channel} onChange={set("channel")}>
              <option value="">{i18n.t("any")}</option>
              {choices.data?.channels.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label={i18n.t("location")}>
            <select name="locationCode" value={form.locationCode} onChange={set("locationCode")}>
              <option value="">{i18n.t("any")}</option>
              {choices.data?.locations.map((l) => (
                <option key={l.code} value={l.code}>
                  {l.code}
                </option>
              ))}
            </select>
          </Field>
          {text("from", i18n.t("from"), "date")}
          {text("to", i18n.t("to"), "date")}
          <button type="submit">{i18n.t("search")}</button>
        </form>
      </Section>
      <Section
        title={found.data ? i18n.plural("results", found.data.orders.totalCount) : i18n.t("orders")}
        id="results"
      >
        {!found.data ? (
          <Loading error={found.error} text={i18n.t("loading")} />
        ) : found.data.orders.edges.length === 0 ? (
          <p>{i18n.t("noOrders")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{i18n.t("number")}</th>
                <th scope="col">{i18n.t("status")}</th>
                <th scope="col">{i18n.t("channel")}</th>
                <th scope="col">{i18n.t("customer")}</th>
                <th scope="col">{i18n.t("created")}</th>
                <th scope="col" class="num">
                  {i18n.t("total")}
                </th>
              </tr>
            </thead>
            <tbody>
              {found.data.orders.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>
                    <a href={href("order", node.id)}>{node.number}</a>
                    {node.externalId ? <small> {node.externalId}</small> : null}
                  </td>
                  <td>
                    <Badge value={node.status} />
                  </td>
                  <td>{node.channel.code}</td>
                  <td>{node.customer.email ?? node.customer.name ?? ""}</td>
                  <td>{i18n.dateTime(node.createdAt)}</td>
                  <td class="num">{i18n.money(node.total, node.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

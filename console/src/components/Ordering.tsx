// What the store's endless aisle and the storefront demo share: finding a product with the network's stock
// nearest first, and the customer's details for a delivery order.
import { useState } from "preact/hooks";
import { useSession } from "../lib/context";
import { useAction } from "../lib/hooks";
import { Field, Outcome } from "./ui";

const FIND = `query($search: String!) { products(search: $search, first: 10) { sku name ean } }`;
const AVAILABILITY = `query($skus: [String!]!, $near: GeoPointInput, $channel: String) {
  availability(skus: $skus, near: $near, channel: $channel, maxLocations: 5) { sku availableToPromise
    locations { available distanceKm location { code name } } } }`;

export interface Point {
  latitude: number;
  longitude: number;
}
export interface Product {
  sku: string;
  name: string;
}
interface Availability {
  sku: string;
  availableToPromise: number;
  locations: { available: number; distanceKm: number | null; location: { code: string; name: string } }[];
}

export function ProductFinder(props: {
  near: Point | null;
  channel?: string;
  chosen: Product | null;
  onChoose: (p: Product) => void;
}) {
  const { api, i18n } = useSession();
  const action = useAction();
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<Product[]>([]);
  const [stock, setStock] = useState<Availability | null>(null);
  const choose = (product: Product) =>
    action.run(async () => {
      props.onChoose(product);
      const data = await api.query<{ availability: Availability[] }>(AVAILABILITY, {
        skus: [product.sku],
        near: props.near,
        channel: props.channel,
      });
      setStock(data.availability[0] ?? null);
    });
  return (
    <div class="finder">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () =>
            setFound((await api.query<{ products: Product[] }>(FIND, { search })).products),
          );
        }}
      >
        <Field label={i18n.t("findProduct")}>
          <input
            name="product"
            value={search}
            onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          />
        </Field>
        <button type="submit">{i18n.t("find")}</button>
      </form>
      <ul class="choices">
        {found.map((p) => (
          <li key={p.sku}>
            <button type="button" aria-pressed={props.chosen?.sku === p.sku} onClick={() => choose(p)}>
              {p.sku} · {p.name}
            </button>
          </li>
        ))}
      </ul>
      {stock && (
        <table aria-label={i18n.t("nearest")} data-testid="network-stock">
          <caption>
            {i18n.t("nearest")}: {stock.sku} · {i18n.t("available")} {i18n.number(stock.availableToPromise)}
          </caption>
          <thead>
            <tr>
              <th scope="col">{i18n.t("location")}</th>
              <th scope="col" class="num">
                {i18n.t("available")}
              </th>
              <th scope="col" class="num">
                {i18n.t("distance")}
              </th>
            </tr>
          </thead>
          <tbody>
            {stock.locations.map((l) => (
              <tr key={l.location.code}>
                <td>{l.location.name}</td>
                <td class="num">{l.available}</td>
                <td class="num">{l.distanceKm === null ? "—" : `${i18n.number(l.distanceKm, 1)} km`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Outcome action={action} />
    </div>
  );
}

/** The one line of the order: its units and the unit price (the catalogue has no prices: the seller says). */
export interface Line {
  quantity: number;
  price: string;
}

export function LineFields({ value, onChange }: { value: Line; onChange: (line: Line) => void }) {
  const { i18n } = useSession();
  return (
    <>
      <Field label={i18n.t("quantity")}>
        <input
          name="quantity"
          type="number"
          min={1}
          value={value.quantity}
          onInput={(e) => onChange({ ...value, quantity: Number((e.target as HTMLInputElement).value) })}
        />
      </Field>
      <Field label={i18n.t("price")}>
        <input
          name="price"
          inputMode="decimal"
          required
          value={value.price}
          onInput={(e) => onChange({ ...value, price: (e.target as HTMLInputElement).value })}
        />
      </Field>
    </>
  );
}

export interface Customer {
  name: string;
  email: string;
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

export const NO_CUSTOMER: Customer = {
  name: "",
  email: "",
  line1: "",
  city: "",
  postalCode: "",
  country: "DE",
};

export function CustomerFields({ value, onChange }: { value: Customer; onChange: (c: Customer) => void }) {
  const { i18n } = useSession();
  const field = (name: keyof Customer, label: string, type = "text") => (
    <Field label={label}>
      <input
        name={name}
        type={type}
        required={name !== "postalCode"}
        value={value[name]}
        onInput={(e) => onChange({ ...value, [name]: (e.target as HTMLInputElement).value })}
      />
    </Field>
  );
  return (
    <fieldset class="customer">
      <legend>{i18n.t("customer")}</legend>
      {field("name", i18n.t("name"))}
      {field("email", i18n.t("email"), "email")}
      {field("line1", i18n.t("address"))}
      {field("city", i18n.t("city"))}
      {field("postalCode", i18n.t("postalCode"))}
      {field("country", i18n.t("country"))}
    </fieldset>
  );
}

export function address(c: Customer) {
  return { name: c.name, line1: c.line1, city: c.city, postalCode: c.postalCode || null, country: c.country };
}

export const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number status }
  errors { code field message } } }`;

export function idempotencyKey(): string {
  return `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

// The storefront demo: availability near a point, delivery options for the cart, the order placed and
// followed live (orderUpdated).
import { useEffect, useState } from "preact/hooks";
import {
  address,
  type Customer,
  CustomerFields,
  idempotencyKey,
  type Line,
  LineFields,
  NO_CUSTOMER,
  PLACE,
  type Product,
  ProductFinder,
} from "../../components/Ordering";
import { Badge, Field, Outcome, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useAction } from "../../lib/hooks";
import { follow } from "../../lib/live";

const OPTIONS = `query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) { method carrier service price currency
  estimatedDeliveryDate pickupLocation { code name } } }`;
const UPDATED = `subscription($id: ID!) { orderUpdated(id: $id) { id number status } }`;

interface Option {
  method: string;
  carrier: string | null;
  service: string | null;
  price: string;
  currency: string;
  estimatedDeliveryDate: string;
  pickupLocation: { code: string; name: string } | null;
}

export function Shop() {
  const { api, live, viewer, i18n } = useSession();
  const action = useAction();
  const [near, setNear] = useState({ latitude: 52.52, longitude: 13.405 });
  const [product, setProduct] = useState<Product | null>(null);
  const [line, setLine] = useState<Line>({ quantity: 1, price: "19.99" });
  const [customer, setCustomer] = useState<Customer>(NO_CUSTOMER);
  const [options, setOptions] = useState<Option[]>([]);
  const [option, setOption] = useState(0);
  const [order, setOrder] = useState<{ id: string; number: string; status: string } | null>(null);
  const channel = viewer.channel ?? "";
  const lines = product ? [{ sku: product.sku, quantity: line.quantity, unitPrice: line.price }] : [];

  useEffect(() => {
    if (!order) return;
    return follow<{ orderUpdated: { id: string; number: string; status: string } }>(
      live,
      UPDATED,
      { id: order.id },
      (d) => setOrder(d.orderUpdated),
    );
  }, [live, order?.id]);

  const ask = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const data = await api.query<{ deliveryOptions: Option[] }>(OPTIONS, {
        input: {
          channel,
          lines,
          address: { ...address(customer), latitude: near.latitude, longitude: near.longitude },
        },
      });
      setOptions(data.deliveryOptions);
      setOption(0);
    });
  };
  const place = () =>
    action.run(async () => {
      const chosen = options[option];
      const delivery =
        chosen.method === "PICKUP"
          ? { method: "PICKUP", pickupLocationCode: chosen.pickupLocation?.code }
          : {
              method: "DELIVERY",
              address: { ...address(customer), latitude: near.latitude, longitude: near.longitude },
              carrier: chosen.carrier,
              service: chosen.service,
              price: chosen.price,
            };
      const done = await api.mutate<{ order: { id: string; number: string; status: string } }>(PLACE, {
        input: {
          channel,
          idempotencyKey: idempotencyKey(),
          customer: { name: customer.name, email: customer.email },
          lines,
          delivery,
          payment: { method: "PREPAID" },
        },
      });
      setOrder(done.order);
    });

  const coordinate = (name: "latitude" | "longitude") => (
    <Field label={name}>
      <input
        name={name}
        type="number"
        step="any"
        value={near[name]}
        onInput={(e) => setNear({ ...near, [name]: Number((e.target as HTMLInputElement).value) })}
      />
    </Field>
  );
  return (
    <>
      <Section title={i18n.t("availability")}>
        <fieldset class="filters">
          <legend>{i18n.t("near")}</legend>
          {coordinate("latitude")}
          {coordinate("longitude")}
        </fieldset>
        <ProductFinder near={near} channel={channel} chosen={product} onChoose={setProduct} />
      </Section>
      {product && (
        <Section title={i18n.t("deliveryOptions")}>
          <form onSubmit={ask}>
            <LineFields value={line} onChange={setLine} />
            <CustomerFields value={customer} onChange={setCustomer} />
            <button type="submit">{i18n.t("deliveryOptions")}</button>
          </form>
          {options.length > 0 && (
            <fieldset class="options">
              <legend>{i18n.t("deliveryOptions")}</legend>
              {options.map((o, i) => (
                <label key={`${o.method}-${o.carrier}-${o.pickupLocation?.code}`} class="option">
                  <input type="radio" name="option" checked={option === i} onChange={() => setOption(i)} />
                  {o.method === "PICKUP"
                    ? i18n.t("pickupAt", { location: o.pickupLocation?.name ?? "" })
                    : `${i18n.t("delivery")} · ${o.carrier ?? ""} ${o.service ?? ""}`}{" "}
                  · {i18n.money(o.price, o.currency)} · {i18n.t("estimated")}{" "}
                  {i18n.date(o.estimatedDeliveryDate)}
                </label>
              ))}
              <button type="button" class="big" disabled={action.busy} onClick={place}>
                {i18n.t("placeOrder")}
              </button>
            </fieldset>
          )}
        </Section>
      )}
      {order && (
        <Section title={i18n.t("follow")}>
          <p role="status" data-testid="followed-order">
            {order.number} <Badge value={order.status} />
          </p>
        </Section>
      )}
      <Outcome action={action} />
    </>
  );
}

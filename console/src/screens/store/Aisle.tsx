// Endless aisle: a product the shop does not hold, found in the network nearest first and sold here as a
// delivery order with this store as its origin.
import { useState } from "preact/hooks";
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
import { Outcome, Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { useAction, useQuery } from "../../lib/hooks";

const HERE = `{ locations { code latitude longitude } channels { code kind } }`;

export function Aisle() {
  const { api, viewer, i18n } = useSession();
  const action = useAction();
  const here = useQuery(
    () =>
      api.query<{
        locations: { code: string; latitude: number; longitude: number }[];
        channels: { code: string; kind: string }[];
      }>(HERE),
    [api],
  );
  const [product, setProduct] = useState<Product | null>(null);
  const [line, setLine] = useState<Line>({ quantity: 1, price: "" });
  const [customer, setCustomer] = useState<Customer>(NO_CUSTOMER);
  const [placed, setPlaced] = useState<string | null>(null);
  const store = here.data?.locations.find((l) => l.code === viewer.location) ?? null;
  const channel = here.data?.channels.find((c) => c.kind === "STORE")?.code;
  const place = async (e: Event) => {
    e.preventDefault();
    if (!product || !channel) return;
    setPlaced(null);
    await action.run(async () => {
      const done = await api.mutate<{ order: { number: string } }>(PLACE, {
        input: {
          channel,
          idempotencyKey: idempotencyKey(),
          originLocationCode: viewer.location,
          customer: { name: customer.name, email: customer.email },
          lines: [{ sku: product.sku, quantity: line.quantity, unitPrice: line.price }],
          delivery: { method: "DELIVERY", address: address(customer) },
          payment: { method: "PREPAID" },
        },
      });
      setPlaced(i18n.t("placed", { number: done.order.number }));
    });
  };
  return (
    <Section title={i18n.t("aisle")}>
      <ProductFinder
        near={store && { latitude: store.latitude, longitude: store.longitude }}
        chosen={product}
        onChoose={setProduct}
      />
      {product && (
        <form onSubmit={place} aria-label={i18n.t("placeDelivery")}>
          <h3>
            {i18n.t("placeDelivery")}: {product.sku}
          </h3>
          <LineFields value={line} onChange={setLine} />
          <CustomerFields value={customer} onChange={setCustomer} />
          <button type="submit" class="big" disabled={action.busy}>
            {i18n.t("placeOrder")}
          </button>
        </form>
      )}
      {placed && (
        <p class="outcome ok" role="status">
          {placed}
        </p>
      )}
      <Outcome action={action} />
    </Section>
  );
}

// Every order event as it commits (orderEvents), newest first, and the orders placed today.
import { useEffect, useState } from "preact/hooks";
import { Today } from "../../components/Today";
import { Section } from "../../components/ui";
import { useSession } from "../../lib/context";
import { addEvent, type OrderEvent } from "../../lib/feed";
import { follow } from "../../lib/live";
import { href } from "../../lib/router";

const EVENTS = `subscription { orderEvents { id orderId orderNumber type at actor } }`;

export function Feed() {
  const { live, i18n } = useSession();
  const [events, setEvents] = useState<OrderEvent[]>([]);
  useEffect(
    () =>
      follow<{ orderEvents: OrderEvent }>(live, EVENTS, {}, (data) =>
        setEvents((feed) => addEvent(feed, data.orderEvents)),
      ),
    [live],
  );

  return (
    <>
      <Today />
      <Section title={i18n.t("feed")}>
        {events.length === 0 ? (
          <p>{i18n.t("noEvents")}</p>
        ) : (
          <table class="feed">
            <thead>
              <tr>
                <th scope="col">{i18n.t("at")}</th>
                <th scope="col">{i18n.t("order")}</th>
                <th scope="col">{i18n.t("event")}</th>
                <th scope="col">{i18n.t("actor")}</th>
              </tr>
            </thead>
            <tbody aria-live="polite">
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{i18n.dateTime(e.at)}</td>
                  <td>
                    <a href={href("order", e.orderId)}>{e.orderNumber}</a>
                  </td>
                  <td>{e.type}</td>
                  <td>{e.actor ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

// Subscriptions over one WebSocket (graphql-transport-ws), the key in connection_init, never in the URL.
import { type Client, createClient } from "graphql-ws";

export function liveUrl(origin: string = location.origin): string {
  return `${origin.replace(/^http/, "ws")}/graphql`;
}

export function createLive(key: string, url: string = liveUrl()): Client {
  return createClient({
    url,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    lazy: true,
  });
}

/** Follow a subscription; the function it answers stops following. */
export function follow<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError: (error: unknown) => void = () => {},
): () => void {
  return client.subscribe<T>(
    { query, variables },
    {
      next: (message) => message.data && onData(message.data as T),
      error: onError,
      complete: () => {},
    },
  );
}

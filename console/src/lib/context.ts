// What every screen gets: the API with the signed-in key, the live connection, the viewer, the language.
import type { Client } from "graphql-ws";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api";
import type { I18n } from "./i18n";
import type { Viewer } from "./session";

export interface Session {
  api: Api;
  live: Client;
  viewer: Viewer;
  i18n: I18n;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("no session");
  return session;
}

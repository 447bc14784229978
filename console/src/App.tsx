// Sign-in, then the app of the key's role: the console (ADMIN, ANALYST, INTEGRATION), the store app (STORE)
// or the storefront demo (STOREFRONT).
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, createApi } from "./lib/api";
import { type Session, SessionContext } from "./lib/context";
import { i18n, LANG_NAMES, LANGS, type Lang, saveLang, savedLang } from "./lib/i18n";
import { createLive } from "./lib/live";
import { mayOpen, type Screen, screensFor } from "./lib/roles";
import { href, parseHash } from "./lib/router";
import { forgetKey, saveKey, savedKey, VIEWER, type Viewer } from "./lib/session";
import { Dashboards } from "./screens/console/Dashboards";
import { Feed } from "./screens/console/Feed";
import { OrderPage } from "./screens/console/OrderPage";
import { Orders } from "./screens/console/Orders";
import { Stuck } from "./screens/console/Stuck";
import { SignIn } from "./screens/SignIn";
import { Shop } from "./screens/shop/Shop";
import { Aisle } from "./screens/store/Aisle";
import { Collect } from "./screens/store/Collect";
import { Queue } from "./screens/store/Queue";
import { Returns } from "./screens/store/Returns";

export function App() {
  const [lang, setLang] = useState<Lang>(savedLang());
  const text = useMemo(() => i18n(lang), [lang]);
  const [key, setKey] = useState<string | null>(savedKey());
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [hash, setHash] = useState(location.hash);

  useEffect(() => {
    const moved = () => setHash(location.hash);
    addEventListener("hashchange", moved);
    return () => removeEventListener("hashchange", moved);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    if (!key) return;
    createApi(key)
      .query<{ viewer: Viewer }>(VIEWER)
      .then(
        (data) => setViewer(data.viewer),
        (problem: unknown) => {
          forgetKey();
          setKey(null);
          const code = problem instanceof ApiError ? problem.code : "";
          setRefused(code === "UNREACHABLE" ? "unreachable" : "keyRefused");
        },
      );
  }, [key]);

  const session: Session | null = useMemo(
    () => (key && viewer ? { api: createApi(key), live: createLive(key), viewer, i18n: text } : null),
    [key, viewer, text],
  );
  useEffect(() => () => void session?.live.dispose(), [session]);

  const chooseLang = (next: Lang) => {
    saveLang(next);
    setLang(next);
  };
  const languages = (
    <label class="lang">
      <span>{text.t("language")}</span>
      <select value={lang} onChange={(e) => chooseLang((e.target as HTMLSelectElement).value as Lang)}>
        {LANGS.map((l) => (
          <option key={l} value={l}>
            {LANG_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );

  if (!session) {
    return (
      <SignIn
        i18n={text}
        languages={languages}
        refused={refused ? text.t(refused === "unreachable" ? "unreachable" : "keyRefused") : null}
        checking={key !== null}
        onKey={(entered) => {
          setRefused(null);
          saveKey(entered);
          setKey(entered.trim());
        }}
      />
    );
  }

  const screens = screensFor(session.viewer.role);
  const route = parseHash(hash);
  const screen: Screen =
    route.screen && mayOpen(session.viewer.role, route.screen) ? route.screen : screens[0];
  const signOut = () => {
    forgetKey();
    setViewer(null);
    setKey(null);
    location.hash = "";
  };

  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <strong class="brand">{text.t("appName")}</strong>
        <nav aria-label={text.t("appName")}>
          {screens.map((s) => (
            <a key={s} href={href(s)} aria-current={s === screen ? "page" : undefined}>
              {text.t(s)}
            </a>
          ))}
        </nav>
        <span class="who">
          {text.t("signedInAs", { name: session.viewer.name, role: session.viewer.role })}
          {session.viewer.location ? ` · ${session.viewer.location}` : ""}
          {session.viewer.channel ? ` · ${session.viewer.channel}` : ""}
        </span>
        {languages}
        <button type="button" onClick={signOut}>
          {text.t("signOut")}
        </button>
      </header>
      <main id="main" class={`app-${screens[0]}`}>
        <Current screen={screen} param={route.param} />
      </main>
    </SessionContext.Provider>
  );
}

function Current({ screen, param }: { screen: Screen; param: string | null }) {
  switch (screen) {
    case "feed":
      return <Feed />;
    case "orders":
      return <Orders />;
    case "order":
      return param ? <OrderPage id={param} /> : <Orders />;
    case "stuck":
      return <Stuck />;
    case "dashboards":
      return <Dashboards />;
    case "queue":
      return <Queue />;
    case "collect":
      return <Collect />;
    case "returns":
      return <Returns />;
    case "aisle":
      return <Aisle />;
    case "shop":
      return <Shop />;
  }
}

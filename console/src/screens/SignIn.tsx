import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { I18n } from "../lib/i18n";

export function SignIn(props: {
  i18n: I18n;
  languages: ComponentChildren;
  refused: string | null;
  checking: boolean;
  onKey: (key: string) => void;
}) {
  const { t } = props.i18n;
  const [key, setKey] = useState("");
  return (
    <main class="sign-in">
      <h1>{t("appName")}</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) props.onKey(key);
        }}
      >
        <label class="field">
          <span>{t("apiKey")}</span>
          <input
            type="password"
            name="key"
            autoComplete="off"
            required
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
            aria-describedby="key-hint"
          />
        </label>
        <p id="key-hint" class="hint">
          {t("apiKeyHint")}
        </p>
        {props.refused && (
          <p class="outcome error" role="alert">
            {props.refused}
          </p>
        )}
        <button type="submit" disabled={props.checking && !props.refused}>
          {t("signIn")}
        </button>
      </form>
      {props.languages}
    </main>
  );
}

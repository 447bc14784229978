// Small shared pieces: an action's outcome, a labelled field, a status badge, a section.
import type { ComponentChildren } from "preact";
import type { Action } from "../lib/hooks";

export function Outcome({ action }: { action: Action }) {
  if (!action.message) return null;
  return (
    <p class={action.failed ? "outcome error" : "outcome ok"} role={action.failed ? "alert" : "status"}>
      {action.message}
    </p>
  );
}

export function Field(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the child it wraps
    <label class="field">
      <span>{props.label}</span>
      {props.children}
    </label>
  );
}

export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${value.toLowerCase()}`}>{value.replaceAll("_", " ")}</span>;
}

export function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  const id = props.id ?? `s-${props.title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Loading({ error, text }: { error: string | null; text: string }) {
  return error ? (
    <p class="outcome error" role="alert">
      {error}
    </p>
  ) : (
    <p aria-busy="true">{text}</p>
  );
}

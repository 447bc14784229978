// Loading a query into a screen, and running an action with its outcome shown.
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
}

export function useQuery<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
      },
      (problem: unknown) => {
        if (current) setError(problem instanceof Error ? problem.message : String(problem));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data, error, reload };
}

export interface Action {
  busy: boolean;
  message: string | null;
  failed: boolean;
  run: (step: () => Promise<unknown>, done?: string) => Promise<boolean>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const run = useCallback(async (step: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await step();
      setFailed(false);
      setMessage(done ?? null);
      return true;
    } catch (problem) {
      setFailed(true);
      setMessage(problem instanceof ApiError || problem instanceof Error ? problem.message : String(problem));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, message, failed, run };
}

// The GraphQL API over HTTP, with the signed-in key. Errors come back as ApiError: a code, the input field
// it is about, and a message a person can read.

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string = "ERROR",
    readonly field: readonly (string | number)[] = [],
  ) {
    super(message);
  }
}

export interface UserError {
  code: string;
  field: (string | number)[];
  message: string;
}

type Variables = Record<string, unknown>;

export interface Api {
  query<T>(query: string, variables?: Variables): Promise<T>;
  /** A mutation whose payload (the one root field) carries `errors`: the first becomes an ApiError. */
  mutate<T>(mutation: string, variables?: Variables): Promise<T>;
  /** A document (a label, a packing slip) fetched with the key and opened for printing in a new tab. */
  openDocument(path: string): Promise<void>;
}

export function endpoint(origin: string = location.origin): string {
  return `${origin}/graphql`;
}

export function createApi(key: string, url: string = endpoint()): Api {
  async function query<T>(query: string, variables: Variables = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError("The server cannot be reached.", "UNREACHABLE");
    }
    if (response.status === 401 || response.status === 403) {
      throw new ApiError("This key was refused.", "UNAUTHENTICATED");
    }
    const body = (await response.json().catch(() => null)) as {
      data?: T;
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    if (!body) throw new ApiError(`The server answered ${response.status}.`, "SERVER");
    if (body.errors?.length) {
      const first = body.errors[0];
      throw new ApiError(first.message, first.extensions?.code ?? "ERROR");
    }
    return body.data as T;
  }

  async function mutate<T>(mutation: string, variables: Variables = {}): Promise<T> {
    const data = await query<Record<string, { errors?: UserError[] }>>(mutation, variables);
    const payload = Object.values(data)[0];
    const failed = payload?.errors?.[0];
    if (failed) throw new ApiError(failed.message, failed.code, failed.field);
    return payload as T;
  }

  async function openDocument(path: string): Promise<void> {
    const opened = window.open("", "_blank");
    const response = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${key}` } });
    if (!response.ok) {
      opened?.close();
      throw new ApiError(`The document could not be opened (${response.status}).`, "DOCUMENT");
    }
    const address = URL.createObjectURL(await response.blob());
    if (opened) opened.location.href = address;
    else window.location.assign(address);
  }

  return { query, mutate, openDocument };
}

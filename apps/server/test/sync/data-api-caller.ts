/** What a data-API call answered: the status and the parsed JSON body. */
export interface DataApiAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads the fields it checks (and checks them against the published schemas)
  readonly body: any;
}

/**
 * A caller of an app's routes in-process (`app.request`): a JSON body (or a string sent as is),
 * extra headers, the answer's status and parsed body.
 */
export function dataApiCaller(app: { request(path: string, init: RequestInit): Response | Promise<Response> }) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<DataApiAnswer> => {
    const response = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
}

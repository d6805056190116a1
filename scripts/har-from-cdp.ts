/**
 * Builds a HAR 1.2 log from Chrome DevTools protocol Network events the way DevTools' own
 * exporter does (front_end/models/har/Log.ts): one entry per request, preflights included
 * (`_resourceType: "preflight"`), headers from the `ExtraInfo` events (what went on the wire,
 * duplicate lines split apart), `response._error` for a failed load, the sanitized export's rule
 * of leaving out `Cookie`, `Set-Cookie` and `Authorization`. Times are fixed so fixtures are stable.
 */

interface CdpEvent {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

interface HarHeader {
  name: string;
  value: string;
}

interface Pending {
  id: string;
  order: number;
  method: string;
  url: string;
  resourceType: string;
  initiator: unknown;
  requestHeaders: HarHeader[];
  status: number;
  statusText: string;
  httpVersion: string;
  responseHeaders: HarHeader[];
  mimeType: string;
  error: string | undefined;
}

const SANITIZED = new Set(['cookie', 'set-cookie', 'authorization']);

/** DevTools splits a header object's `\n`-joined duplicate values into separate entries. */
function headerList(headers: unknown): HarHeader[] {
  if (typeof headers !== 'object' || headers === null) return [];
  const list: HarHeader[] = [];
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (SANITIZED.has(name.toLowerCase())) continue;
    // Dates change from run to run; the fixture keeps one.
    const text = name.toLowerCase() === 'date' ? 'Thu, 01 Jan 2026 00:00:00 GMT' : String(value);
    for (const line of text.split('\n')) list.push({ name, value: line });
  }
  return list;
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** The HAR document for `events`, with `browser` as the creator's browser version. */
export function buildHar(
  events: readonly CdpEvent[],
  browser: string,
): { log: { entries: unknown[]; [key: string]: unknown } } {
  const pending = new Map<string, Pending>();
  let order = 0;
  const get = (id: string): Pending => {
    let entry = pending.get(id);
    if (entry === undefined) {
      entry = {
        id,
        order: order++,
        method: 'GET',
        url: '',
        resourceType: 'other',
        initiator: { type: 'other' },
        requestHeaders: [],
        status: 0,
        statusText: '',
        httpVersion: '',
        responseHeaders: [],
        mimeType: 'x-unknown',
        error: undefined,
      };
      pending.set(id, entry);
    }
    return entry;
  };
  for (const { method, params } of events) {
    const id = str(params.requestId);
    switch (method) {
      case 'Network.requestWillBeSent': {
        const request = params.request as Record<string, unknown>;
        const entry = get(id);
        entry.method = str(request.method, 'GET');
        entry.url = str(request.url);
        entry.initiator = params.initiator;
        // DevTools lists a CORS preflight as its own request of type "preflight".
        const initiatorType = (params.initiator as { type?: unknown } | undefined)?.type;
        entry.resourceType = initiatorType === 'preflight' ? 'preflight' : str(params.type, 'Other').toLowerCase();
        if (entry.requestHeaders.length === 0) entry.requestHeaders = headerList(request.headers);
        break;
      }
      case 'Network.requestWillBeSentExtraInfo':
        get(id).requestHeaders = headerList(params.headers);
        break;
      case 'Network.responseReceived': {
        const response = params.response as Record<string, unknown>;
        const entry = get(id);
        entry.status = Number(response.status ?? 0);
        entry.statusText = str(response.statusText);
        entry.httpVersion = str(response.protocol);
        entry.mimeType = str(response.mimeType, 'x-unknown');
        if (entry.responseHeaders.length === 0) entry.responseHeaders = headerList(response.headers);
        break;
      }
      case 'Network.responseReceivedExtraInfo': {
        const entry = get(id);
        entry.status = Number(params.statusCode ?? entry.status);
        entry.responseHeaders = headerList(params.headers);
        const text = str(params.headersText);
        const statusLine = /^HTTP\/[\d.]+ \d+ ?(.*)\r?\n/.exec(text);
        if (statusLine?.[1] !== undefined && entry.statusText === '') entry.statusText = statusLine[1];
        break;
      }
      case 'Network.loadingFailed':
        get(id).error = str(params.errorText);
        break;
      case 'Network.webSocketCreated': {
        const entry = get(id);
        entry.url = str(params.url);
        entry.resourceType = 'websocket';
        break;
      }
      case 'Network.webSocketWillSendHandshakeRequest': {
        const request = params.request as Record<string, unknown>;
        get(id).requestHeaders = headerList(request.headers);
        break;
      }
      case 'Network.webSocketHandshakeResponseReceived': {
        const response = params.response as Record<string, unknown>;
        const entry = get(id);
        entry.status = Number(response.status ?? 0);
        entry.statusText = str(response.statusText);
        entry.responseHeaders = headerList(response.headers);
        break;
      }
      case 'Network.webSocketFrameError':
        get(id).error = str(params.errorMessage);
        break;
      default:
        break;
    }
  }
  const start = Date.UTC(2026, 0, 1);
  const entries = [...pending.values()]
    .filter((entry) => entry.url.startsWith('http') || entry.url.startsWith('ws'))
    .sort((a, b) => a.order - b.order)
    .map((entry, index) => {
      const url = new URL(entry.url);
      return {
        _initiator: entry.initiator,
        _priority: 'High',
        _resourceType: entry.resourceType,
        cache: {},
        request: {
          method: entry.method,
          url: entry.url,
          httpVersion: 'HTTP/1.1',
          headers: entry.requestHeaders,
          queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
          cookies: [],
          headersSize: -1,
          bodySize: 0,
        },
        response: {
          status: entry.status,
          statusText: entry.statusText,
          httpVersion: entry.httpVersion === '' ? '' : entry.httpVersion.toUpperCase(),
          headers: entry.responseHeaders,
          cookies: [],
          content: { size: 0, mimeType: entry.mimeType },
          redirectURL: entry.responseHeaders.find((h) => h.name.toLowerCase() === 'location')?.value ?? '',
          headersSize: -1,
          bodySize: -1,
          _transferSize: 0,
          _error: entry.error ?? null,
        },
        serverIPAddress: '127.0.0.1',
        startedDateTime: new Date(start + index).toISOString(),
        time: 0,
        timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0 },
      };
    });
  return {
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      browser: { name: 'Chromium', version: browser },
      pages: [],
      entries,
    },
  };
}

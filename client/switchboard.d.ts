// Declarations for switchboard.js (served at /_sb/switchboard.d.ts).

/** What the server said went wrong: its error kind ("invalid_argument", "not_found", "timeout",
 * "unauthorized", "internal", ...), message, and where (the parameter or field), when known. */
export declare class SwitchboardError extends Error {
  readonly kind: string;
  readonly where: string;
  readonly details?: unknown;
  constructor(kind: string, message: string, where?: string, details?: unknown);
}

export interface ReconnectOptions {
  /** ms before the first retry (default 250) */
  initialDelay?: number;
  /** the longest wait between retries (default 10000) */
  maxDelay?: number;
  /** growth per attempt (default 2) */
  factor?: number;
  /** ± this fraction of each wait, at random (default 0.3) */
  jitter?: number;
  /** give up after this many attempts in a row (default Infinity) */
  maxAttempts?: number;
}

export interface ClientOptions {
  /** the server's base URL (default: the page's origin) */
  url?: string;
  /** ms before invoke() rejects with kind "timeout" (default 30000; 0: none) */
  timeout?: number;
  /** use the /rpc WebSocket while it is open (default true) */
  websocket?: boolean;
  rpcPath?: string;
  /** messages a connection keeps while it is disconnected (default 256) */
  queueLimit?: number;
  reconnect?: ReconnectOptions;
  /** ms of silence on a handler connection before a JSON ping (default 25000; 0: none) */
  heartbeat?: number;
  /** ms to wait for the pong before reconnecting (default 10000) */
  heartbeatTimeout?: number;
  /** a bearer token: the Authorization header over HTTP; on WebSockets and SSE as `auth` says */
  token?: string;
  /** "query": ?token=... on the URL (default); "message": a first {"type":"auth","token":...} */
  auth?: "query" | "message";
  tokenParam?: string;
  /** implementations for environments without globals (Node: the ws and eventsource packages) */
  WebSocket?: unknown;
  EventSource?: unknown;
  fetch?: typeof fetch;
}

export interface InvokeOptions {
  timeout?: number;
  signal?: AbortSignal;
  /** when the WebSocket drops before the answer, call again over HTTP instead of rejecting */
  idempotent?: boolean;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** over SSE, through dropped connections: EventSource reconnects (to any instance behind the
   *  address) with Last-Event-ID, up to reconnect.maxAttempts failures in a row; for endpoints that
   *  resume after it (e.g. from a bus history) */
  resume?: boolean;
}

export interface StreamHandle<R = unknown> {
  /** ends the stream, and the call on the server */
  stop(): void;
  /** the stream's final value; rejects with kind "cancelled" after stop() */
  result: Promise<R>;
}

export interface ConnectOptions extends ClientOptions {
  /** miss nothing across reconnections on channels that keep a history: true, or the resumeIds of
   *  an earlier connection (e.g. kept over a page reload) */
  resume?: boolean | Record<string, string>;
}

export interface ConnectionHandlers {
  onOpen?: () => void;
  onMessage?: (message: unknown) => void;
  onClose?: (close: { code: number; reason: string; wasClean: boolean }) => void;
  onError?: (error: Error) => void;
}

export declare class Connection {
  readonly connected: boolean;
  /** messages waiting for the connection */
  readonly queued: number;
  /** with resume: the last id seen per channel (a copy); null without */
  readonly resumeIds: Record<string, string> | null;
  /** objects go as JSON; false when the message was dropped (queue full, or disconnected for good) */
  send(payload: unknown): boolean;
  disconnect(code?: number, reason?: string): void;
  /** "ws:open", "ws:close", "ws:error", "ws:message", "ws:reconnecting", "ws:resumed" (with resume:
   * {channel, complete}, before what was missed; complete is false when some of it was no longer
   * kept), or "ws:event:<name>" for messages shaped {"event": name, "data": ...} (the listener gets
   * data, then the message) */
  on(name: string, listener: (...args: any[]) => void): this;
  off(name: string, listener: (...args: any[]) => void): this;
  once(name: string, listener: (...args: any[]) => void): this;
}

export declare class Client {
  constructor(options?: ClientOptions);
  readonly options: Required<ClientOptions>;
  /** opens /rpc; resolves once it is open */
  ready(timeout?: number): Promise<Client>;
  invoke<R = unknown>(method: string, args?: unknown, options?: InvokeOptions): Promise<R>;
  stream<T = unknown, R = unknown>(method: string, args: unknown, onValue: (value: T, event: string) => void,
                                   options?: StreamOptions): StreamHandle<R>;
  connect(path: string, handlers?: ConnectionHandlers, options?: ConnectOptions): Connection;
  close(): void;
}

/** The shared client of the module-level functions; with options, replaces it. */
export declare function client(options?: ClientOptions): Client;
export declare function invoke<R = unknown>(method: string, args?: unknown, options?: InvokeOptions): Promise<R>;
export declare function stream<T = unknown, R = unknown>(method: string, args: unknown,
                                                         onValue: (value: T, event: string) => void,
                                                         options?: StreamOptions): StreamHandle<R>;
export declare function connect(path: string, handlers?: ConnectionHandlers, options?: ConnectOptions): Connection;

/** One endpoint in an app's declarations (served at /api/_types.d.ts, from its C++ signatures). */
export interface EndpointShape {
  params: unknown;
  result: unknown;
  stream?: unknown;
}
type StreamValue<E> = E extends { stream: infer S } ? S : never;

/** invoke() and stream() checked against an app's declarations: method names, arguments, results.
 *    import type { Api } from "./api";            // saved from /api/_types.d.ts
 *    const api = typed<Api>();
 *    const sum = await api.invoke("tools.add", { a: 2, b: 3 });   // number */
export interface TypedClient<A extends { [M in keyof A]: EndpointShape }> {
  invoke<M extends keyof A & string>(method: M, args: A[M]["params"], options?: InvokeOptions): Promise<A[M]["result"]>;
  stream<M extends keyof A & string>(method: M, args: A[M]["params"],
                                     onValue: (value: StreamValue<A[M]>, event: string) => void,
                                     options?: StreamOptions): StreamHandle<A[M]["result"]>;
}
/** The client (by default the shared one), typed by an app's declarations; the same object at run time. */
export declare function typed<A extends { [M in keyof A]: EndpointShape }>(client?: Client): TypedClient<A>;

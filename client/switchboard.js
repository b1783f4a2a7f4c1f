// switchboard.js: call a switchboard backend from a web page (or Node), with no dependencies.
// Served by both switchboard servers at /_sb/switchboard.js (declarations: /_sb/switchboard.d.ts).
//
//   import { invoke, stream, connect } from "/_sb/switchboard.js";
//   const sum = await invoke("tools.add", { a: 2, b: 3 });               // 5
//   const run = stream("progress.count", { n: 5 }, (v) => show(v.percent));
//   await run.result;                                                    // the stream's final value
//   const room = connect("/ws/chat/public_room");
//   room.on("ws:event:new_message", (m) => print(m.user, m.text));
//   room.send({ event: "chat_message", data: { message: "hi" } });
//   connect("/ws/chat/public_room", handlers, { resume: true });  // reconnects miss nothing
//
// invoke() goes over the /rpc WebSocket while it is open and over HTTP POST /api/... otherwise;
// stream() over /rpc (values as JSON-RPC notifications) or else Server-Sent Events. Errors are
// SwitchboardError objects carrying the server's kind, message and where.

const defaults = {
  timeout: 30000,         // ms for invoke(); 0 for none
  websocket: true,        // open /rpc and use it while it is open
  rpcPath: "/rpc",
  queueLimit: 256,        // messages a connection holds while it is disconnected
  reconnect: { initialDelay: 250, maxDelay: 10000, factor: 2, jitter: 0.3, maxAttempts: Infinity },
  heartbeat: 25000,       // ms between JSON pings on handler connections with nothing received; 0: none
  heartbeatTimeout: 10000,
  token: undefined,       // a bearer token: Authorization on HTTP, and on WebSockets per `auth`
  auth: "query",          // WebSockets and SSE: "query" (?token=...) or "message" ({"type":"auth"})
  tokenParam: "token",
};

export class SwitchboardError extends Error {
  constructor(kind, message, where = "", details = undefined) {
    super(message);
    this.name = "SwitchboardError";
    this.kind = kind;
    this.where = where;
    if (details !== undefined) this.details = details;
  }
}

// The kind for a JSON-RPC error without the server's data (a transport or protocol error).
const rpcKinds = { [-32700]: "invalid_argument", [-32600]: "invalid_argument", [-32601]: "not_found",
                   [-32602]: "invalid_argument", [-32603]: "internal", [-32800]: "cancelled" };

function errorFromRpc(error) {
  const data = error && typeof error.data === "object" && error.data !== null ? error.data : {};
  return new SwitchboardError(data.kind || rpcKinds[error?.code] || "internal", data.message || error?.message || "error",
                              data.where || "", data.details);
}

function errorFromBody(status, body) {
  const e = body && typeof body === "object" ? body.error : undefined;
  if (e && typeof e === "object")
    return new SwitchboardError(e.kind || "internal", e.message || `HTTP ${status}`, e.where || "", e.details);
  return new SwitchboardError(status === 404 ? "not_found" : "internal", `HTTP ${status}`);
}

function abortError(signal) {
  const reason = signal?.reason;
  if (reason instanceof Error) return reason;
  const e = new SwitchboardError("cancelled", "aborted");
  e.name = "AbortError";
  return e;
}

function routeOf(method) {
  const dot = method.indexOf(".");
  if (dot <= 0 || dot === method.length - 1) throw new SwitchboardError("invalid_argument", `"${method}" is not <module>.<endpoint>`);
  return encodeURIComponent(method.slice(0, dot)) + "/" + encodeURIComponent(method.slice(dot + 1));
}

function queryOf(args) {
  if (args === undefined || args === null) return "";
  if (typeof args !== "object" || Array.isArray(args))
    throw new SwitchboardError("invalid_argument", "a stream over SSE takes its arguments as an object (by name)");
  const parts = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(text));
  }
  return parts.length ? "?" + parts.join("&") : "";
}

function withParam(url, name, value) {
  return url + (url.includes("?") ? "&" : "?") + encodeURIComponent(name) + "=" + encodeURIComponent(value);
}

// Exponential backoff with jitter: attempt 0 waits about initialDelay.
function backoff(options, attempt) {
  const r = options.reconnect;
  const base = Math.min(r.maxDelay, r.initialDelay * Math.pow(r.factor, attempt));
  return Math.max(0, Math.round(base * (1 - r.jitter + 2 * r.jitter * Math.random())));
}

// on/off/once for "ws:open", "ws:close", "ws:error", "ws:message", "ws:event:<name>", "ws:reconnecting".
class Emitter {
  #handlers = new Map();
  on(name, fn) {
    if (!this.#handlers.has(name)) this.#handlers.set(name, new Set());
    this.#handlers.get(name).add(fn);
    return this;
  }
  off(name, fn) {
    this.#handlers.get(name)?.delete(fn);
    return this;
  }
  once(name, fn) {
    const wrapped = (...a) => {
      this.off(name, wrapped);
      fn(...a);
    };
    return this.on(name, wrapped);
  }
  emit(name, ...a) {
    for (const fn of [...(this.#handlers.get(name) || [])]) {
      try {
        fn(...a);
      } catch (e) {
        setTimeout(() => { throw e; });  // a listener's error must not break delivery to the others
      }
    }
  }
}

// A WebSocket that reconnects with backoff, queues sends while it is down (bounded), authenticates
// by a first message when asked, and keeps itself alive with JSON pings on handler paths.
// With `resume` (true, or the ids of an earlier connection's resumeIds), the server wraps messages
// of channels that keep a history with their ids ({"type":"delivery",...}); the connection unwraps
// them, keeps the last id per channel, and names those ids when it reconnects (?sb_resume=...), so
// that the server, on this instance or another, sends what it missed first ("ws:resumed" says
// whether all of it was still kept).
export class Connection extends Emitter {
  #client;
  #path;
  #options;
  #socket = null;
  #queue = [];
  #attempt = 0;
  #timer = null;
  #closedByUser = false;
  #ready = false;
  #heartbeatTimer = null;
  #lastHeard = 0;
  #pingSentAt = 0;
  #resumeIds = null;

  constructor(client, path, handlers = {}, options = {}) {
    super();
    this.#client = client;
    this.#path = path;
    this.#options = { ...client.options, ...options, reconnect: { ...client.options.reconnect, ...(options.reconnect || {}) } };
    if (handlers.onOpen) this.on("ws:open", handlers.onOpen);
    if (handlers.onMessage) this.on("ws:message", handlers.onMessage);
    if (handlers.onClose) this.on("ws:close", handlers.onClose);
    if (handlers.onError) this.on("ws:error", handlers.onError);
    if (options.resume) this.#resumeIds = typeof options.resume === "object" ? { ...options.resume } : {};
    this.#open();
  }

  get connected() { return this.#ready; }
  // The last id seen per channel (null without resume): keep it to resume after a page reload.
  get resumeIds() { return this.#resumeIds && { ...this.#resumeIds }; }
  get queued() { return this.#queue.length; }

  // Sends now when connected, else queues; false when the queue is full (the message is dropped).
  send(payload) {
    const text = typeof payload === "string" || payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)
      ? payload : JSON.stringify(payload);
    if (this.#ready) {
      this.#socket.send(text);
      return true;
    }
    if (this.#closedByUser) return false;
    if (this.#queue.length >= this.#options.queueLimit) {
      this.emit("ws:error", new SwitchboardError("unavailable", `send queue full (${this.#options.queueLimit} messages): dropped`));
      return false;
    }
    this.#queue.push(text);
    return true;
  }

  disconnect(code = 1000, reason = "") {
    this.#closedByUser = true;
    this.#ready = false;
    clearTimeout(this.#timer);
    this.#stopHeartbeat();
    this.#queue = [];
    if (this.#socket && this.#socket.readyState <= 1) this.#socket.close(code, reason);
  }

  #url() {
    let url = this.#client.socketUrl(this.#path);
    if (this.#options.token && this.#options.auth === "query") url = withParam(url, this.#options.tokenParam, this.#options.token);
    if (this.#resumeIds) url = withParam(url, "sb_resume", JSON.stringify(this.#resumeIds));
    return url;
  }

  #open() {
    const Impl = this.#client.WebSocket;
    if (!Impl) {
      this.emit("ws:error", new SwitchboardError("unavailable", "no WebSocket implementation (pass options.WebSocket)"));
      return;
    }
    let socket;
    try {
      socket = new Impl(this.#url());
    } catch (e) {
      this.emit("ws:error", e);
      return this.#scheduleReconnect();
    }
    this.#socket = socket;
    if ("binaryType" in socket) socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.#lastHeard = Date.now();
      if (this.#options.token && this.#options.auth === "message") {
        socket.send(JSON.stringify({ type: "auth", token: this.#options.token }));
        return;  // ready at auth_response
      }
      this.#becomeReady();
    };
    socket.onmessage = (event) => this.#received(event.data);
    socket.onerror = () => this.emit("ws:error", new SwitchboardError("unavailable", `WebSocket error on ${this.#path}`));
    socket.onclose = (event) => {
      const wasReady = this.#ready;
      this.#ready = false;
      this.#socket = null;
      this.#stopHeartbeat();
      this.emit("ws:close", { code: event.code, reason: event.reason, wasClean: event.wasClean });
      if (wasReady) this.#attempt = 0;
      // 1008 is a refusal (authentication, policy): trying again would be refused again.
      if (!this.#closedByUser && event.code !== 1008) this.#scheduleReconnect();
    };
  }

  #becomeReady() {
    this.#ready = true;
    this.#attempt = 0;
    const waiting = this.#queue;
    this.#queue = [];
    for (const text of waiting) this.#socket.send(text);
    this.#startHeartbeat();
    this.emit("ws:open");
  }

  #received(data) {
    this.#lastHeard = Date.now();
    this.#pingSentAt = 0;
    let message = data;
    if (typeof data === "string") {
      try {
        message = JSON.parse(data);
      } catch {
        message = data;
      }
    }
    if (message && typeof message === "object" && !Array.isArray(message) && !(message instanceof ArrayBuffer)) {
      if (message.type === "pong") return;
      if (message.type === "auth_response") return this.#becomeReady();
      if (message.type === "auth_error") {
        this.#closedByUser = true;  // the same token would be refused again
        return this.emit("ws:error", errorFromBody(401, message));
      }
      if (this.#resumeIds && typeof message.channel === "string") {
        if (message.type === "resumed") return this.emit("ws:resumed", { channel: message.channel, complete: message.complete });
        if (message.type === "delivery" && typeof message.id === "string") {
          this.#resumeIds[message.channel] = message.id;
          message = message.data;
        }
      }
    }
    this.emit("ws:message", message);
    if (message && typeof message === "object" && typeof message.event === "string")
      this.emit("ws:event:" + message.event, message.data, message);
  }

  #scheduleReconnect() {
    const r = this.#options.reconnect;
    if (this.#closedByUser || this.#attempt >= r.maxAttempts) return;
    const delay = backoff(this.#options, this.#attempt++);
    this.emit("ws:reconnecting", { attempt: this.#attempt, delay });
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  // Browsers answer the server's pings without telling the page, and a dead network is only seen
  // by sending: with nothing heard for `heartbeat` ms, a {"type":"ping"}; no answer in time: reconnect.
  #startHeartbeat() {
    const every = this.#options.heartbeat;
    if (!every || !this.#client.jsonPings(this.#path)) return;
    this.#heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (this.#pingSentAt && now - this.#pingSentAt > this.#options.heartbeatTimeout) {
        this.#socket?.close(4000, "no answer to a ping");
        return;
      }
      if (!this.#pingSentAt && now - this.#lastHeard >= every && this.#ready) {
        this.#pingSentAt = now;
        this.#socket.send(JSON.stringify({ type: "ping" }));
      }
    }, Math.min(every, this.#options.heartbeatTimeout) / 2);
  }

  #stopHeartbeat() {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    this.#pingSentAt = 0;
  }
}

// Calls over /rpc: pending calls by id; streams' values by the call's id.
class RpcChannel {
  #client;
  #connection;
  #nextId = 1;
  #pending = new Map();  // id -> { resolve, reject, onValue, idempotent, retry }

  constructor(client) {
    this.#client = client;
    this.#connection = new Connection(client, client.options.rpcPath, {}, { heartbeat: 0 });
    this.#connection.on("ws:message", (m) => this.#received(m));
    this.#connection.on("ws:close", () => this.#dropped());
  }

  get open() { return this.#connection.connected; }
  get connection() { return this.#connection; }

  call(method, params, onValue, idempotent, retry) {
    const id = this.#nextId++;
    return {
      id,
      promise: new Promise((resolve, reject) => {
        this.#pending.set(id, { resolve, reject, onValue, idempotent, retry });
        const message = { jsonrpc: "2.0", method, id };
        if (params !== undefined) message.params = params;
        if (!this.#connection.send(message)) {
          this.#pending.delete(id);
          reject(new SwitchboardError("unavailable", "the /rpc connection is not open"));
        }
      }),
    };
  }

  forget(id) { this.#pending.delete(id); }

  cancel(id) {
    if (!this.#pending.has(id)) return;
    this.#connection.send({ jsonrpc: "2.0", method: "rpc.cancel", params: { id } });
  }

  close() {
    this.#connection.disconnect();
    this.#dropped();
  }

  #received(message) {
    const list = Array.isArray(message) ? message : [message];
    for (const m of list) {
      if (!m || typeof m !== "object") continue;
      if (m.method === "stream" && m.params) {
        const p = this.#pending.get(m.params.id);
        if (p?.onValue) p.onValue(m.params.value, m.params.event);
        continue;
      }
      const p = this.#pending.get(m.id);
      if (!p) continue;
      this.#pending.delete(m.id);
      if ("error" in m) p.reject(errorFromRpc(m.error));
      else p.resolve(m.result);
    }
  }

  // Calls in flight when the socket drops fail, or go again (over HTTP) when marked idempotent.
  #dropped() {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      if (p.idempotent && p.retry) p.retry().then(p.resolve, p.reject);
      else p.reject(new SwitchboardError("unavailable", "the connection dropped before the answer came"));
    }
  }
}

export class Client {
  constructor(options = {}) {
    this.options = { ...defaults, ...options, reconnect: { ...defaults.reconnect, ...(options.reconnect || {}) } };
    const origin = typeof location !== "undefined" ? location.origin : "http://127.0.0.1:8080";
    this.baseUrl = (this.options.url || origin).replace(/\/+$/, "");
    this.WebSocket = this.options.WebSocket || globalThis.WebSocket;
    this.EventSource = this.options.EventSource || globalThis.EventSource;
    this.fetch = this.options.fetch || globalThis.fetch?.bind(globalThis);
    this.rpc = null;
  }

  socketUrl(path) { return this.baseUrl.replace(/^http/, "ws") + path; }
  // Handler paths answer {"type":"ping"}; /rpc speaks only JSON-RPC.
  jsonPings(path) { return path !== this.options.rpcPath; }

  #rpcChannel() {
    if (!this.options.websocket || !this.WebSocket) return null;
    if (!this.rpc) this.rpc = new RpcChannel(this);
    return this.rpc;
  }

  // Opens the /rpc WebSocket (invoke and stream use it once it is open); resolves when it is.
  ready(timeout = 10000) {
    const channel = this.#rpcChannel();
    if (!channel) return Promise.reject(new SwitchboardError("unavailable", "WebSockets are off"));
    if (channel.open) return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      const opened = () => {
        clearTimeout(timer);
        resolve(this);
      };
      const timer = setTimeout(() => {
        channel.connection.off("ws:open", opened);
        reject(new SwitchboardError("timeout", `${this.options.rpcPath} did not open within ${timeout} ms`));
      }, timeout);
      channel.connection.once("ws:open", opened);
    });
  }

  invoke(method, args, { timeout = this.options.timeout, signal, idempotent = false } = {}) {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const channel = this.#rpcChannel();
    const overHttp = () => this.#invokeHttp(method, args, timeout, signal);
    if (!channel?.open) return overHttp();
    const call = channel.call(method, args, undefined, idempotent, overHttp);
    return this.#bounded(call.promise, timeout, signal, () => channel.forget(call.id), method);
  }

  // Rejects with a timeout or abort error, running `giveUp` (which forgets the call) first.
  #bounded(promise, timeout, signal, giveUp, method) {
    if (!timeout && !signal) return promise;
    return new Promise((resolve, reject) => {
      let timer;
      const onAbort = () => finish(() => reject(abortError(signal)), true);
      const finish = (settle, abandon) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (abandon) giveUp();
        settle();
      };
      if (timeout) timer = setTimeout(() => finish(() => reject(new SwitchboardError("timeout", `${method} did not answer within ${timeout} ms`)), true), timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
      promise.then((v) => finish(() => resolve(v)), (e) => finish(() => reject(e)));
    });
  }

  async #invokeHttp(method, args, timeout, signal) {
    if (!this.fetch) throw new SwitchboardError("unavailable", "no fetch implementation (pass options.fetch)");
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = timeout ? setTimeout(() => { timedOut = true; controller.abort(); }, timeout) : undefined;
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.options.token) headers.Authorization = "Bearer " + this.options.token;
    try {
      const response = await this.fetch(`${this.baseUrl}/api/${routeOf(method)}`, {
        method: "POST", headers, body: JSON.stringify(args === undefined ? [] : args), signal: controller.signal,
        credentials: "same-origin",
      });
      const text = await response.text();
      let body;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        throw new SwitchboardError("internal", `${method}: the answer is not JSON (HTTP ${response.status})`);
      }
      if (!response.ok) throw errorFromBody(response.status, body);
      return body;
    } catch (e) {
      if (timedOut) throw new SwitchboardError("timeout", `${method} did not answer within ${timeout} ms`);
      if (signal?.aborted) throw abortError(signal);
      if (e instanceof SwitchboardError) throw e;
      throw new SwitchboardError("unavailable", `${method}: ${e.message}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  // Streams a streaming endpoint's values to onValue(value, event). Returns { stop(), result }: stop()
  // ends it (cancelling it on the server); result resolves with the final value (null for none).
  // With resume: true the stream goes over SSE and survives a dropped connection: EventSource comes
  // back by itself (after the server's retry delay, to whichever instance the address leads to)
  // naming the last id it saw, so an endpoint that resumes after Last-Event-ID loses nothing.
  stream(method, args, onValue, { signal, resume = false } = {}) {
    const channel = resume ? null : this.#rpcChannel();
    let handle;
    if (channel?.open) {
      const call = channel.call(method, args, onValue, false);
      handle = {
        result: call.promise,
        stop: () => channel.cancel(call.id),
      };
    } else {
      handle = this.#streamSse(method, args, onValue, resume);
    }
    if (signal) {
      if (signal.aborted) handle.stop();
      else signal.addEventListener("abort", () => handle.stop(), { once: true });
    }
    return handle;
  }

  #streamSse(method, args, onValue, resume) {
    const Impl = this.EventSource;
    let stop = () => {};
    const result = new Promise((resolve, reject) => {
      if (!Impl) return reject(new SwitchboardError("unavailable", "neither /rpc nor EventSource is available"));
      let url = `${this.baseUrl}/sse/${routeOf(method)}${queryOf(args)}`;
      if (this.options.token) url = withParam(url, this.options.tokenParam, this.options.token);
      const source = new Impl(url, { withCredentials: false });
      let settled = false;
      const end = (settle) => {
        if (settled) return;
        settled = true;
        source.close();
        settle();
      };
      stop = () => end(() => reject(new SwitchboardError("cancelled", `${method}: stopped`)));
      let failures = 0;  // in a row: a value resets it
      source.onmessage = (e) => {
        failures = 0;
        onValue?.(JSON.parse(e.data), "");
      };
      source.addEventListener("end", (e) => end(() => resolve(e.data ? JSON.parse(e.data) : null)));
      source.addEventListener("error", (e) => {
        // An "error" event with data is the server's; one without is the transport failing. When
        // resuming, EventSource is reconnecting (CONNECTING) unless it gave up (a refusal: CLOSED).
        if (e.data) return end(() => reject(errorFromBody(500, JSON.parse(e.data))));
        const reconnecting = source.readyState === (Impl.CONNECTING ?? 0);
        if (resume && reconnecting && ++failures <= this.options.reconnect.maxAttempts) return;
        end(() => reject(new SwitchboardError("unavailable", `${method}: the stream failed`)));
      });
    });
    return { result, stop: () => stop() };
  }

  // A handler-module WebSocket (/ws/<module>/<handler>).
  connect(path, handlers = {}, options = {}) {
    return new Connection(this, path, handlers, options);
  }

  close() {
    this.rpc?.close();
    this.rpc = null;
  }
}

let shared = null;
// The client the module-level functions use: the page's origin, default options.
export function client(options) {
  if (options) {
    shared?.close();
    shared = new Client(options);
  }
  if (!shared) shared = new Client();
  return shared;
}

export function invoke(method, args, options) { return client().invoke(method, args, options); }
export function stream(method, args, onValue, options) { return client().stream(method, args, onValue, options); }
// The same client seen through an app's TypeScript declarations (switchboard.d.ts: TypedClient).
export function typed(c = client()) { return c; }
export function connect(path, handlers, options) { return client().connect(path, handlers, options); }

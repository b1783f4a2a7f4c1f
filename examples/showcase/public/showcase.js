// The showcase page: every form calls its endpoint through switchboard.js, the progress bar follows a
// stream, and the chat room is a handler-module WebSocket.
import { client, invoke, stream, connect, Client } from "/_sb/switchboard.js";

const $ = (selector) => document.querySelector(selector);

function show(output, value) {
  output.classList.remove("error");
  const compact = JSON.stringify(value);
  output.textContent = typeof value === "string" ? value : compact.length <= 60 ? compact : JSON.stringify(value, null, 1);
}
function showError(output, e) {
  output.classList.add("error");
  output.textContent = `${e.kind || "error"}: ${e.message}${e.where ? ` (at ${e.where})` : ""}`;
}

// ---- the transport badge: /rpc when it is open, HTTP otherwise ----
const badge = $("#transport");
function setTransport(open) {
  badge.dataset.state = open ? "websocket" : "http";
  badge.textContent = open ? "WebSocket /rpc" : "HTTP";
}
client().ready().then(() => {
  setTransport(true);
  const rpc = client().rpc.connection;
  rpc.on("ws:open", () => setTransport(true));
  rpc.on("ws:close", () => setTransport(false));
}, () => setTransport(false));

// ---- tools and greet: one form per endpoint, arguments by name ----
function argumentsOf(form) {
  const args = {};
  for (const input of form.querySelectorAll("input[name]")) {
    if (input.dataset.optional !== undefined && input.value === "") continue;
    if (input.dataset.json !== undefined) args[input.name] = JSON.parse(input.value);
    else if (input.type === "number") args[input.name] = input.valueAsNumber;
    else args[input.name] = input.value;
  }
  return args;
}
for (const form of document.querySelectorAll("form[data-method]")) {
  const output = form.querySelector("output");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let args;
    try {
      args = argumentsOf(form);
    } catch (e) {
      return showError(output, { kind: "invalid_argument", message: `not JSON: ${e.message}` });
    }
    output.textContent = "…";
    try {
      show(output, await invoke(form.dataset.method, args, { timeout: 10000 }));
    } catch (e) {
      showError(output, e);
    }
  });
}

// ---- progress: a stream, stoppable ----
const bar = $("#progress-bar"), progressText = $("#progress-text");
const startButton = $("#progress-start"), stopButton = $("#progress-stop");
let running = null;
$("#progress-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  running?.stop();
  const form = event.target;
  bar.value = 0;
  progressText.classList.remove("error");
  progressText.textContent = "starting";
  startButton.disabled = true;
  stopButton.disabled = false;
  const run = stream("progress.count", { n: form.n.valueAsNumber, delay_ms: form.delay_ms.valueAsNumber }, (v) => {
    bar.value = v.percent;
    progressText.textContent = `step ${v.step} of ${v.of} · ${Math.round(v.percent)}%`;
  });
  running = run;
  try {
    await run.result;
    progressText.textContent += " · done";
  } catch (e) {
    if (e.kind === "cancelled") progressText.textContent += " · stopped";
    else showError(progressText, e);
  } finally {
    if (running === run) {
      running = null;
      startButton.disabled = false;
      stopButton.disabled = true;
    }
  }
});
stopButton.addEventListener("click", () => running?.stop());

// ---- chat ----
const log = $("#chat-log"), online = $("#chat-online");
const joinButton = $("#chat-join-button"), leaveButton = $("#chat-leave");
const messageInput = $("#chat-message"), sendButton = $("#chat-send-button");
let room = null;
let people = [];

function line(kind, text, who) {
  const item = document.createElement("li");
  item.className = kind;
  if (who) {
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who;
    item.append(name);
  }
  item.append(document.createTextNode(text));
  log.append(item);
  log.scrollTop = log.scrollHeight;
}
function renderOnline() {
  online.replaceChildren(...people.map((name) => {
    const item = document.createElement("li");
    item.textContent = name;
    return item;
  }));
}
function setJoined(joined) {
  joinButton.disabled = joined;
  leaveButton.disabled = !joined;
  messageInput.disabled = !joined;
  sendButton.disabled = !joined;
  $("#chat-name").disabled = joined;
}

$("#chat-join").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("#chat-name").value.trim();
  joinButton.disabled = true;
  try {
    // The room names people after their session: logging in (over HTTP, which sets the cookie) comes first.
    if (name) await new Client({ websocket: false }).invoke("demo.login", { name });
  } catch (e) {
    line("error", `login failed: ${e.message}`);
    joinButton.disabled = false;
    return;
  }
  // resume: the room keeps a history, so a dropped connection comes back with what it missed.
  room = connect("/ws/chat/public_room", {}, { resume: true });
  room.on("ws:event:welcome", (data) => {
    people = [...data.users];
    renderOnline();
    line("note", `you are ${data.user}`);
    setJoined(true);
  });
  // What was missed comes after the welcome's list: arrivals and departures apply as to a set.
  room.on("ws:event:user_joined", (data) => {
    if (!people.includes(data.user)) people.push(data.user);
    renderOnline();
    line("note", `${data.user} joined`);
  });
  room.on("ws:event:user_left", (data) => {
    const at = people.indexOf(data.user);
    if (at >= 0) people.splice(at, 1);
    renderOnline();
    line("note", `${data.user} left`);
  });
  room.on("ws:event:new_message", (data) => line("message", data.text, data.user));
  room.on("ws:event:error", (data) => line("error", data.error.message));
  room.on("ws:reconnecting", ({ delay }) => line("note", `connection lost; trying again in ${delay} ms`));
  room.on("ws:resumed", ({ complete }) =>
    line("note", complete ? "back: what was said meanwhile follows" : "back: some of what was said meanwhile is lost"));
});

leaveButton.addEventListener("click", () => {
  room?.disconnect();
  room = null;
  people = [];
  renderOnline();
  line("note", "you left");
  setJoined(false);
});

$("#chat-send").addEventListener("submit", (event) => {
  event.preventDefault();
  const message = messageInput.value;
  if (!message || !room) return;
  room.send({ event: "chat_message", data: { message } });
  messageInput.value = "";
  messageInput.focus();
});

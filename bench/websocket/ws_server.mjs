// npm ws's side of run.sh (one Node.js thread, as Node runs it):
//   /room   every connection joins one room; what one sends goes to all
//   other   echo, with the same text/binary flag
//   node ws_server.mjs --port 9004 [--host 127.0.0.1]
// Needs ws: run.sh uses the copy the end-to-end tests install (tests/e2e/node_modules).
import { WebSocketServer } from "ws";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const port = Number(option("--port", "9004"));
const host = option("--host", "127.0.0.1");

const room = new Set();
const server = new WebSocketServer({ host, port, backlog: 4096, maxPayload: 16 << 20, perMessageDeflate: false });
server.on("connection", (socket, request) => {
  if (request.url === "/room") {
    room.add(socket);
    socket.on("close", () => room.delete(socket));
    socket.on("message", (data, isBinary) => {
      for (const member of room) member.send(data, { binary: isBinary });
    });
  } else {
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  }
});
server.on("listening", () => console.log(`listening on ${host}:${port}`));

// The peer: Socket.IO 4 with @socket.io/redis-adapter, doing what the showcase's chat room does.
// A client that emits "join" is put in the room; "chat_message" {message} is broadcast to the room as
// "new_message" {user, text}, through Redis to every instance.
//   node socketio_server.mjs PORT REDIS_URL
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const [port, url] = [Number(process.argv[2]), process.argv[3]];
const pub = createClient({ url });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const http = createServer();
const io = new Server(http, { adapter: createAdapter(pub, sub), transports: ['websocket'] });
io.on('connection', (socket) => {
  socket.on('join', (done) => { socket.join('public_room'); done?.(); });
  socket.on('chat_message', ({ message }) => io.to('public_room').emit('new_message', { user: socket.id, text: message }));
});
http.listen(port, '127.0.0.1', () => process.stderr.write(`socket.io on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));

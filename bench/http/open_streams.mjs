// Holds N server-sent-event streams open for S seconds and reports how many are live (answered 200
// and not ended), and how many bytes came in.
//   node open_streams.mjs URL N S
import http from 'node:http';
const [url, count, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const agent = new http.Agent({ keepAlive: true, maxSockets: count + 10 });
let live = 0, ended = 0, failed = 0, chunks = 0;
for (let i = 0; i < count; ++i) {
  http.get(url, { agent }, (res) => {
    if (res.statusCode !== 200) { ++failed; res.resume(); return; }
    ++live;
    res.on('data', () => { ++chunks; });
    res.on('end', () => { --live; ++ended; });
  }).on('error', () => { ++failed; });
}
const report = () => console.log(`streams live ${live}/${count}, ended ${ended}, failed ${failed}, chunks ${chunks}`);
setTimeout(() => { report(); process.exit(0); }, seconds * 1000);
process.on('SIGTERM', () => { report(); process.exit(0); });

// Holds N server-sent-event streams open for S seconds and reports how many connected.
//   node open_streams.mjs URL N S
import http from 'node:http';
const [url, count, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const agent = new http.Agent({ keepAlive: true, maxSockets: count + 10 });
let open = 0, events = 0, failed = 0;
for (let i = 0; i < count; ++i) {
  http.get(url, { agent }, (res) => {
    if (res.statusCode === 200) ++open; else ++failed;
    res.on('data', () => { ++events; });
  }).on('error', () => { ++failed; });
}
const report = () => console.log(`streams open ${open}/${count}, failed ${failed}, chunks received ${events}`);
setTimeout(report, 8000);
setTimeout(() => { report(); process.exit(0); }, seconds * 1000);

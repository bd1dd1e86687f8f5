// End-to-end latency of SPEC job 4 (bench/submissions.sh): POST a new formula, then wait
// for the consumer's file ({id}.json, written by formulas-to-files); one at a time, N
// times. Prints one JSON line: the accept latency (POST to 202) and the end-to-end
// latency (202 to the consumer's file), p50/p99/max in ms.
//   node submissions_e2e.mjs URL KEY OUT_DIR N
import {existsSync} from 'node:fs';

const [url, key, dir, count] = process.argv.slice(2);
const accept = [], e2e = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < Number(count); i++) {
  const body = JSON.stringify({name: `E2E ${i}`, materials: [{name: `Probe ${process.pid}-${i}-${Date.now()}`, concentration: 1}]});
  const t0 = performance.now();
  const r = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', 'x-api-key': key}, body});
  const t1 = performance.now();
  const {id} = await r.json();
  if (r.status !== 202) throw new Error(`status ${r.status}`);
  while (!existsSync(`${dir}/${id}.json`)) await sleep(1);
  const t2 = performance.now();
  accept.push(t1 - t0);
  e2e.push(t2 - t1);
  await sleep(20);
}
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1); };
console.log(JSON.stringify({
  n: accept.length,
  accept_ms: {p50: q(accept, 0.5), p99: q(accept, 0.99), max: q(accept, 1)},
  e2e_ms: {p50: q(e2e, 0.5), p99: q(e2e, 0.99), max: q(e2e, 1)},
}));

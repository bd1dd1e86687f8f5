// autocannon against an intake endpoint (bench/submissions.sh): formulas with unique
// materials, or every other one a copy of one formula (--dup 0.5: half the requests are
// duplicates in substance). Prints one JSON line: requests/s, latency p50/p99 (ms), and
// the count of each status.
//   node submissions_load.mjs URL KEY DURATION_S CONNECTIONS DUP_FRACTION
import {createRequire} from 'node:module';

// autocannon is installed with the test servers (scripts/install-test-servers.sh).
const autocannon = createRequire(new URL('../tests/servers/package.json', import.meta.url))('autocannon');

const [url, key, duration, connections, dup] = process.argv.slice(2);
let n = 0;
const formula = (i) => JSON.stringify({
  name: `Formula ${i}`,
  materials: [{name: `Material ${i}`, concentration: 10.5}, {name: 'Bergamot oil', concentration: 2.25},
              {name: 'Oakmoss', concentration: (Math.abs(i) % 50) + 0.5}],
});
// The same formula every time (a duplicate after its first), under other names.
const duplicate = JSON.stringify({name: 'The duplicate', materials: [{name: 'Vetiver', concentration: 30},
                                                                     {name: 'Iris', concentration: 4.5}]});
const every = Number(dup) > 0 ? Math.round(1 / Number(dup)) : 0;
const statuses = {};
const result = await autocannon({
  url, connections: Number(connections), duration: Number(duration),
  requests: [{
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-api-key': key},
    setupRequest: (req) => {
      const i = n++;
      req.body = every && i % every === 0 ? duplicate : formula(i + Math.floor(Math.random() * 1e9) * 1000);
      return req;
    },
    onResponse: (status) => { statuses[status] = (statuses[status] || 0) + 1; },
  }],
});
console.log(JSON.stringify({
  rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99,
  requests: result.requests.total, statuses, errors: result.errors, timeouts: result.timeouts,
}));

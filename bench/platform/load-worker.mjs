// A second process that loads one API route on loopback, bounded in count and time, and prints what it measured.
//   node bench/platform/load-worker.mjs '{"baseUrl":…,"token":…,"method":"GET","path":…,"requests":500,"concurrency":8,"maxSeconds":30}'
// stdout: one JSON line { latenciesMs, statuses, seconds, completed }. Warm-up requests are sent but not recorded.

const config = JSON.parse(process.argv[2] ?? "{}");
const { baseUrl, token, method, path, body, requests, concurrency, maxSeconds, warmup = 5 } = config;
if (!baseUrl || !path || !(requests > 0) || !(concurrency > 0) || !(maxSeconds > 0)) {
  console.error("load-worker: give baseUrl, path, requests, concurrency and maxSeconds as JSON");
  process.exit(2);
}
const headers = {
  authorization: `Bearer ${token}`,
  ...(body === undefined ? {} : { "content-type": "application/json" }),
};
const payload = body === undefined ? undefined : JSON.stringify(body);

async function once() {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

for (let i = 0; i < warmup; i++) await once();
/** @type {number[]} */
const latenciesMs = [];
/** @type {Record<string, number>} */
const statuses = {};
const deadline = performance.now() + maxSeconds * 1000;
let issued = 0;
const started = performance.now();
async function lane() {
  while (issued < requests && performance.now() < deadline) {
    issued += 1;
    try {
      const { status, ms } = await once();
      latenciesMs.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    } catch {
      statuses.error = (statuses.error ?? 0) + 1;
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ latenciesMs, statuses, seconds, completed: latenciesMs.length }));

// A second process holding N concurrent SSE subscriptions to one job's events, bounded in time.
//   node bench/platform/sse-worker.mjs '{"url":…,"token":…,"subscribers":200,"expect":100,"marker":"bench-…","maxSeconds":60}'
// stdout: the line `ready` once every subscription has its first bytes, then one JSON line with, per subscriber,
// the receipt lag (ms) of each `log` event whose message starts with `marker` (lag = receipt − the event's ts).
import { readSse } from "./sse.mjs";

const { url, token, subscribers, expect, marker, maxSeconds } = JSON.parse(process.argv[2] ?? "{}");
if (!url || !(subscribers > 0) || !(expect > 0) || !marker || !(maxSeconds > 0)) {
  console.error("sse-worker: give url, token, subscribers, expect, marker and maxSeconds as JSON");
  process.exit(2);
}
const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), maxSeconds * 1000);
let opened = 0;
let complete = 0;
/** @type {number[][]} */
const lags = Array.from({ length: subscribers }, () => []);
/** @type {number[]} */
const receipts = [];
/** @type {string[]} */
const failures = [];

const subscriptions = lags.map((mine) =>
  readSse(url, {
    token,
    signal: controller.signal,
    onOpen: () => {
      opened += 1;
      if (opened === subscribers) console.log("ready");
    },
    onMessage: (message) => {
      if (message.event !== "log") return;
      const event = JSON.parse(message.data);
      if (typeof event.message !== "string" || !event.message.startsWith(marker)) return;
      mine.push(message.receivedAt - Date.parse(event.ts));
      receipts.push(message.receivedAt);
      if (mine.length === expect) {
        complete += 1;
        if (complete === subscribers) controller.abort();
      }
    },
  }).catch((error) => failures.push(String(error?.message ?? error))),
);
await Promise.all(subscriptions);
clearTimeout(timer);
console.log(
  JSON.stringify({
    opened,
    complete,
    lags,
    firstReceipt: Math.min(...receipts),
    lastReceipt: Math.max(...receipts),
    failures: failures.slice(0, 5),
  }),
);

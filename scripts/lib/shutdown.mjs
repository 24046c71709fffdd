import { killRunning } from "./run.mjs";

/** Stop actions, run last-registered first: apps stop before the Redis and PostgreSQL they use. */
/** @type {{ name: string, stop: () => Promise<void> | void }[]} */
const stops = [];
/** @type {Promise<void> | undefined} */
let stopping;

/**
 * Registers how to stop something this run started.
 * @param {string} name shown if stopping it fails
 * @param {() => Promise<void> | void} stop
 */
export function onShutdown(name, stop) {
  stops.push({ name, stop });
}

/** Whether a shutdown has begun: processes exiting then are being stopped, not dying. */
export const shuttingDown = () => stopping !== undefined;

/** Stops everything registered, newest first, once; later calls wait for the same shutdown. */
export function shutdown() {
  stopping ??= (async () => {
    killRunning();
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(`could not stop ${name}: ${error instanceof Error ? error.message : error}`);
      }
    }
  })();
  return stopping;
}

/**
 * Ctrl-C or a TERM stops every process this run started, then exits with the signal's conventional code.
 * A second signal while stopping exits at once (servers left behind are reused by the next run).
 * So does the death of the parent: `npm` exits on a TERM without passing it on, which would orphan everything.
 * npm passes an INT or a TERM sent to it alone only to its direct child, which is why package.json runs these
 * scripts with `exec node …`: without the exec that child is the `sh -c` npm runs scripts in, which ignores it.
 */
export function stopOnSignals() {
  let received = 0;
  /** @param {string} why @param {number} code */
  const stop = (why, code) => {
    received += 1;
    if (received > 1) process.exit(code);
    console.error(`\n${why}: stopping everything dpsynth started…`);
    shutdown().then(() => process.exit(code));
  };
  for (const [signal, code] of /** @type {const} */ ([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ])) {
    process.on(signal, () => stop(signal, code));
  }
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && received === 0) stop("the parent process exited", 129);
  }, 1_000).unref();
}

/**
 * The control plane: `npm start -w @dpsynth/control` (or `tsx services/control/src/main.ts`).
 * Persists trainer events, settles the privacy ledger, turns cancel requests and dead trainers into ended
 * jobs. Reads DATABASE_URL, REDIS_URL, optional CONTROL_PORT (health endpoint, `GET /healthz`) and
 * DPSYNTH_QUEUE_PREFIX; see config.ts.
 */
import { createServer } from "node:http";
import { ConfigError, loadConfig } from "./config.ts";
import { startControl } from "./control.ts";
import { createLogger, errorFields } from "./log.ts";

const log = createLogger("control");

async function main(): Promise<void> {
  const config = loadConfig();
  const control = await startControl(config, { log });

  const server = config.CONTROL_PORT
    ? createServer((request, response) => {
        if (request.url !== "/healthz") {
          response.writeHead(404).end();
          return;
        }
        control.health().then((health) => {
          response.writeHead(health.ok ? 200 : 503, { "content-type": "application/json" });
          response.end(JSON.stringify(health));
        });
      }).listen(config.CONTROL_PORT, () => log.info("health endpoint listening", { port: config.CONTROL_PORT }))
    : null;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    server?.close();
    await control.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error) => {
  if (error instanceof ConfigError) log.error(error.message);
  else log.error("control plane failed to start", errorFields(error));
  process.exit(1);
});

// `npm start`: set up whatever is missing, then run dpsynth (web, control, one CPU trainer) until Ctrl-C.
import { join } from "node:path";
import { readAccounts } from "./lib/credentials.mjs";
import { shutdown, shuttingDown, stopOnSignals } from "./lib/shutdown.mjs";
import { migrate, prepare, seed, startApps } from "./lib/stack.mjs";
import { ensureWebBuild } from "./lib/web-build.mjs";

stopOnSignals();
try {
  const { config, env } = await prepare("start");
  await migrate(env);
  await seed(env);
  let built = true;
  try {
    await ensureWebBuild(join(config.root, "stamps"), env);
  } catch (error) {
    built = false;
    console.error(`web: not started, because ${error instanceof Error ? error.message : error}`);
  }
  const { processes, webUp } = await startApps(config, env, { withWeb: built });

  const credentials = join(config.home, "credentials.json");
  console.log("");
  if (webUp) console.log(`dpsynth is up: ${config.nextauthUrl}`);
  else
    console.error(`dpsynth is up WITHOUT the web app (see the web lines above); it would serve ${config.nextauthUrl}`);
  for (const account of readAccounts(credentials)) console.log(`  ${account.name}: ${account.email}`);
  console.log(`  passwords and API tokens: ${credentials} (mode 600)`);
  console.log("Ctrl-C stops everything; the data stays in", config.home);
  console.log("");

  await Promise.all(processes.map((app) => app.exited));
  // After Ctrl-C the signal handler is already stopping everything and exits with its own code.
  if (!shuttingDown()) console.error("every dpsynth process has exited; stopping PostgreSQL and Redis");
  await shutdown();
  process.exit(1);
} catch (error) {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : error}`);
  await shutdown();
  process.exit(1);
}

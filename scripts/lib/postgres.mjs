import { chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { livePid } from "./pid-file.mjs";
import { mustRun, run } from "./run.mjs";
import { isRoot, postgresBinDir, systemUser, tailOf } from "./system.mjs";

const DATABASE = "dpsynth";
const ROLE = "dpsynth";

/**
 * The project's own PostgreSQL with its data in `dir` (data/, the unix socket in run/, postgres.log), listening on
 * 127.0.0.1:`port`. A server already running on this data directory (a previous start) is reused. PostgreSQL
 * refuses to run as root, so as root it runs as the `postgres` user that Debian's package creates. Local socket
 * connections are trusted (for this bootstrap); TCP needs the `dpsynth` role's password.
 * @param {{ dir: string, port: number, password: string, fresh: boolean }} options
 *   fresh: drop and recreate the database (the test run starts from an empty one)
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function ensurePostgres({ dir, port, password, fresh }) {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/postgres)");
  const data = join(dir, "data");
  const socketDir = join(dir, "run");
  const log = join(dir, "postgres.log");
  mkdirSync(socketDir, { recursive: true });
  const asOwner = ownerRunner();
  await asOwner.prepare([dir, socketDir]);

  if (!existsSync(join(data, "PG_VERSION"))) {
    console.log(`creating a PostgreSQL cluster in ${data}…`);
    await mustRun(
      "initdb",
      ...asOwner.command(join(bin, "initdb"), [
        "-D",
        data,
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-locale",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
      ]),
      { capture: true },
    );
  }

  const running = livePid(join(data, "postmaster.pid"), ["postgres", "postmaster"]);
  if (running !== undefined) {
    const runningPort = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[3]);
    if (runningPort !== port) {
      throw new Error(`PostgreSQL from an earlier run is still serving ${data} on port ${runningPort}, not ${port}.
  Stop it first: ${asOwner.command(join(bin, "pg_ctl"), ["-D", data, "stop"]).flat().join(" ")}`);
    }
    console.log(`reusing PostgreSQL already running on port ${port} (pid ${running})`);
  } else {
    const options = `-p ${port} -k '${socketDir}' -c listen_addresses=127.0.0.1`;
    const started = await run(
      ...asOwner.command(join(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"]),
      { capture: true },
    );
    if (started.code !== 0) throw new Error(`PostgreSQL did not start on port ${port}:\n${tailOf(log)}`);
  }

  const psql = (/** @type {string} */ sql) =>
    mustRun(
      "psql",
      join(bin, "psql"),
      [
        "-h",
        socketDir,
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
        "-qAt",
        "-c",
        sql,
      ],
      { capture: true },
    );
  if (fresh) await psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  const roleExists = (await psql(`SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}'`)).output.trim() === "1";
  // The password is hex (see secret.mjs), so it is safe inside a SQL literal.
  await psql(`${roleExists ? "ALTER" : "CREATE"} ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${password}'`);
  const dbExists = (await psql(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`)).output.trim() === "1";
  if (!dbExists) await psql(`CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);

  return {
    url: `postgresql://${ROLE}:${password}@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {
      await mustRun("pg_ctl stop", ...asOwner.command(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]), {
        capture: true,
      });
    },
  };
}

/**
 * @typedef {object} OwnerRunner
 * @property {(dirs: string[]) => Promise<void>} prepare  hands the directories to the user PostgreSQL runs as
 * @property {(program: string, args: string[]) => [string, string[]]} command  a program run as that user
 */

/**
 * How to run PostgreSQL's programs: as root, through `runuser -u postgres` on directories it owns.
 * @returns {OwnerRunner}
 */
function ownerRunner() {
  if (!isRoot()) return { prepare: async () => {}, command: (program, args) => [program, args] };
  const owner = systemUser("postgres");
  return {
    /** @param {string[]} dirs */
    prepare: async (dirs) => {
      for (const dir of dirs) chownSync(dir, owner.uid, owner.gid);
      const reachable = await run("runuser", ["-u", "postgres", "--", "test", "-w", dirs[0] ?? ""]);
      if (reachable.code !== 0) {
        throw new Error(`PostgreSQL runs as the postgres user, which cannot reach ${dirs[0]}: a parent directory is closed
  to other users (such as /root). Clone dpsynth elsewhere (e.g. /srv or /opt), or set DATABASE_URL to a server of yours.`);
      }
    },
    command: (program, args) => ["runuser", ["-u", "postgres", "--", program, ...args]],
  };
}

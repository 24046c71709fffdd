import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureGoBuild } from "./go.mjs";
import { recordedProcess, recordProcess } from "./pid-file.mjs";
import { killGroup } from "./run.mjs";
import { readOrCreateSecret } from "./secret.mjs";
import { onShutdown } from "./shutdown.mjs";
import { tailOf } from "./system.mjs";
import { waitFor } from "./wait.mjs";

/**
 * The S3 server of the test stack: SeaweedFS, built from its Go module (no prebuilt binary can be fetched here).
 * A pseudo-version, because that is what the Go module proxy serves of this module.
 */
export const SEAWEEDFS_VERSION = "v0.0.0-20261109003541-7506e5f91cd6";
const MODULE = "github.com/seaweedfs/seaweedfs";
/** The bucket the test stack's blobs go to, under the `blobs` prefix. */
export const TEST_BUCKET = "dpsynth-test";
const REGION = "us-east-1";

/**
 * `weed` built once into `toolsDir/seaweedfs/<version>/`.
 * @param {string} toolsDir
 * @returns {Promise<string>} the binary's path
 */
export function ensureWeed(toolsDir) {
  return ensureGoBuild({
    name: "SeaweedFS (the test stack's S3 server)",
    module: MODULE,
    version: SEAWEEDFS_VERSION,
    pkg: "./weed",
    binary: join(toolsDir, "seaweedfs", SEAWEEDFS_VERSION, "weed"),
    otherwise: "give the tests a store of your own with BLOB_STORE_URL (file:/// or s3:// and AWS_* variables)",
  });
}

/**
 * The ports one SeaweedFS uses, from its S3 port: master, volume and filer just above it; each gRPC port is its
 * HTTP port + 10000 (SeaweedFS' own rule, given explicitly).
 * @param {number} s3
 */
export function seaweedPorts(s3) {
  return { s3, master: s3 + 1, volume: s3 + 2, filer: s3 + 3 };
}

/**
 * Starts SeaweedFS (`weed server -s3`: master, volume, filer and S3 gateway in one process) on 127.0.0.1 with its
 * data in `dir`, one identity whose keys are given, and creates `bucket`. A server a killed run left on this
 * directory is stopped first. Returns the environment S3 clients need and how to stop it.
 * @param {{ weed: string, dir: string, port: number, accessKey: string, secretKey: string, bucket: string, fresh: boolean }} options
 *   fresh: start from empty data (the test run starts clean)
 */
export async function ensureSeaweed({ weed, dir, port, accessKey, secretKey, bucket, fresh }) {
  const pidFile = join(dir, "weed.pid");
  const leftover = recordedProcess(pidFile);
  if (leftover !== undefined) await stopWeed(leftover);
  if (fresh) rmSync(join(dir, "data"), { recursive: true, force: true });
  mkdirSync(join(dir, "data"), { recursive: true, mode: 0o700 });
  const config = join(dir, "s3.json");
  const identity = {
    name: "dpsynth",
    credentials: [{ accessKey, secretKey }],
    actions: ["Admin", "Read", "Write", "List", "Tagging"],
  };
  writeFileSync(config, JSON.stringify({ identities: [identity] }), { mode: 0o600 });

  const ports = seaweedPorts(port);
  const log = join(dir, "weed.log");
  const out = openSync(log, "a", 0o600);
  // biome-ignore format: one option per line reads best
  const child = spawn(weed, [
    "server",
    "-ip", "127.0.0.1",
    "-ip.bind", "127.0.0.1",
    "-dir", join(dir, "data"),
    "-master.port", String(ports.master),
    "-master.port.grpc", String(ports.master + 10000),
    "-master.telemetry=false",
    // Small volumes, and enough of them: the default 30 GB volumes fill a small disk's auto-computed quota at once.
    "-master.volumeSizeLimitMB", "64",
    "-volume.max", "64",
    "-volume.port", String(ports.volume),
    "-volume.port.grpc", String(ports.volume + 10000),
    "-filer.port", String(ports.filer),
    "-filer.port.grpc", String(ports.filer + 10000),
    "-filer.localSocket", join(dir, "filer.sock"),
    "-s3",
    "-s3.port", String(ports.s3),
    "-s3.port.grpc", String(ports.s3 + 10000),
    "-s3.port.iceberg", "0",
    "-s3.port.lance", "0",
    "-s3.localSocket", join(dir, "s3.sock"),
    "-s3.config", config,
  ], { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${weed}`);
  recordProcess(pidFile, child.pid);

  const env = {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${ports.s3}`,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: secretKey,
  };
  const { CreateBucketCommand, S3Client } = await import("@aws-sdk/client-s3");
  const client = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
  });
  /** @type {unknown} */
  let lastError;
  const created = await waitFor(
    async () => {
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        return true;
      } catch (error) {
        lastError = error;
        return /** @type {{ name?: string }} */ (error).name === "BucketAlreadyOwnedByYou";
      }
    },
    120_000,
    1_000,
  );
  client.destroy();
  if (!created) {
    await stopWeed(child.pid);
    throw new Error(`SeaweedFS did not serve S3 on port ${ports.s3} (${String(lastError)}):\n${tailOf(log)}`);
  }
  return { env, stop: () => stopWeed(/** @type {number} */ (child.pid)) };
}

/** @param {number} pid */
async function stopWeed(pid) {
  killGroup(pid);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!(await waitFor(async () => !alive(), 15_000, 200))) killGroup(pid, "SIGKILL");
}

/**
 * The test stack's own S3 server, for a config whose `s3Port` is set: built if need be, started fresh with its
 * data in `home/s3`, its keys generated once (mode 600) like the other servers' passwords, stopped by `shutdown()`.
 * Returns the AWS variables every app and test process gets.
 * @param {import("./config.mjs").Config} config
 */
export async function startOwnS3(config) {
  const { OWN_S3 } = await import("./config.mjs");
  const port = /** @type {number} */ (config.s3Port);
  const dir = join(config.home, "s3");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = await ensureSeaweed({
    weed: await ensureWeed(join(config.root, "tools")),
    dir,
    port,
    accessKey: readOrCreateSecret(join(dir, "access-key"), 10),
    secretKey: readOrCreateSecret(join(dir, "secret-key"), 20),
    bucket: OWN_S3.bucket,
    fresh: true,
  });
  onShutdown("SeaweedFS", server.stop);
  console.log(`S3 (SeaweedFS): 127.0.0.1:${port}, bucket ${OWN_S3.bucket}, data in ${dir}`);
  return server.env;
}

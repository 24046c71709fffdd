import { lstatSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { stackEnv } from "./support/stack.ts";
import { tally } from "./support/tally.ts";

/** What an operator expects of a local install: reachable only from this machine, closed data, a Redis password. */

describe("the running stack", () => {
  it("serves the web app on the loopback address only", async () => {
    const { baseUrl } = stackEnv();
    const port = new URL(baseUrl).port;
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === "IPv4")
      .map((address) => address?.address as string);
    expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
    for (const address of external) {
      const reached = await fetch(`http://${address}:${port}/login`, { signal: AbortSignal.timeout(3_000) }).then(
        () => true,
        () => false,
      );
      expect(reached, `reachable on ${address}`).toBe(false);
    }
  });

  it("keeps Redis closed to a client without the password", async () => {
    const url = new URL(process.env.REDIS_URL as string);
    expect(url.password).toMatch(/^[0-9a-f]{32,}$/);
    // What any local process gets without the password: Redis' own refusal, in its own protocol.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        resolve(String(data));
        socket.destroy();
      });
      socket.once("error", reject);
    });
    expect(reply).toMatch(/^-NOAUTH/);
    const client = new Redis(url.href, { maxRetriesPerRequest: 1 });
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
    tally.answer(200);
  });

  // The test stack keeps its blobs in its own S3 server (SeaweedFS); a stack given another store has none to check.
  it.skipIf(!process.env.AWS_ENDPOINT_URL_S3?.startsWith("http://127.0.0.1:"))(
    "keeps its S3 server on the loopback address and closed to a request without its keys",
    async () => {
      const endpoint = new URL(process.env.AWS_ENDPOINT_URL_S3 as string);
      const bucket = new URL(process.env.BLOB_STORE_URL as string).hostname;
      const anonymous = await fetch(`${endpoint.origin}/${bucket}/?list-type=2`);
      expect(anonymous.status).toBe(403);
      expect(await anonymous.text()).toMatch(/AccessDenied/);
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address && !address.internal && address.family === "IPv4")
        .map((address) => address?.address as string);
      for (const address of external) {
        const reached = await fetch(`http://${address}:${endpoint.port}/`, { signal: AbortSignal.timeout(3_000) }).then(
          () => true,
          () => false,
        );
        expect(reached, `reachable on ${address}`).toBe(false);
      }
      tally.answer(403);
    },
  );

  it("writes its data 0600 and its directories 0700: databases, blobs, checkpoints, artifacts, logs", () => {
    const { home } = stackEnv();
    const open: string[] = [];
    let files = 0;
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const stat = lstatSync(path);
        if (stat.isSymbolicLink()) continue;
        const mode = stat.mode & 0o777;
        if (stat.isDirectory()) {
          if (mode !== 0o700) open.push(`${path} ${mode.toString(8)}`);
          // PostgreSQL's own directory: initdb makes it 0700 and it belongs to the postgres user. The S3 server's
          // volumes likewise: their directory is 0700, and SeaweedFS writes each volume's small info file 0644.
          if (path !== join(home, "pg") && path !== join(home, "s3", "data")) walk(path);
        } else if (stat.isSocket()) {
          // A Unix socket (the S3 server's filer and s3 ones) carries no data; what matters is that only we reach it.
          if (mode & 0o077) open.push(`${path} ${mode.toString(8)}`);
        } else {
          files += 1;
          if (mode !== 0o600) open.push(`${path} ${mode.toString(8)}`);
        }
      }
    };
    walk(home);
    expect(files).toBeGreaterThan(10); // blobs of uploads and jobs (or the S3 server's volumes), Redis' files, …
    expect(open).toEqual([]);
  });
});

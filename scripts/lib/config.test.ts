import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "./config.mjs";

const repo = "/srv/dpsynth";

describe("resolveConfig", () => {
  it("gives each mode its own ports and state directory, and both the same model cache", () => {
    const start = resolveConfig("start", {}, repo);
    const test = resolveConfig("test", {}, repo);
    expect(start.ports).toEqual({ web: 3000, pg: 55432, redis: 56379 });
    expect(test.ports).toEqual({ web: 3100, pg: 55433, redis: 56380, oidc: 3300 });
    expect(start.home).toBe("/srv/dpsynth/.dpsynth");
    expect(test.home).toBe("/srv/dpsynth/.dpsynth/test");
    expect(start.modelCache).toBe("/srv/dpsynth/.dpsynth/models");
    expect(test.modelCache).toBe(start.modelCache);
    // Tests run on their own S3 server; `npm start` keeps its blobs on the local disk.
    expect(test.blobStoreUrl).toBe("s3://dpsynth-test/blobs");
    expect(test.s3Port).toBe(8333);
    expect(start.blobStoreUrl).toBe("file:///srv/dpsynth/.dpsynth/blobs");
    expect(start.s3Port).toBeUndefined();
    expect(test.nextauthUrl).toBe("http://localhost:3100");
    expect(start.device).toBe("cpu");
    expect(start.databaseUrl).toBeUndefined();
    // Reachable from this machine only, unless DPSYNTH_WEB_HOST says otherwise.
    expect([start.webHost, test.webHost]).toEqual(["127.0.0.1", "127.0.0.1"]);
    expect(resolveConfig("start", { DPSYNTH_WEB_HOST: "0.0.0.0" }, repo).webHost).toBe("0.0.0.0");
    expect(() => resolveConfig("start", { DPSYNTH_WEB_HOST: "0.0.0.0; rm -rf /" }, repo)).toThrow(/DPSYNTH_WEB_HOST/);
  });

  it("takes ports, servers and paths from the environment", () => {
    const config = resolveConfig(
      "test",
      {
        DPSYNTH_WEB_PORT: "4100",
        DPSYNTH_PG_PORT: "5999",
        DPSYNTH_REDIS_PORT: "6999",
        DPSYNTH_OIDC_PORT: "7999",
        DPSYNTH_HOME: "state",
        DATABASE_URL: "postgresql://u:p@db:5432/x",
        REDIS_URL: "redis://cache:6379",
      },
      repo,
    );
    expect(config.ports).toEqual({ web: 4100, pg: 5999, redis: 6999, oidc: 7999 });
    expect(config.home).toBe("/srv/dpsynth/state/test");
    expect(config.nextauthUrl).toBe("http://localhost:4100");
    expect(config.databaseUrl).toBe("postgresql://u:p@db:5432/x");
    expect(config.redisUrl).toBe("redis://cache:6379");
    expect(resolveConfig("test", { DPSYNTH_S3_PORT: "8433" }, repo).s3Port).toBe(8433);
    // A store of one's own replaces the test stack's S3 server.
    expect(resolveConfig("test", { BLOB_STORE_URL: "file:///tmp/blobs" }, repo)).toMatchObject({
      blobStoreUrl: "file:///tmp/blobs",
      s3Port: undefined,
    });
  });

  it("treats empty variables as unset, as a copied .env.example leaves them", () => {
    expect(resolveConfig("start", { DATABASE_URL: "", DPSYNTH_WEB_PORT: "" }, repo)).toMatchObject({
      databaseUrl: undefined,
      ports: { web: 3000 },
    });
  });

  it("stops on malformed variables, naming each and never echoing its value", () => {
    const env = {
      DPSYNTH_PG_PORT: "70000",
      DPSYNTH_WEB_PORT: "web",
      DATABASE_URL: "mysql://root:hunter2@db/x",
      BLOB_STORE_URL: "relative/dir",
      NEXTAUTH_SECRET: "short-secret",
      DPSYNTH_DEVICE: "tpu",
    };
    let error: unknown;
    try {
      resolveConfig("start", env, repo);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of Object.keys(env)) expect(message).toContain(`${name}: `);
    for (const value of Object.values(env)) expect(message).not.toContain(value);
    expect(message).toContain("DPSYNTH_PG_PORT: must be a whole number from 1 to 65535");
  });
});

import { QUEUE } from "@dpsynth/contracts";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const valid = {
  DATABASE_URL: "postgresql://u@localhost:5432/db",
  REDIS_URL: "redis://localhost:6379",
  NEXTAUTH_SECRET: "a-secret-of-enough-length",
  DPSYNTH_HOME: "/srv/dpsynth",
};

describe("loadConfig", () => {
  it("fills defaults from DPSYNTH_HOME and switches OIDC on only when all three variables are set", () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      home: "/srv/dpsynth",
      queuePrefix: QUEUE.prefix,
      blobStoreUrl: "file:///srv/dpsynth/blobs",
      uploadLimitBytes: 50 * 1024 * 1024,
      defaultBudget: { epsilon: 10, delta: 1e-5 },
      oidc: null,
    });
    expect(loadConfig({ ...valid, OIDC_ISSUER: "https://id.example.test" }).oidc).toBeNull();
    const oidc = { OIDC_ISSUER: "https://id.example.test", OIDC_CLIENT_ID: "web", OIDC_CLIENT_SECRET: "s" };
    expect(loadConfig({ ...valid, ...oidc }).oidc).toEqual({
      issuer: "https://id.example.test",
      clientId: "web",
      clientSecret: "s",
    });
  });

  it("takes the BullMQ prefix from DPSYNTH_QUEUE_PREFIX, the variable the control plane and trainers read", () => {
    expect(loadConfig({ ...valid, DPSYNTH_QUEUE_PREFIX: "staging" }).queuePrefix).toBe("staging");
    expect(loadConfig({ ...valid, DPSYNTH_QUEUE_PREFIX: "" }).queuePrefix).toBe(QUEUE.prefix);
  });

  it("trusts no proxy's X-Forwarded-For unless DPSYNTH_TRUSTED_PROXIES says how many sit in front", () => {
    expect(loadConfig(valid).trustedProxies).toBe(0);
    expect(loadConfig({ ...valid, DPSYNTH_TRUSTED_PROXIES: "1" }).trustedProxies).toBe(1);
    expect(() => loadConfig({ ...valid, DPSYNTH_TRUSTED_PROXIES: "-1" })).toThrow(/DPSYNTH_TRUSTED_PROXIES/);
  });

  it("takes the public origin that browser requests must come from from NEXTAUTH_URL", () => {
    expect(loadConfig(valid).publicOrigin).toBeNull();
    expect(loadConfig({ ...valid, NEXTAUTH_URL: "https://dpsynth.example.test/app" }).publicOrigin).toBe(
      "https://dpsynth.example.test",
    );
  });

  it("names the variable and the rule, never the value", () => {
    const secret = "short";
    const bad = () => loadConfig({ ...valid, NEXTAUTH_SECRET: secret, REDIS_URL: "http://nope" });
    expect(bad).toThrow(/NEXTAUTH_SECRET: must be at least 16 characters/);
    expect(bad).toThrow(/REDIS_URL: must be a redis:\/\/ URL/);
    try {
      loadConfig({ ...valid, NEXTAUTH_SECRET: secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(`"${secret}"`);
    }
    expect(() => loadConfig({ ...valid, DPSYNTH_UPLOAD_LIMIT_MB: "-3" })).toThrow(/DPSYNTH_UPLOAD_LIMIT_MB/);
  });
});

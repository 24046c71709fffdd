import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUEUE, queueFor } from "@dpsynth/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { resolveConfig } from "./config.mjs";
import { ensureHelm } from "./helm.mjs";
import { REPO_ROOT } from "./repo.mjs";

// The chart in infra/helm/dpsynth, linted and rendered by the Helm that `npm test`'s set-up builds (DPSYNTH_HELM);
// run alone, this file builds it into the usual tools directory (minutes, once).
const CHART = join(REPO_ROOT, "infra/helm/dpsynth");
const RELEASE = "t";
const FULLNAME = `${RELEASE}-dpsynth`;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: { sizeLimit?: string; medium?: string };
}
interface Container {
  name: string;
  env?: EnvVar[];
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> };
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    scaleTargetRef?: { name: string };
    advanced?: { scalingModifiers: { target: string } };
    triggers?: { metadata: { listName: string; listLength: string } }[];
  };
}

let helmBinary: string;
let helmHome: string;

beforeAll(async () => {
  helmBinary =
    process.env.DPSYNTH_HELM ?? (await ensureHelm(join(resolveConfig("test", process.env, REPO_ROOT).root, "tools")));
  // Helm's own config, cache and data, so nothing is read from or written to the user's.
  helmHome = mkdtempSync(join(tmpdir(), "dpsynth-helm-"));
}, 15 * 60_000);

/** `helm <args>` with the values given as a file; its exit status and output. */
function helm(args: string[], values: object = {}) {
  const file = join(mkdtempSync(join(tmpdir(), "dpsynth-values-")), "values.json");
  writeFileSync(file, JSON.stringify(values));
  const result = spawnSync(helmBinary, [...args, "--values", file], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      HELM_CACHE_HOME: join(helmHome, "cache"),
      HELM_CONFIG_HOME: join(helmHome, "config"),
      HELM_DATA_HOME: join(helmHome, "data"),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every object the chart renders with `values`, each document parsed as YAML without an error. */
function render(values: object = {}): K8sObject[] {
  const { status, stdout, stderr } = helm(["template", RELEASE, CHART], values);
  expect(stderr, "helm template's errors").toBe("");
  expect(status).toBe(0);
  const documents = parseAllDocuments(stdout);
  if (!Array.isArray(documents)) throw new Error("helm template rendered no YAML documents");
  for (const document of documents) expect(document.errors.map(String)).toEqual([]);
  const objects = documents.map((document) => document.toJS() as K8sObject | null).filter((object) => object !== null);
  for (const object of objects) {
    expect(object.apiVersion).toEqual(expect.any(String));
    expect(object.kind).toEqual(expect.any(String));
    expect(object.metadata.name).toEqual(expect.any(String));
  }
  return objects;
}

const named = (objects: K8sObject[], kind: string, name: string) => {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) {
    const rendered = objects.map((other) => `${other.kind}/${other.metadata.name}`).join(", ");
    throw new Error(`no ${kind} ${name} among ${rendered}`);
  }
  return object;
};
const podSpec = (object: K8sObject) => {
  const spec = object.spec?.template?.spec;
  if (!spec) throw new Error(`${object.kind} ${object.metadata.name} has no pod template`);
  return spec;
};
const container = (object: K8sObject) => podSpec(object).containers[0] as Container;
const envOf = (object: K8sObject) =>
  Object.fromEntries((container(object).env ?? []).map((variable) => [variable.name, variable.value]));
const withPods = (objects: K8sObject[]) => objects.filter((object) => object.spec?.template?.spec);
const claims = (objects: K8sObject[]) =>
  withPods(objects).flatMap((object) =>
    (podSpec(object).volumes ?? []).flatMap((volume) => (volume.persistentVolumeClaim ? [volume.name] : [])),
  );

const S3 = { blobStore: { url: "s3://dpsynth-data/prod", s3: { endpoint: "http://seaweedfs-s3.storage:8333" } } };
const GPU4_RESOURCES = { requests: { cpu: "16", memory: "128Gi" }, limits: { memory: "256Gi" } };
const GPU4 = { trainerPools: [{ name: "gpu4", devices: 4, resources: GPU4_RESOURCES }] };
const AUTOSCALED = { trainer: { autoscaling: { enabled: true, passwordSecret: { name: "redis", key: "password" } } } };

describe("helm lint", () => {
  it.each([
    ["the file store", {}],
    ["S3", S3],
    ["a multi-GPU pool, autoscaled", { ...GPU4, ...AUTOSCALED }],
  ])("passes with %s", (_name, values) => {
    const { status, stdout, stderr } = helm(["lint", "--strict", CHART], values);
    expect(`${stdout}${stderr}`).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(status).toBe(0);
  });
});

describe("the blob store", () => {
  it("is one ReadWriteMany claim mounted by web, trainer and migrate with file://", () => {
    const objects = render();
    for (const name of ["web", "trainer", "migrate"]) {
      const object = withPods(objects).find((candidate) => candidate.metadata.name === `${FULLNAME}-${name}`);
      if (!object) throw new Error(`no ${name} workload`);
      expect(podSpec(object).volumes).toContainEqual({
        name: "blobs",
        persistentVolumeClaim: { claimName: "dpsynth-blobs" },
      });
      expect(container(object).volumeMounts).toContainEqual({ name: "blobs", mountPath: "/var/lib/dpsynth/blobs" });
      expect(envOf(object).BLOB_STORE_URL).toBe("file:///var/lib/dpsynth/blobs");
    }
  });

  it("mounts no claim at all with s3://, and gives the pods the bucket and the AWS variables", () => {
    const objects = render(S3);
    expect(objects.map((object) => object.kind)).not.toContain("PersistentVolumeClaim");
    expect(claims(objects)).toEqual([]);
    for (const object of withPods(objects)) {
      if (object.metadata.name === `${FULLNAME}-control`) continue; // control never touches blobs
      expect(envOf(object)).toMatchObject({
        BLOB_STORE_URL: "s3://dpsynth-data/prod",
        AWS_ENDPOINT_URL_S3: "http://seaweedfs-s3.storage:8333",
        AWS_REGION: "us-east-1",
      });
      expect(container(object).env?.map((variable) => variable.name)).toContain("AWS_SECRET_ACCESS_KEY");
    }
    const trainer = named(objects, "Deployment", `${FULLNAME}-trainer`);
    expect(envOf(trainer).DPSYNTH_WORK_DIR).toBe("/var/lib/dpsynth/work");
    expect(podSpec(trainer).volumes).toContainEqual({ name: "work", emptyDir: { sizeLimit: "20Gi" } });
  });
});

describe("trainer pools", () => {
  it("by default are the one pool of one-GPU trainers", () => {
    const trainers = render().filter((object) =>
      object.metadata.labels?.["app.kubernetes.io/component"]?.startsWith("trainer"),
    );
    expect(trainers.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      `Deployment/${FULLNAME}-trainer`,
    ]);
    const [trainer] = trainers as [K8sObject];
    expect(container(trainer).resources).toEqual({
      requests: { cpu: "4", memory: "32Gi" },
      limits: { memory: "64Gi", "nvidia.com/gpu": 1 },
    });
    expect(envOf(trainer)).toMatchObject({ TRAINER_DEVICES: "1", TRAINER_CONCURRENCY: "1" });
    expect(trainer.spec?.replicas).toBe(1);
  });

  it("add a Deployment whose pods hold N GPUs and are told so, beside the one-GPU pool", () => {
    const objects = render({ ...GPU4, ...S3 });
    const single = named(objects, "Deployment", `${FULLNAME}-trainer`);
    const multi = named(objects, "Deployment", `${FULLNAME}-trainer-gpu4`);
    expect(container(single).resources?.limits?.["nvidia.com/gpu"]).toBe(1);
    expect(container(multi).resources).toEqual({
      requests: GPU4_RESOURCES.requests,
      limits: { ...GPU4_RESOURCES.limits, "nvidia.com/gpu": 4 },
    });
    expect(envOf(multi)).toMatchObject({ TRAINER_DEVICES: "4", DPSYNTH_DEVICE: "cuda", TRAINER_CONCURRENCY: "1" });
    // What the pool leaves out is the one-GPU pool's: GPU nodes, the blob store, the stop grace period.
    expect(podSpec(multi)).toMatchObject({ nodeSelector: { "nvidia.com/gpu.present": "true" } });
    expect(envOf(multi).BLOB_STORE_URL).toBe("s3://dpsynth-data/prod");
    expect(claims([multi])).toEqual([]);
    // Neither Deployment's selector takes the other's pods (Kubernetes would fight over them).
    for (const [owner, other] of [
      [single, multi],
      [multi, single],
    ] as const) {
      const selector = owner.spec?.selector?.matchLabels ?? {};
      const labels = other.spec?.template?.metadata.labels ?? {};
      expect(Object.entries(selector).every(([key, value]) => labels[key] === value)).toBe(false);
    }
  });

  it("scale each on its own queue with KEDA: the queue the contract's queueFor names for the pool's devices", () => {
    const objects = render({ ...GPU4, ...AUTOSCALED });
    const lists = (name: string) => {
      const scaled = named(objects, "ScaledObject", name);
      expect(scaled.spec?.scaleTargetRef?.name).toBe(name);
      expect(named(objects, "Deployment", name).spec?.replicas).toBeUndefined();
      expect(named(objects, "TriggerAuthentication", `${name}-redis`).metadata.name).toBe(`${name}-redis`);
      return scaled.spec?.triggers?.map((trigger) => trigger.metadata.listName);
    };
    // BullMQ's lists of a queue: `<prefix>:<queue>:wait` and `:active`. The trainers of a pool read the queue of
    // their TRAINER_DEVICES, and the web puts a job on the queue of its training.devices, both through queueFor.
    const listsOf = (devices: number) =>
      ["wait", "active"].map((list) => `${QUEUE.prefix}:${queueFor(devices)}:${list}`);
    expect(lists(`${FULLNAME}-trainer`)).toEqual(listsOf(1));
    expect(lists(`${FULLNAME}-trainer-gpu4`)).toEqual(listsOf(4));
    expect(envOf(named(objects, "Deployment", `${FULLNAME}-trainer-gpu4`)).TRAINER_DEVICES).toBe("4");
  });

  it("take their autoscaling key by key from the trainer's, and a replica count of 0", () => {
    const objects = render({
      trainer: { replicas: 2, autoscaling: { maxReplicas: 8, redisAddress: "redis.data:6379" } },
      trainerPools: [
        { name: "idle", devices: 2, replicas: 0 },
        { name: "big", devices: 8, autoscaling: { enabled: true, maxReplicas: 1 } },
      ],
    });
    expect(named(objects, "Deployment", `${FULLNAME}-trainer-idle`).spec?.replicas).toBe(0);
    expect(objects.filter((object) => object.kind === "ScaledObject").map((object) => object.metadata.name)).toEqual([
      `${FULLNAME}-trainer-big`,
    ]);
    const big = named(objects, "ScaledObject", `${FULLNAME}-trainer-big`);
    expect(big.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 1 });
    expect(big.spec?.triggers?.[0]?.metadata).toMatchObject({ address: "redis.data:6379" });
  });

  it.each([
    ["a one-device pool", [{ name: "one", devices: 1 }], "trainerPools[0].devices must be 2 or more"],
    ["no device count", [{ name: "none" }], "trainerPools[0].devices is required"],
    ["a name that is no DNS label", [{ name: "GPU_4", devices: 4 }], "trainerPools[0].name must be"],
    [
      "two pools of one device count",
      [
        { name: "a", devices: 4 },
        { name: "b", devices: 4 },
      ],
      "trainerPools[1].devices: pool a already has 4 GPUs per trainer",
    ],
    [
      "a pool that would run two jobs at once on its GPUs",
      [{ name: "gpu2", devices: 2, concurrency: 2 }],
      "trainerPools[0].concurrency must be 1: each job takes all 2 GPUs of its trainer",
    ],
    [
      "two pools of one name",
      [
        { name: "a", devices: 2 },
        { name: "a", devices: 4 },
      ],
      "trainerPools[1].name: another pool is already called a",
    ],
  ])("refuse %s", (_case, trainerPools, message) => {
    const { status, stderr } = helm(["template", RELEASE, CHART], { trainerPools });
    expect(stderr).toContain(message);
    expect(status).not.toBe(0);
  });
});

import { join } from "node:path";
import { ensureGoBuild } from "./go.mjs";

/** The Helm that lints and renders the chart in infra/helm (`npm test`), built from its Go module. */
export const HELM_VERSION = "v4.3.2";
const MODULE = "helm.sh/helm/v4";

/**
 * `helm` built once into `toolsDir/helm/<version>/`, stamped with its version as a release build is (`helm
 * version` says v4.3.2, not an unreleased build).
 * @param {string} toolsDir
 * @returns {Promise<string>} the binary's path
 */
export function ensureHelm(toolsDir) {
  return ensureGoBuild({
    name: "Helm",
    module: MODULE,
    version: HELM_VERSION,
    pkg: "./cmd/helm",
    binary: join(toolsDir, "helm", HELM_VERSION, "helm"),
    ldflags: `-X ${MODULE}/internal/version.version=${HELM_VERSION} -X ${MODULE}/internal/version.metadata=`,
  });
}

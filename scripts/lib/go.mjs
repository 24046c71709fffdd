import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { mustRun } from "./run.mjs";
import { onPath } from "./system.mjs";

/**
 * The Go toolchain: PATH's, else the official tarball's usual place.
 * @param {string} what what is built with it, for the message when there is none
 * @param {string} [otherwise] what to do instead, if anything
 */
function goBinary(what, otherwise) {
  if (onPath("go")) return "go";
  if (existsSync("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  throw new Error(
    `${what} is built from source and needs Go 1.26 or later (go on PATH or /usr/local/go)${otherwise ? `; or ${otherwise}` : ""}`,
  );
}

/**
 * A command built once from a Go module at a pinned version into `binary`, for tools no prebuilt binary of can be
 * fetched here (only the Go module proxy answers). Not `go install module@version`: a go.mod with replace
 * directives (SeaweedFS') makes `go install` refuse, so the command is built inside the downloaded module, where
 * they apply. Slow the first time (minutes: hundreds of packages); the Go build cache makes a rebuild quick.
 * @param {{ name: string, module: string, version: string, pkg: string, binary: string, ldflags?: string, otherwise?: string }} tool
 *   name: what it is, in messages; pkg: the command's package inside the module, e.g. "./cmd/helm";
 *   otherwise: what to do instead when there is no Go
 * @returns {Promise<string>} the binary's path
 */
export async function ensureGoBuild({ name, module, version, pkg, binary, ldflags, otherwise }) {
  if (existsSync(binary)) return binary;
  const go = goBinary(name, otherwise);
  const env = { ...process.env, GOFLAGS: "-mod=mod" };
  const dir = dirname(binary);
  console.log(`building ${name} ${version} into ${dir} (minutes, once)…`);
  const { output } = await mustRun(
    `go mod download (${name})`,
    go,
    ["mod", "download", "-json", `${module}@${version}`],
    {
      capture: true,
      env,
    },
  );
  const source = /** @type {{ Dir: string }} */ (JSON.parse(output)).Dir;
  mkdirSync(dir, { recursive: true });
  // Built under another name and renamed, so an interrupted build never leaves a binary that looks finished.
  const partial = `${binary}.partial`;
  const flags = ldflags === undefined ? [] : ["-ldflags", ldflags];
  await mustRun(`go build (${name})`, go, ["build", ...flags, "-o", partial, pkg], {
    cwd: source,
    env,
    capture: true,
  });
  renameSync(partial, binary);
  return binary;
}

import { fileURLToPath } from "node:url";

/** The repository root: every path the bootstrap uses is resolved from here, whatever the caller's cwd. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

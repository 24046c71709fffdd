import { statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { MODEL_CATALOG, type TCatalogModel } from "@dpsynth/contracts";
import { AppError } from "../http/errors.ts";

/** `name` or `org/name`, as Hugging Face spells repository ids. */
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;

export type TModelRef = { kind: "catalog"; entry: TCatalogModel } | { kind: "hub" } | { kind: "local" };

/**
 * Accepts a catalog key, a Hugging Face id or an existing local directory, so that a typo fails here in
 * milliseconds instead of on a trainer after the queue wait.
 */
export function resolveModel(id: string): TModelRef {
  const entry = MODEL_CATALOG.find((model) => model.key === id);
  if (entry) return { kind: "catalog", entry };
  if (isAbsolute(id)) {
    if (statSync(id, { throwIfNoEntry: false })?.isDirectory()) return { kind: "local" };
    throw new AppError(
      "unknown_model",
      `There is no model directory at ${id}. Give an existing directory, a catalog key or a Hugging Face id.`,
    );
  }
  if (HF_ID.test(id) && !id.includes("..")) return { kind: "hub" };
  throw new AppError(
    "unknown_model",
    `"${id}" is not a model this platform knows: use a catalog key (${MODEL_CATALOG.map((m) => m.key).join(", ")}), a Hugging Face id such as org/name, or an absolute path to a local model directory.`,
  );
}

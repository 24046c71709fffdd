import { MODEL_CATALOG, type TCatalogModel } from "@dpsynth/contracts";
import { AppError } from "../http/errors.ts";

/** `name` or `org/name`, as Hugging Face spells repository ids. */
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;
/** An absolute path of plain segments: no `.`, `..` or empty segment, nothing but visible characters. */
const ABSOLUTE_PATH = /^(\/[A-Za-z0-9._@+=,-]+)+$/;

export type TModelRef = { kind: "catalog"; entry: TCatalogModel } | { kind: "hub" } | { kind: "local" };

/**
 * Tells a catalog key, a Hugging Face id and a local directory apart by their shape, so a typo fails here in
 * milliseconds. It never looks at this machine's disk: models live with the trainers, which accept a local
 * directory only under their configured model roots (DPSYNTH_MODEL_ROOTS) and refuse anything else when the job
 * arrives, before any data is read.
 */
export function resolveModel(id: string): TModelRef {
  const entry = MODEL_CATALOG.find((model) => model.key === id);
  if (entry) return { kind: "catalog", entry };
  if (id.startsWith("/")) {
    if (ABSOLUTE_PATH.test(id) && !id.split("/").some((part) => part === "." || part === "..")) {
      return { kind: "local" };
    }
  } else if (HF_ID.test(id) && !id.includes("..")) {
    return { kind: "hub" };
  }
  throw new AppError(
    "unknown_model",
    `That is not a model id dpsynth accepts: use a catalog key (${MODEL_CATALOG.map((m) => m.key).join(", ")}), a Hugging Face id such as org/name, or the absolute path of a model directory under the trainers' model roots.`,
  );
}

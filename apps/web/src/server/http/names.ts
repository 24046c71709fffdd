import { z } from "zod";

/** C0 and C1 control characters and DEL: nothing a name shows, and NUL is text PostgreSQL cannot store at all. */
const CONTROL = /\p{Cc}/u;
/** A UTF-16 surrogate without its other half: JSON can carry one (`"\ud800"`), UTF-8 and PostgreSQL cannot. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The one rule for a name a user gives something (an API token, a dataset): trimmed, 1 to `max` characters, and
 * text PostgreSQL stores as it was given, so a hostile name is a 400 that says why, never a database error.
 */
export function ZName(max: number, empty = "give it a name") {
  return z
    .string()
    .trim()
    .min(1, empty)
    .max(max)
    .refine((name) => !CONTROL.test(name), "must not contain control characters (tabs, line breaks, NUL)")
    .refine((name) => !LONE_SURROGATE.test(name), "must be valid Unicode text (it holds a lone surrogate)");
}

/**
 * The one rule for a password a person chooses (on accepting an invitation, or changing it in Account): the API
 * enforces it and the forms check it as the person types, with the same words. bcrypt reads only a password's
 * first 72 bytes, so anything longer would be silently cut short.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_BYTES = 72;

/** The rule in one sentence, shown beside every new-password field. */
export const PASSWORD_RULE = `At least ${PASSWORD_MIN_LENGTH} characters (at most ${PASSWORD_MAX_BYTES} bytes), and not your email address.`;

/** What is wrong with `password` as a new password for the account `email`, or null when it follows the rule. */
export function passwordProblem(password: string, email: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  }
  if (new TextEncoder().encode(password).length > PASSWORD_MAX_BYTES) {
    return `Use at most ${PASSWORD_MAX_BYTES} bytes (about ${PASSWORD_MAX_BYTES} letters without accents).`;
  }
  const address = email.trim().toLowerCase();
  if (address && password.toLowerCase().includes(address)) return "Do not use your email address as the password.";
  return null;
}

"use client";

import { Field } from "@/components/ui/field";

/**
 * A password field with its hint and its own error underneath (a `Field`), so a refusal is read where it applies
 * rather than in a banner above the form.
 */
export function PasswordInput({
  id,
  label,
  value,
  onChange,
  autoComplete,
  hint,
  error,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: "current-password" | "new-password";
  hint?: string;
  error?: string | null;
}) {
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      {(control) => (
        <input
          {...control}
          className="input"
          type="password"
          autoComplete={autoComplete}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}

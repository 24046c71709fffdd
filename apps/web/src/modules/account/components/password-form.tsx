"use client";

import { type FormEvent, useState } from "react";
import { ApiError } from "@/components/api/api-client";
import { Card } from "@/components/ui/page-header";
import { ErrorAlert } from "@/components/ui/states";
import { PASSWORD_RULE, passwordProblem } from "@/lib/password-rule";
import { useChangePassword } from "../hooks/use-account";
import { PasswordInput } from "./password-input";

type TField = "currentPassword" | "newPassword" | "confirm";

/** Changing one's password: the current one, a new one under the password rule, and the new one again. */
export function PasswordForm({ email }: { email: string }) {
  const change = useChangePassword();
  const [values, setValues] = useState<Record<TField, string>>({ currentPassword: "", newPassword: "", confirm: "" });
  const [errors, setErrors] = useState<Partial<Record<TField, string>>>({});
  const [done, setDone] = useState(false);
  const set = (field: TField) => (value: string) => {
    setValues((old) => ({ ...old, [field]: value }));
    setErrors((old) => ({ ...old, [field]: undefined }));
    setDone(false);
  };

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found: Partial<Record<TField, string>> = {};
    if (!values.currentPassword) found.currentPassword = "Enter your current password.";
    const problem = passwordProblem(values.newPassword, email);
    if (problem) found.newPassword = problem;
    else if (values.confirm !== values.newPassword) found.confirm = "The two new passwords differ.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    change.mutate(
      { currentPassword: values.currentPassword, newPassword: values.newPassword },
      {
        onSuccess: () => {
          setValues({ currentPassword: "", newPassword: "", confirm: "" });
          setDone(true);
        },
        onError: (error) => {
          // The API names the field a refusal is about; anything else shows above the button.
          const field = error instanceof ApiError ? error.details?.field : undefined;
          if (field === "currentPassword" || field === "newPassword") setErrors({ [field]: error.message });
        },
      },
    );
  }

  const fieldError = change.error instanceof ApiError && change.error.details?.field;
  return (
    <Card title="Password" labelledBy="account-password">
      <form className="form" onSubmit={onSubmit} noValidate aria-label="Change password" style={{ maxWidth: 420 }}>
        <PasswordInput
          id="password-current"
          label="Current password"
          autoComplete="current-password"
          value={values.currentPassword}
          onChange={set("currentPassword")}
          error={errors.currentPassword}
        />
        <PasswordInput
          id="password-new"
          label="New password"
          autoComplete="new-password"
          value={values.newPassword}
          onChange={set("newPassword")}
          hint={PASSWORD_RULE}
          error={errors.newPassword}
        />
        <PasswordInput
          id="password-confirm"
          label="New password again"
          autoComplete="new-password"
          value={values.confirm}
          onChange={set("confirm")}
          error={errors.confirm}
        />
        {!fieldError && <ErrorAlert error={change.error} title="The password was not changed" />}
        {done && (
          <div className="alert alert-success" role="status">
            Password changed. Use the new one the next time you sign in.
          </div>
        )}
        <div>
          <button type="submit" className="btn btn-primary" disabled={change.isPending}>
            {change.isPending && <span className="spinner" aria-hidden="true" />}
            Change password
          </button>
        </div>
      </form>
    </Card>
  );
}

"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, type ReactNode, useEffect, useState } from "react";
import { ApiError } from "@/components/api/api-client";
import { Brand } from "@/components/ui/brand";
import { Field } from "@/components/ui/field";
import { formatEpsilon, formatTimestamp } from "@/components/ui/format";
import { ErrorAlert, LoadingState } from "@/components/ui/states";
import { PASSWORD_RULE, passwordProblem } from "@/lib/password-rule";
import { PasswordInput } from "@/modules/account/components/password-input";
import { type TInvitationPreviewWire, useAcceptInvitation, useInvitationPreview } from "../hooks/use-invitations";

/** The heading for a link that no longer works, by the state the API reports. */
const REFUSED_TITLES: Record<string, string> = {
  expired: "This invitation has expired",
  accepted: "This invitation has already been used",
  revoked: "This invitation was revoked",
  account_exists: "You already have an account",
};

function Shell({ children }: { children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="card auth-card">
        <Brand />
        {children}
      </div>
    </main>
  );
}

/** Why the link cannot be used, in the API's words, and where to go instead. */
function Refused({ error }: { error: unknown }) {
  const state = error instanceof ApiError ? String(error.details?.state ?? "") : "";
  const title =
    REFUSED_TITLES[state] ??
    (error instanceof ApiError && error.status === 404
      ? "This link does not work"
      : "The invitation could not be opened");
  return (
    <>
      <h1>{title}</h1>
      <div className="alert alert-danger" role="alert" style={{ marginTop: 12 }}>
        {error instanceof Error ? error.message : "Something went wrong."}
      </div>
      <p style={{ marginTop: 16 }}>
        <Link href="/login">Go to sign in</Link>
      </p>
    </>
  );
}

type TField = "name" | "password" | "confirm";

function AcceptForm({ token, invitation }: { token: string; invitation: TInvitationPreviewWire }) {
  const router = useRouter();
  const accept = useAcceptInvitation();
  const [values, setValues] = useState<Record<TField, string>>({
    name: invitation.email.split("@")[0] ?? "",
    password: "",
    confirm: "",
  });
  const [errors, setErrors] = useState<Partial<Record<TField, string>>>({});
  const [signInFailed, setSignInFailed] = useState(false);
  const set = (field: TField) => (value: string) => {
    setValues((old) => ({ ...old, [field]: value }));
    setErrors((old) => ({ ...old, [field]: undefined }));
  };

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found: Partial<Record<TField, string>> = {};
    if (!values.name.trim()) found.name = "Give your name.";
    const problem = passwordProblem(values.password, invitation.email);
    if (problem) found.password = problem;
    else if (values.confirm !== values.password) found.confirm = "The two passwords differ.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    accept.mutate(
      { token, name: values.name.trim(), password: values.password },
      {
        onSuccess: async ({ email }) => {
          const result = await signIn("credentials", { email, password: values.password, redirect: false });
          if (!result?.ok || result.error) {
            setSignInFailed(true);
            return;
          }
          router.replace("/");
          router.refresh();
        },
        onError: (error) => {
          if (error instanceof ApiError && error.details?.field === "password") setErrors({ password: error.message });
        },
      },
    );
  }

  if (signInFailed) {
    return (
      <div className="alert alert-success" role="status">
        Your account is ready, but signing you in did not work just now. <Link href="/login">Sign in</Link> with{" "}
        {invitation.email} and the password you chose.
      </div>
    );
  }
  const fieldError = accept.error instanceof ApiError && accept.error.details?.field;
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Create your account">
      <dl className="kv">
        <dt>Email</dt>
        <dd>{invitation.email}</dd>
        <dt>Role</dt>
        <dd>{invitation.role === "ADMIN" ? "Administrator" : "Data owner"}</dd>
        <dt>ε allowance per dataset</dt>
        <dd>{formatEpsilon(invitation.epsilonAllowance)}</dd>
      </dl>
      <Field id="invite-name" label="Your name" error={errors.name}>
        {(control) => (
          <input
            {...control}
            className="input"
            autoComplete="name"
            value={values.name}
            onChange={(event) => set("name")(event.target.value)}
          />
        )}
      </Field>
      <PasswordInput
        id="invite-password"
        label="Password"
        autoComplete="new-password"
        value={values.password}
        onChange={set("password")}
        hint={PASSWORD_RULE}
        error={errors.password}
      />
      <PasswordInput
        id="invite-confirm"
        label="Password again"
        autoComplete="new-password"
        value={values.confirm}
        onChange={set("confirm")}
        error={errors.confirm}
      />
      {!fieldError && <ErrorAlert error={accept.error} title="Your account was not created" />}
      <button className="btn btn-primary" type="submit" disabled={accept.isPending}>
        {accept.isPending && <span className="spinner" aria-hidden="true" />}
        Create account and sign in
      </button>
      <p className="muted" style={{ fontSize: 12.5 }}>
        This link works once, until {formatTimestamp(invitation.expiresAt)}.
      </p>
    </form>
  );
}

/**
 * The page an invitation link opens. The token is the link's fragment (`/invite#…`), read here and sent in a
 * request body, so it never appears in a server's access log or a Referer header.
 */
export function AcceptInvitation() {
  const [token, setToken] = useState<string | null | undefined>(undefined);
  useEffect(() => setToken(window.location.hash.slice(1) || null), []);
  const preview = useInvitationPreview(token ?? null);

  if (token === null) {
    return (
      <Shell>
        <h1>This link is incomplete</h1>
        <p className="muted" style={{ marginTop: 12 }}>
          An invitation link ends with a long code after “#”. Copy the whole link you were sent into the address bar.
        </p>
      </Shell>
    );
  }
  if (token === undefined || preview.isPending) {
    return (
      <Shell>
        <h1>Accept an invitation</h1>
        <LoadingState label="Opening the invitation" />
      </Shell>
    );
  }
  if (preview.isError) {
    return (
      <Shell>
        <Refused error={preview.error} />
      </Shell>
    );
  }
  return (
    <Shell>
      <h1>Create your account</h1>
      <p className="muted" style={{ marginBottom: 20 }}>
        You were invited to dpsynth. Choose a password to finish.
      </p>
      <AcceptForm token={token} invitation={preview.data} />
    </Shell>
  );
}

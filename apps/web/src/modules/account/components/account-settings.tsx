"use client";

import { type FormEvent, useState } from "react";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { formatDateTime, formatEpsilon, formatRelative } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorAlert, ErrorState, LoadingState } from "@/components/ui/states";
import { type TMeWire, type TTokenCreatedWire, useCreateToken, useMe, useRevokeToken } from "../hooks/use-account";
import { PasswordForm } from "./password-form";

function NewToken({ created }: { created: TTokenCreatedWire }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="alert alert-success" role="status">
      <div className="stack" style={{ gap: 8, minWidth: 0, flex: 1 }}>
        <div className="alert-title">Token “{created.name}” created: copy it now, it is not shown again</div>
        <div className="row" style={{ flexWrap: "nowrap" }}>
          <code
            className="input"
            style={{ overflowX: "auto", whiteSpace: "nowrap", background: "var(--surface)" }}
            data-testid="new-token"
          >
            {created.token}
          </code>
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => {
              void navigator.clipboard?.writeText(created.token).then(() => setCopied(true));
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
        <span className="mono" style={{ fontSize: 12 }}>
          curl -H "Authorization: Bearer …" {typeof window === "undefined" ? "" : window.location.origin}
          /api/v1/datasets
        </span>
      </div>
    </div>
  );
}

/** Revoking cuts off every script that uses the token, at once and for good: asked before it is done. */
function ConfirmRevokeDialog({ token, onClose }: { token: TMeWire["tokens"][number] | null; onClose: () => void }) {
  const revoke = useRevokeToken();
  return (
    <Dialog open={token !== null} title={`Revoke ${token?.name ?? "this token"}?`} onClose={onClose}>
      <div className="form">
        <p className="muted">
          Scripts that use the token starting with <span className="mono">{token?.prefix}…</span> are refused from now
          on. A revoked token cannot be restored; create a new one instead.
        </p>
        <ErrorAlert error={revoke.error} />
        <DialogActions
          onCancel={onClose}
          actionLabel="Revoke token"
          danger
          disabled={!token}
          pending={revoke.isPending}
          onAction={() => token && revoke.mutate(token.id, { onSuccess: onClose })}
        />
      </div>
    </Dialog>
  );
}

function TokenTable({ tokens }: { tokens: TMeWire["tokens"] }) {
  const [revoking, setRevoking] = useState<TMeWire["tokens"][number] | null>(null);
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label="API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col" className="hide-narrow">
                Created
              </th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td style={{ fontWeight: 550 }}>{token.name}</td>
                <td className="mono">{token.prefix}…</td>
                <td className="muted hide-narrow">{formatDateTime(token.createdAt)}</td>
                <td className="muted">{token.lastUsedAt ? formatRelative(token.lastUsedAt) : "never"}</td>
                <td className="right">
                  {token.revokedAt ? (
                    <span className="badge plain">revoked</span>
                  ) : (
                    <button
                      type="button"
                      className="btn btn-sm btn-danger"
                      aria-label={`Revoke ${token.name}`}
                      onClick={() => setRevoking(token)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmRevokeDialog token={revoking} onClose={() => setRevoking(null)} />
    </>
  );
}

/** Who you are here, and API tokens for scripts (hashed at rest, shown once). */
export function AccountSettings() {
  const me = useMe();
  const create = useCreateToken();
  const [name, setName] = useState("");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (name.trim()) create.mutate(name.trim(), { onSuccess: () => setName("") });
  }

  if (me.isPending) {
    return (
      <div className="page">
        <PageHeader title="Account" />
        <div className="card">
          <LoadingState />
        </div>
      </div>
    );
  }
  if (me.isError) {
    return (
      <div className="page">
        <PageHeader title="Account" />
        <div className="card">
          <ErrorState error={me.error} onRetry={() => me.refetch()} />
        </div>
      </div>
    );
  }
  return (
    <div className="page">
      <PageHeader title="Account" subtitle="Your role, your allowance, your password, and API tokens for scripts." />
      <Card title="You" labelledBy="account-you">
        <dl className="kv">
          <dt>Name</dt>
          <dd>{me.data.name}</dd>
          <dt>Email</dt>
          <dd>{me.data.email}</dd>
          <dt>Role</dt>
          <dd>{me.data.role === "ADMIN" ? "Administrator" : "Data owner"}</dd>
          <dt>Allowance per dataset</dt>
          <dd>
            ε {formatEpsilon(me.data.epsilonAllowance)}{" "}
            <span className="muted">(all your jobs on one dataset together; requests past it wait for an admin)</span>
          </dd>
        </dl>
      </Card>
      {me.data.hasPassword && <PasswordForm email={me.data.email} />}
      <Card title="API tokens" labelledBy="account-tokens" flush>
        <div className="card-body stack">
          <p className="muted">
            Scripts send <code>Authorization: Bearer &lt;token&gt;</code> to the same <code>/api/v1</code> routes you
            use here. Only a hash is stored.
          </p>
          <form className="row" style={{ alignItems: "flex-end" }} onSubmit={onSubmit} aria-label="New API token">
            <Field id="token-name" label="Token name" style={{ flex: "1 1 220px" }}>
              {(control) => (
                <input
                  {...control}
                  className="input"
                  placeholder="e.g. nightly export"
                  maxLength={100}
                  value={name}
                  onChange={(event) => setName(event.target.value)}
                />
              )}
            </Field>
            <button type="submit" className="btn btn-primary" disabled={!name.trim() || create.isPending}>
              Create token
            </button>
          </form>
          <ErrorAlert error={create.error} title="No token was created" />
          {create.data && <NewToken created={create.data} />}
        </div>
        {me.data.tokens.length === 0 ? (
          <EmptyState icon="key" title="No tokens yet" />
        ) : (
          <TokenTable tokens={me.data.tokens} />
        )}
      </Card>
    </div>
  );
}

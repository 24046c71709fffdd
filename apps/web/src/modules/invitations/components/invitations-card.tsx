"use client";

import { type FormEvent, useState } from "react";
import { Dialog, DialogActions } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { formatEpsilon, formatTimestamp } from "@/components/ui/format";
import { Card } from "@/components/ui/page-header";
import { EmptyState, ErrorAlert, QueryStatus } from "@/components/ui/states";
import {
  type TInvitationCreatedWire,
  type TInvitationWire,
  useCreateInvitation,
  useInvitations,
  useRevokeInvitation,
} from "../hooks/use-invitations";

const roleName = (role: TInvitationWire["role"]) => (role === "ADMIN" ? "Admin" : "Owner");

/** The link of a new invitation: shown once, since only a hash of its token is kept. */
function NewLink({ created }: { created: TInvitationCreatedWire }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="alert alert-success" role="status">
      <div className="stack" style={{ gap: 8, minWidth: 0, flex: 1 }}>
        <div className="alert-title">
          Invitation for {created.email} created: copy the link now and send it to them, it is not shown again
        </div>
        <div className="row" style={{ flexWrap: "nowrap" }}>
          <code
            className="input"
            style={{ overflowX: "auto", whiteSpace: "nowrap", background: "var(--surface)" }}
            data-testid="invitation-link"
          >
            {created.link}
          </code>
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => {
              void navigator.clipboard?.writeText(created.link).then(() => setCopied(true));
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
        <span className="muted">It works once, until {formatTimestamp(created.expiresAt)}.</span>
      </div>
    </div>
  );
}

function InviteForm() {
  const create = useCreateInvitation();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<TInvitationWire["role"]>("OWNER");
  const [allowance, setAllowance] = useState("3");
  const allowanceValid = allowance.trim() !== "" && Number(allowance) >= 0 && Number(allowance) <= 100;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!email.trim() || !allowanceValid) return;
    create.mutate(
      { email: email.trim(), role, epsilonAllowance: Number(allowance) },
      { onSuccess: () => setEmail("") },
    );
  }

  return (
    <div className="stack">
      <form className="row" style={{ alignItems: "flex-end" }} onSubmit={onSubmit} aria-label="Invite a user">
        <Field id="invite-email" label="Email" style={{ flex: "2 1 240px" }}>
          {(control) => (
            <input
              {...control}
              className="input"
              type="email"
              autoComplete="off"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          )}
        </Field>
        <Field id="invite-role" label="Role" style={{ flex: "0 1 130px" }}>
          {(control) => (
            <select
              {...control}
              className="select"
              value={role}
              onChange={(event) => setRole(event.target.value as TInvitationWire["role"])}
            >
              <option value="OWNER">Owner</option>
              <option value="ADMIN">Admin</option>
            </select>
          )}
        </Field>
        <Field
          id="invite-allowance"
          label="ε allowance per dataset"
          invalid={!allowanceValid}
          style={{ flex: "0 1 170px" }}
        >
          {(control) => (
            <input
              {...control}
              className="input num"
              type="number"
              min={0}
              max={100}
              step="any"
              value={allowance}
              onChange={(event) => setAllowance(event.target.value)}
            />
          )}
        </Field>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={!email.trim() || !allowanceValid || create.isPending}
        >
          {create.isPending && <span className="spinner" aria-hidden="true" />}
          Invite
        </button>
      </form>
      <ErrorAlert error={create.error} title="No invitation was made" />
      {create.data && <NewLink created={create.data} />}
    </div>
  );
}

/** Revoking makes the link useless at once: asked before it is done. */
function ConfirmRevokeDialog({ invitation, onClose }: { invitation: TInvitationWire | null; onClose: () => void }) {
  const revoke = useRevokeInvitation();
  return (
    <Dialog
      open={invitation !== null}
      title={`Revoke the invitation for ${invitation?.email ?? ""}?`}
      onClose={onClose}
    >
      <div className="form">
        <p className="muted">Its link stops working at once. You can invite the same address again afterwards.</p>
        <ErrorAlert error={revoke.error} />
        <DialogActions
          onCancel={onClose}
          actionLabel="Revoke invitation"
          danger
          disabled={!invitation}
          pending={revoke.isPending}
          onAction={() => invitation && revoke.mutate(invitation.id, { onSuccess: onClose })}
        />
      </div>
    </Dialog>
  );
}

function PendingTable({ invitations }: { invitations: TInvitationWire[] }) {
  const [revoking, setRevoking] = useState<TInvitationWire | null>(null);
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label="Pending invitations">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">ε allowance</th>
              <th scope="col" className="hide-narrow">
                Invited by
              </th>
              <th scope="col">Link works until</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invitations.map((invitation) => (
              <tr key={invitation.id}>
                <td style={{ fontWeight: 550 }}>{invitation.email}</td>
                <td>{roleName(invitation.role)}</td>
                <td className="num">{formatEpsilon(invitation.epsilonAllowance)}</td>
                <td className="muted hide-narrow">{invitation.invitedBy.email}</td>
                <td className="muted">
                  {invitation.state === "expired" ? (
                    <span className="badge plain">expired {formatTimestamp(invitation.expiresAt)}</span>
                  ) : (
                    formatTimestamp(invitation.expiresAt)
                  )}
                </td>
                <td className="right">
                  <button
                    type="button"
                    className="btn btn-sm btn-danger"
                    aria-label={`Revoke the invitation for ${invitation.email}`}
                    onClick={() => setRevoking(invitation)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ConfirmRevokeDialog invitation={revoking} onClose={() => setRevoking(null)} />
    </>
  );
}

/**
 * Inviting someone: an email, a role and an allowance give a one-time link to send them (dpsynth sends no mail);
 * below, the invitations not yet used, to revoke.
 */
export function InvitationsCard() {
  const invitations = useInvitations();
  return (
    <Card title="Invitations" labelledBy="admin-invitations" flush>
      <div className="card-body stack">
        <p className="muted">
          The invited person opens the link, chooses a password and is signed in with the role and allowance given here.
          dpsynth sends no email: copy the link and send it yourself.
        </p>
        <InviteForm />
      </div>
      {invitations.isPending || invitations.isError ? (
        <QueryStatus query={invitations} />
      ) : invitations.data.length === 0 ? (
        <EmptyState icon="users" title="No pending invitations" />
      ) : (
        <PendingTable invitations={invitations.data} />
      )}
    </Card>
  );
}

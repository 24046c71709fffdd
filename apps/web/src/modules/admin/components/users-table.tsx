"use client";

import { useState } from "react";
import type { TUserWire } from "@/components/api/wire-types";
import { Field } from "@/components/ui/field";
import { formatDateTime, formatTimestamp } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorAlert, QueryStatus } from "@/components/ui/states";
import { useCurrentUser } from "@/modules/auth/hooks/use-current-user";
import { InvitationsCard } from "@/modules/invitations/components/invitations-card";
import { useUpdateUser, useUsers } from "../hooks/use-admin";

function UserRow({ user, isSelf }: { user: TUserWire; isSelf: boolean }) {
  const update = useUpdateUser();
  const [allowance, setAllowance] = useState(String(user.epsilonAllowance));
  const allowanceId = `allowance-${user.id}`;
  const roleId = `role-${user.id}`;
  const allowanceError = allowance.trim() !== "" && Number(allowance) >= 0 ? undefined : "Enter an ε of 0 or more.";
  const allowanceChanged = !allowanceError && Number(allowance) !== user.epsilonAllowance;
  return (
    <tr>
      <td>
        <div style={{ fontWeight: 550 }}>{user.name}</div>
        <div className="muted">{user.email}</div>
      </td>
      <td>
        <Field
          id={roleId}
          label={`Role of ${user.email}`}
          hideLabel
          hint={isSelf ? "You cannot change your own role." : undefined}
        >
          {(control) => (
            <select
              {...control}
              className="select"
              style={{ width: 130 }}
              value={user.role}
              disabled={isSelf || update.isPending}
              onChange={(event) => update.mutate({ id: user.id, role: event.target.value as TUserWire["role"] })}
            >
              <option value="OWNER">Owner</option>
              <option value="ADMIN">Admin</option>
            </select>
          )}
        </Field>
      </td>
      <td>
        <form
          className="row"
          style={{ alignItems: "flex-start" }}
          aria-label={`Allowance of ${user.email}`}
          onSubmit={(event) => {
            event.preventDefault();
            if (allowanceChanged) update.mutate({ id: user.id, epsilonAllowance: Number(allowance) });
          }}
        >
          <Field id={allowanceId} label={`ε allowance per dataset of ${user.email}`} hideLabel error={allowanceError}>
            {(control) => (
              <input
                {...control}
                className="input num"
                style={{ width: 90 }}
                type="number"
                min={0}
                step="any"
                value={allowance}
                onChange={(event) => setAllowance(event.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="btn btn-sm" disabled={!allowanceChanged || update.isPending}>
            Save
          </button>
        </form>
        {update.error ? <ErrorAlert error={update.error} /> : null}
      </td>
      <td className="muted">
        {user.lastSignInAt ? <time dateTime={user.lastSignInAt}>{formatTimestamp(user.lastSignInAt)}</time> : "never"}
      </td>
      <td className="muted hide-narrow">{formatDateTime(user.createdAt)}</td>
    </tr>
  );
}

/** Accounts, their roles, and how much ε one of their jobs may spend without approval. */
export function UsersTable() {
  const users = useUsers();
  const { user: me } = useCurrentUser();
  return (
    <div className="page">
      <PageHeader
        title="Users and roles"
        subtitle="Owners upload data and request jobs; admins approve requests that would take an owner past their ε allowance on a dataset (all their jobs there together)."
      />
      <InvitationsCard />
      <Card title="Users" labelledBy="admin-users" flush>
        {users.isPending || users.isError ? (
          <QueryStatus query={users} />
        ) : users.data.length === 0 ? (
          <EmptyState icon="users" title="No users" />
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Users">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">ε allowance per dataset</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col" className="hide-narrow">
                    Since
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((user) => (
                  <UserRow key={user.id} user={user} isSelf={user.id === me?.id} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

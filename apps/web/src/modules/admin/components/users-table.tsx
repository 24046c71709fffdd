"use client";

import { useState } from "react";
import type { TUserWire } from "@/components/api/wire-types";
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
  const allowanceChanged = Number(allowance) !== user.epsilonAllowance && Number(allowance) >= 0;
  return (
    <tr>
      <td>
        <div style={{ fontWeight: 550 }}>{user.name}</div>
        <div className="muted">{user.email}</div>
      </td>
      <td>
        <label htmlFor={roleId} className="visually-hidden">
          Role of {user.email}
        </label>
        <select
          id={roleId}
          className="select"
          style={{ width: 130 }}
          value={user.role}
          disabled={isSelf || update.isPending}
          title={isSelf ? "You cannot change your own role" : undefined}
          onChange={(event) => update.mutate({ id: user.id, role: event.target.value as TUserWire["role"] })}
        >
          <option value="OWNER">Owner</option>
          <option value="ADMIN">Admin</option>
        </select>
      </td>
      <td>
        <form
          className="row"
          onSubmit={(event) => {
            event.preventDefault();
            if (allowanceChanged) update.mutate({ id: user.id, epsilonAllowance: Number(allowance) });
          }}
        >
          <label htmlFor={allowanceId} className="visually-hidden">
            ε allowance per dataset of {user.email}
          </label>
          <input
            id={allowanceId}
            className="input num"
            style={{ width: 90 }}
            type="number"
            min={0}
            step="any"
            value={allowance}
            onChange={(event) => setAllowance(event.target.value)}
          />
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

"use client";

import type { Role } from "@dpsynth/db";
import { useSession } from "next-auth/react";

export type TCurrentUser = { id: string; email: string; name: string | null; role: Role };

/**
 * The signed-in user from the next-auth session (JWT carries id and role), or null while loading or signed out.
 * Read field by field so a session without the role claim reads as an owner rather than crashing the shell.
 */
export function useCurrentUser(): { user: TCurrentUser | null; loading: boolean } {
  const { data, status } = useSession();
  const raw = data?.user as { id?: unknown; email?: unknown; name?: unknown; role?: unknown } | undefined;
  if (!raw || typeof raw.email !== "string") return { user: null, loading: status === "loading" };
  return {
    user: {
      id: typeof raw.id === "string" ? raw.id : "",
      email: raw.email,
      name: typeof raw.name === "string" ? raw.name : null,
      role: raw.role === "ADMIN" ? "ADMIN" : "OWNER",
    },
    loading: false,
  };
}

import type { Metadata } from "next";
import { AcceptInvitation } from "@/modules/invitations/components/accept-invitation";

export const metadata: Metadata = { title: "Accept an invitation" };

export default function InvitePage() {
  return <AcceptInvitation />;
}

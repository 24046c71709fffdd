import type { Metadata } from "next";
import { AccountSettings } from "@/modules/account/components/account-settings";

export const metadata: Metadata = { title: "Account" };

export default function SettingsPage() {
  return <AccountSettings />;
}

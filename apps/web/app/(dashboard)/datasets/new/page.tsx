import type { Metadata } from "next";
import { connection } from "next/server";
import { UploadWizard } from "@/modules/datasets/components/upload-wizard";
import { loadConfig } from "@/server/config";

export const metadata: Metadata = { title: "Upload a dataset" };

export default async function UploadPage() {
  // The limit is read at request time, from the running server's configuration.
  await connection();
  const uploadLimitMb = Math.round(loadConfig().uploadLimitBytes / 1024 / 1024);
  return <UploadWizard uploadLimitMb={uploadLimitMb} />;
}

import { z } from "zod";
import { ZApprovalList, ZApprovalParams, ZDecision } from "../approvals/schemas.ts";
import { ZAuditList, ZAuditQuery } from "../audit/schemas.ts";
import {
  ZBudgetUpdate,
  ZDataset,
  ZDatasetDetail,
  ZDatasetList,
  ZIdParams,
  ZPreview,
  ZUploadFields,
} from "../datasets/schemas.ts";
import {
  ZInvitationAccept,
  ZInvitationAccepted,
  ZInvitationCreate,
  ZInvitationCreated,
  ZInvitationList,
  ZInvitationLookup,
  ZInvitationParams,
  ZInvitationPreview,
} from "../invitations/schemas.ts";
import { ZArtifactParams, ZCreateJob, ZJob, ZJobList, ZJobListQuery, ZMetrics, ZQuote } from "../jobs/schemas.ts";
import { ZTrainerList } from "../trainers/schemas.ts";
import {
  ZMe,
  ZPasswordChange,
  ZTokenCreate,
  ZTokenCreated,
  ZUser,
  ZUserList,
  ZUserParams,
  ZUserUpdate,
} from "../users/schemas.ts";
import type { TAccess } from "./route.ts";

/** How a response body is documented: a JSON schema, or a media type with a plain description. */
type TResponseDoc = z.ZodType | { mediaType: string; description: string };

export interface TEndpoint {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Under /api/v1, with `{param}` placeholders. */
  path: string;
  access: TAccess;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Form fields of a multipart request (besides its `file`). */
  multipart?: z.ZodObject;
  status?: number;
  response: TResponseDoc;
}

const ZDownloadQuery = z.object({ download: z.enum(["0", "1"]).optional() });

/**
 * Every /api/v1 route: route handlers take their access rule and validators from here, and the OpenAPI
 * document is generated from the same objects, so the two cannot drift apart.
 */
export const ENDPOINTS = {
  listDatasets: {
    method: "GET",
    path: "/datasets",
    access: "user",
    summary: "Datasets the caller may see, with budgets",
    response: ZDatasetList,
  },
  uploadDataset: {
    method: "POST",
    path: "/datasets",
    access: "user",
    summary: "Upload a CSV: validated, holdout drawn once, train and holdout stored",
    multipart: ZUploadFields,
    status: 201,
    response: ZDataset,
  },
  previewDataset: {
    method: "POST",
    path: "/datasets/preview",
    access: "user",
    summary: "Detect a CSV's format, column types and proposed columns; stores nothing",
    multipart: z.object({}),
    response: ZPreview,
  },
  getDataset: {
    method: "GET",
    path: "/datasets/{id}",
    access: "user",
    summary: "One dataset with its budget and ledger",
    params: ZIdParams,
    response: ZDatasetDetail,
  },
  setBudget: {
    method: "PUT",
    path: "/datasets/{id}/budget",
    access: "admin",
    summary: "Set a dataset's total privacy budget",
    params: ZIdParams,
    body: ZBudgetUpdate,
    response: ZDataset,
  },
  listJobs: {
    method: "GET",
    path: "/jobs",
    access: "user",
    summary: "Jobs the caller may see",
    query: ZJobListQuery,
    response: ZJobList,
  },
  createJob: {
    method: "POST",
    path: "/jobs",
    access: "user",
    summary: "Request a job: queued, waiting for approval, or refused over budget (409)",
    body: ZCreateJob,
    status: 201,
    response: ZJob,
  },
  quoteJob: {
    method: "POST",
    path: "/jobs/quote",
    access: "user",
    summary: "What a job request would do now, without side effects",
    body: ZCreateJob,
    response: ZQuote,
  },
  getJob: { method: "GET", path: "/jobs/{id}", access: "user", summary: "One job", params: ZIdParams, response: ZJob },
  jobMetrics: {
    method: "GET",
    path: "/jobs/{id}/metrics",
    access: "user",
    summary: "The job's metric points (loss, epsilon, throughput by step)",
    params: ZIdParams,
    response: ZMetrics,
  },
  jobEvents: {
    method: "GET",
    path: "/jobs/{id}/events",
    access: "user",
    summary: "Server-Sent Events: history, then live; Last-Event-ID resumes; `end` closes",
    params: ZIdParams,
    response: { mediaType: "text/event-stream", description: "Trainer events (id = seq, event = type, data = JSON)" },
  },
  cancelJob: {
    method: "POST",
    path: "/jobs/{id}/cancel",
    access: "user",
    summary: "Cancel a waiting, queued or running job",
    params: ZIdParams,
    response: ZJob,
  },
  downloadArtifact: {
    method: "GET",
    path: "/jobs/{id}/artifacts/{name}",
    access: "user",
    summary: "Download synthetic.csv, report.html or report.json, verified against its sha256",
    params: ZArtifactParams,
    query: ZDownloadQuery,
    response: { mediaType: "application/octet-stream", description: "The artifact, streamed" },
  },
  listApprovals: {
    method: "GET",
    path: "/approvals",
    access: "admin",
    summary: "Jobs waiting for approval",
    response: ZApprovalList,
  },
  decideApproval: {
    method: "POST",
    path: "/approvals/{jobId}",
    access: "admin",
    summary: "Approve (queue) or reject (release) a waiting job",
    params: ZApprovalParams,
    body: ZDecision,
    response: ZJob,
  },
  me: { method: "GET", path: "/me", access: "user", summary: "The caller and their API tokens", response: ZMe },
  changePassword: {
    method: "PUT",
    path: "/me/password",
    access: "user",
    summary: "Change the caller's password: the current one, and a new one that follows the password rule",
    body: ZPasswordChange,
    response: z.object({ changed: z.literal(true) }),
  },
  createToken: {
    method: "POST",
    path: "/tokens",
    access: "user",
    summary: "Create an API token (shown once)",
    body: ZTokenCreate,
    status: 201,
    response: ZTokenCreated,
  },
  revokeToken: {
    method: "DELETE",
    path: "/tokens/{id}",
    access: "user",
    summary: "Revoke one of the caller's API tokens",
    params: ZIdParams,
    response: z.object({ revoked: z.literal(true) }),
  },
  listUsers: {
    method: "GET",
    path: "/users",
    access: "admin",
    summary: "Users with roles and allowances",
    response: ZUserList,
  },
  updateUser: {
    method: "PUT",
    path: "/users/{id}",
    access: "admin",
    summary: "Change a user's role or epsilon allowance (per dataset, all their jobs on it together)",
    params: ZUserParams,
    body: ZUserUpdate,
    response: ZUser,
  },
  listInvitations: {
    method: "GET",
    path: "/invitations",
    access: "admin",
    summary: "Invitations not yet accepted or revoked (pending, or expired unused)",
    response: ZInvitationList,
  },
  createInvitation: {
    method: "POST",
    path: "/invitations",
    access: "admin",
    summary: "Invite an email with a role and an epsilon allowance: a one-time link, shown once",
    body: ZInvitationCreate,
    status: 201,
    response: ZInvitationCreated,
  },
  revokeInvitation: {
    method: "DELETE",
    path: "/invitations/{id}",
    access: "admin",
    summary: "Revoke an invitation: its link stops working",
    params: ZInvitationParams,
    response: z.object({ revoked: z.literal(true) }),
  },
  lookupInvitation: {
    method: "POST",
    path: "/invitations/lookup",
    access: "public",
    summary: "What an invitation link invites to, or why it no longer works (expired, used, revoked)",
    body: ZInvitationLookup,
    response: ZInvitationPreview,
  },
  acceptInvitation: {
    method: "POST",
    path: "/invitations/accept",
    access: "public",
    summary: "Accept an invitation: create the account with a name and a password; the link is then used up",
    body: ZInvitationAccept,
    status: 201,
    response: ZInvitationAccepted,
  },
  listTrainers: {
    method: "GET",
    path: "/trainers",
    access: "user",
    summary: "Trainers online now (device, models, busy or idle) and which catalog models they can run",
    response: ZTrainerList,
  },
  audit: {
    method: "GET",
    path: "/audit",
    access: "admin",
    summary: "The audit trail, newest first",
    query: ZAuditQuery,
    response: ZAuditList,
  },
  openapi: {
    method: "GET",
    path: "/openapi.json",
    access: "public",
    summary: "This document",
    response: { mediaType: "application/json", description: "OpenAPI 3.1" },
  },
} as const satisfies Record<string, TEndpoint>;

"use client";

import Link from "next/link";
import type { TTrainerWire } from "@/components/api/wire-types";
import { useNow } from "@/components/hooks/use-now";
import { formatBytes } from "@/components/ui/format";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, QueryStatus } from "@/components/ui/states";
import { useTrainers } from "@/modules/trainers/hooks/use-trainers";

function deviceInWords({ device, devicesPerJob }: TTrainerWire): string {
  const machine =
    device.kind === "gpu"
      ? `GPU · ${device.count} × ${device.name} · ${formatBytes(device.memoryBytes)} each`
      : `CPU · ${device.count} ${device.count === 1 ? "core" : "cores"} · ${formatBytes(device.memoryBytes)}`;
  // A trainer of several devices per job runs only jobs that ask for that many (training.devices).
  return devicesPerJob > 1 ? `${machine} · each job on ${devicesPerJob} devices` : machine;
}

function secondsAgo(iso: string, now: number): string {
  return `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago`;
}

/** Every trainer whose heartbeat is live: what it runs on, whether it reaches the hub, what it is doing. */
export function TrainersTable() {
  const trainers = useTrainers();
  const now = useNow(true);
  return (
    <div className="page">
      <PageHeader
        title="Trainers"
        subtitle="The trainer processes connected now, from the heartbeat each sends every few seconds; one that stops beating leaves this list within seconds."
      />
      <Card flush title="Online" labelledBy="trainers-heading">
        {trainers.isPending || trainers.isError ? (
          <QueryStatus query={trainers} />
        ) : trainers.data.trainers.length === 0 ? (
          <EmptyState icon="gauge" title="No trainer is online">
            Jobs wait in the queue until a trainer connects; npm start runs one CPU trainer.
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Trainers">
              <thead>
                <tr>
                  <th scope="col">Trainer</th>
                  <th scope="col">Device</th>
                  <th scope="col">State</th>
                  <th scope="col">Current job</th>
                  <th scope="col">Hub</th>
                  <th scope="col" className="hide-narrow">
                    Local models
                  </th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {trainers.data.trainers.map((trainer) => (
                  <tr key={trainer.id} data-testid="trainer-row" data-kind={trainer.device.kind}>
                    <td className="mono">{trainer.id}</td>
                    <td>
                      <span className={`badge plain ${trainer.device.kind === "gpu" ? "badge-success" : ""}`}>
                        {trainer.device.kind.toUpperCase()}
                      </span>{" "}
                      <span className="muted">{deviceInWords(trainer)}</span>
                    </td>
                    <td>
                      <span className={`badge plain ${trainer.state === "busy" ? "badge-warning" : "badge-success"}`}>
                        {trainer.state}
                      </span>
                    </td>
                    <td>
                      {trainer.currentJobs.length === 0 ? (
                        <span className="faint">{trainer.runningJobs ? `${trainer.runningJobs} job(s)` : "none"}</span>
                      ) : (
                        trainer.currentJobs.map((id) => (
                          <Link key={id} href={`/jobs/${id}`} className="mono" style={{ display: "block" }}>
                            job {id.slice(-8)}
                          </Link>
                        ))
                      )}
                    </td>
                    <td>{trainer.hubReachable ? "reachable" : <span className="muted">offline</span>}</td>
                    <td className="hide-narrow mono muted" style={{ maxWidth: 280 }}>
                      {trainer.localModels.join(", ") || "—"}
                    </td>
                    <td className="muted num" style={{ whiteSpace: "nowrap" }}>
                      {secondsAgo(trainer.lastSeenAt, now)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

"use client";

import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatNumber } from "@/components/ui/format";
import { roundScale } from "../lib/chart-scale";

export type TCurveSeries = {
  key: string;
  name: string;
  color: string;
  /** Training's own ε after each step, from the trainer's accountant. */
  points: { step: number; epsilon: number; loss: number }[];
  /** ε the job spent on its labels (counts, or the label set) before training: the curve starts there. */
  labelEpsilon?: number;
};

type TPlotted = { step: number; epsilon: number; loss: number; total: number };

/** Distinct colours for overlaid curves, readable on white. */
export const SERIES_COLORS = ["#4f46e5", "#0f8a5f", "#c2410c", "#be185d", "#0369a1", "#7c3aed", "#a16207", "#334155"];

function ChartTooltip({
  active,
  payload,
}: {
  active?: boolean;
  payload?: readonly { payload?: TPlotted; name?: unknown; color?: string }[];
}) {
  if (!active || !payload?.length) return null;
  return (
    <div className="card" style={{ padding: "8px 10px", fontSize: 12.5 }}>
      {payload.map((entry) =>
        entry.payload ? (
          <div key={`${String(entry.name)}-${entry.payload.step}`} className="num">
            <span style={{ color: entry.color, fontWeight: 600 }}>{String(entry.name)}</span> · step{" "}
            {entry.payload.step} · ε {formatNumber(entry.payload.total)} in all · loss{" "}
            {formatNumber(entry.payload.loss)}
          </div>
        ) : null,
      )}
    </div>
  );
}

/**
 * Training loss against the job's ε spent so far: the privacy cost of every bit of progress. The x-axis is the
 * job's whole spend, so the label releases made before training come first (a shaded band, named) and the curve
 * ends at or under the dashed approved ε. Points are joined by straight segments: a smoothed line would draw
 * losses that were never measured.
 */
export function LossEpsilonChart({
  series,
  approvedEpsilon,
  height,
}: {
  series: TCurveSeries[];
  approvedEpsilon?: number | null;
  height?: number;
}) {
  const plotted = series.map((one) => ({
    ...one,
    plotted: one.points.map((p): TPlotted => ({ ...p, total: (one.labelEpsilon ?? 0) + p.epsilon })),
  }));
  const all = plotted.flatMap((one) => one.plotted);
  const pointCount = all.length;
  const x = roundScale(0, Math.max(approvedEpsilon ?? 0, ...all.map((p) => p.total), 0) || 1);
  const y = roundScale(Math.min(...all.map((p) => p.loss)), Math.max(...all.map((p) => p.loss)));
  // One job's label share is drawn; overlaid jobs may each have their own, so none is.
  const labelEpsilon = series.length === 1 ? (series[0]?.labelEpsilon ?? 0) : 0;
  const first = plotted.length === 1 ? plotted[0]?.plotted[0] : undefined;
  return (
    <figure
      style={{ margin: 0 }}
      aria-label="Training loss versus epsilon spent"
      data-testid="loss-epsilon-chart"
      data-points={pointCount}
    >
      <div className="chart-box" style={height ? { height } : undefined}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 12, right: 24, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="#eceef2" strokeDasharray="3 3" />
            <XAxis
              type="number"
              dataKey="total"
              domain={x.domain}
              ticks={x.ticks}
              tickFormatter={(value: number) => formatNumber(value, x.digits)}
              label={{ value: "ε spent", position: "insideBottomRight", offset: -4, fontSize: 12 }}
              fontSize={12}
              allowDuplicatedCategory={false}
            />
            <YAxis
              type="number"
              dataKey="loss"
              domain={y.domain}
              ticks={y.ticks}
              tickFormatter={(value: number) => formatNumber(value, y.digits)}
              width={48}
              fontSize={12}
              label={{ value: "loss", angle: -90, position: "insideLeft", fontSize: 12 }}
            />
            <Tooltip content={<ChartTooltip />} />
            {series.length > 1 && <Legend verticalAlign="top" height={28} iconType="plainline" />}
            {labelEpsilon > 0 && (
              <ReferenceArea
                x1={0}
                x2={labelEpsilon}
                fill="#a5b4fc"
                fillOpacity={0.25}
                ifOverflow="extendDomain"
                label={{ value: "labels", position: "insideTop", fontSize: 11, fill: "#4338ca" }}
              />
            )}
            {approvedEpsilon ? (
              <ReferenceLine
                x={approvedEpsilon}
                stroke="#c2313b"
                strokeDasharray="5 4"
                ifOverflow="extendDomain"
                label={{
                  value: `approved ε ${formatNumber(approvedEpsilon, 2)}`,
                  position: "insideTopRight",
                  fontSize: 11,
                  fill: "#c2313b",
                }}
              />
            ) : null}
            {plotted.map((one) => (
              <Line
                key={one.key}
                data={one.plotted}
                dataKey="loss"
                name={one.name}
                type="linear"
                stroke={one.color}
                strokeWidth={2}
                dot={one.plotted.length < 40 ? { r: 2.5 } : false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="faint" style={{ fontSize: 12 }} data-testid="chart-caption">
        {pointCount === 0 ? "No training steps yet." : captionFor(pointCount, labelEpsilon, first)}
      </figcaption>
    </figure>
  );
}

function captionFor(points: number, labelEpsilon: number, first: TPlotted | undefined): string {
  const parts = [
    `${points} ${points === 1 ? "point" : "points"}; x: the job's ε spent so far, from the privacy accountant; y: training loss.`,
  ];
  if (labelEpsilon > 0) {
    parts.push(`The shaded band is the ε ${formatNumber(labelEpsilon, 2)} spent on the labels before training.`);
  }
  if (first && first.epsilon > 0) {
    parts.push(
      `The first step alone costs ε ${formatNumber(first.epsilon, 2)}; the accountant's ε then grows more slowly than the number of steps.`,
    );
  }
  parts.push(
    "The loss is measured on the private rows without noise, so it is not differentially private: only the owner and admins see it.",
  );
  return parts.join(" ");
}

"use client";

import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatNumber } from "@/components/ui/format";

export type TCurveSeries = {
  key: string;
  name: string;
  color: string;
  points: { step: number; epsilon: number; loss: number }[];
};

/** Distinct colours for overlaid curves, readable on white. */
export const SERIES_COLORS = ["#4f46e5", "#0f8a5f", "#c2410c", "#be185d", "#0369a1", "#7c3aed", "#a16207", "#334155"];

function ChartTooltip({
  active,
  payload,
}: {
  active?: boolean;
  payload?: readonly { payload?: { step: number; epsilon: number; loss: number }; name?: unknown; color?: string }[];
}) {
  if (!active || !payload?.length) return null;
  return (
    <div className="card" style={{ padding: "8px 10px", fontSize: 12.5 }}>
      {payload.map((entry) =>
        entry.payload ? (
          <div key={`${String(entry.name)}-${entry.payload.step}`} className="num">
            <span style={{ color: entry.color, fontWeight: 600 }}>{String(entry.name)}</span> · step{" "}
            {entry.payload.step} · ε {formatNumber(entry.payload.epsilon)} · loss {formatNumber(entry.payload.loss)}
          </div>
        ) : null,
      )}
    </div>
  );
}

/**
 * Training loss against the epsilon spent so far: the privacy cost of every bit of progress. The dashed line is
 * the approved epsilon, which the trainer never crosses.
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
  const pointCount = series.reduce((sum, one) => sum + one.points.length, 0);
  const maxEpsilon = Math.max(approvedEpsilon ?? 0, ...series.flatMap((one) => one.points.map((p) => p.epsilon)), 0);
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
              dataKey="epsilon"
              domain={[0, maxEpsilon > 0 ? Math.ceil(maxEpsilon * 1.05 * 10) / 10 : 1]}
              tickFormatter={(value: number) => formatNumber(value, 2)}
              label={{ value: "ε spent", position: "insideBottomRight", offset: -4, fontSize: 12 }}
              fontSize={12}
              allowDuplicatedCategory={false}
            />
            <YAxis
              type="number"
              dataKey="loss"
              domain={["auto", "auto"]}
              tickFormatter={(value: number) => formatNumber(value, 2)}
              width={48}
              fontSize={12}
              label={{ value: "loss", angle: -90, position: "insideLeft", fontSize: 12 }}
            />
            <Tooltip content={<ChartTooltip />} />
            {series.length > 1 && <Legend verticalAlign="top" height={28} iconType="plainline" />}
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
            {series.map((one) => (
              <Line
                key={one.key}
                data={one.points}
                dataKey="loss"
                name={one.name}
                type="monotone"
                stroke={one.color}
                strokeWidth={2}
                dot={one.points.length < 40 ? { r: 2.5 } : false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="faint" style={{ fontSize: 12 }}>
        {pointCount === 0
          ? "No training steps yet."
          : `${pointCount} ${pointCount === 1 ? "point" : "points"}; x: cumulative ε from the privacy accountant, y: training loss. The loss is measured on the private rows without noise, so it is not differentially private: only the owner and admins see it.`}
      </figcaption>
    </figure>
  );
}

import { formatInteger } from "@/components/ui/format";

/** Label classes with their counts and shares, largest first. */
export function LabelCounts({ counts, caption }: { counts: Record<string, number>; caption?: string }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return (
    <div className="stack" style={{ gap: 8 }}>
      {caption && <span className="muted">{caption}</span>}
      <ul className="stack" style={{ gap: 8, listStyle: "none", margin: 0, padding: 0 }} aria-label="Label counts">
        {entries.map(([label, count]) => {
          const share = total ? count / total : 0;
          return (
            <li key={label} className="stack" style={{ gap: 4 }}>
              <div className="spread">
                <span style={{ fontWeight: 550 }}>{label}</span>
                <span className="num muted">
                  {formatInteger(count)} · {(share * 100).toFixed(0)}%
                </span>
              </div>
              <div className="progress" aria-hidden="true">
                <span style={{ width: `${share * 100}%`, background: "var(--reserved)" }} />
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

import type { TColumnSummary } from "@dpsynth/datasets";
import { formatInteger } from "@/components/ui/format";

const TYPE_TONE: Record<TColumnSummary["type"], string> = {
  text: "badge-accent",
  category: "badge-info",
  integer: "",
  number: "",
  boolean: "",
  empty: "badge-danger",
};

export function ColumnTypeBadge({ type }: { type: TColumnSummary["type"] }) {
  return <span className={`badge plain ${TYPE_TONE[type]}`}>{type}</span>;
}

/** Detected columns: name, type, distinct values and empties. */
export function ColumnTable({ columns, roles }: { columns: TColumnSummary[]; roles: Record<string, string> }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Detected columns">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Type</th>
            <th scope="col" className="right">
              Distinct
            </th>
            <th scope="col" className="right">
              Empty
            </th>
            <th scope="col" className="right hide-narrow">
              Mean length
            </th>
            <th scope="col">Role</th>
          </tr>
        </thead>
        <tbody>
          {columns.map((column) => (
            <tr key={column.name}>
              <td style={{ fontWeight: 550 }}>{column.name}</td>
              <td>
                <ColumnTypeBadge type={column.type} />
              </td>
              <td className="right">{formatInteger(column.distinct)}</td>
              <td className="right">{formatInteger(column.empty)}</td>
              <td className="right hide-narrow">{column.meanLength}</td>
              <td>
                {roles[column.name] ? <span className="badge plain badge-success">{roles[column.name]}</span> : null}
                {!roles[column.name] && column.idLike ? (
                  <span className="badge plain badge-warning" title="A different value in every row">
                    ID-like
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The first rows of the owner's own file, cut short so one long cell does not take over the page. */
export function RowPreview({ header, rows }: { header: string[]; rows: string[][] }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="First rows" data-content="rows">
        <thead>
          <tr>
            {header.map((name) => (
              <th scope="col" key={name}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, rowIndex) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: preview rows have no identity of their own
            <tr key={rowIndex}>
              {header.map((name, cellIndex) => (
                <td key={name} className="truncate" title={row[cellIndex]}>
                  {row[cellIndex]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

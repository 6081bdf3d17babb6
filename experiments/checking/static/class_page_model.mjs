// The class page's pure part: how rows sort and what the tally says (testable with node).

export const COLUMNS = [
  { key: "file", label: "Submission" },
  { key: "status", label: "Status" },
  { key: "loss", label: "Loss descended" },
  { key: "lr", label: "lr" },
  { key: "message", label: "Message" },
];

// worst first when sorted ascending: what a teacher reads first
export const STATUS_ORDER = ["error", "not recognised", "wrong", "ok"];

export function sortValue(row, key) {
  if (key === "status") {
    const rank = STATUS_ORDER.indexOf(row.status);
    return rank < 0 ? STATUS_ORDER.length : rank;
  }
  if (key === "lr") return row.lr === null || row.lr === undefined ? Infinity : row.lr;
  const value = row[key];
  return value === null || value === undefined ? "" : String(value);
}

export function compareRows(a, b, key, direction) {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  let order;
  if (typeof x === "number" && typeof y === "number") order = x - y;
  else order = String(x).localeCompare(String(y));
  if (order === 0) order = String(a.file).localeCompare(String(b.file));
  return direction === "descending" ? -order : order;
}

export function sortedRows(rows, key, direction) {
  return rows.slice().sort((a, b) => compareRows(a, b, key, direction));
}

export function tally(rows) {
  const counts = {};
  for (const row of rows) counts[row.status] = (counts[row.status] || 0) + 1;
  const parts = STATUS_ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
  return `${rows.length} submission${rows.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

export function formatLr(lr) {
  if (lr === null || lr === undefined) return "";
  return Number(lr.toPrecision(6)).toString();
}

// The class page: one row per submission, sortable by every column, each row opening to its
// diagnoses, notes, table, adapter and output. Every piece of learner text is set as text.

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function section(title, body) {
  const wrap = el("div", { class: "cp-section" });
  wrap.append(el("h3", {}, title), body);
  return wrap;
}

function listOf(lines) {
  const ul = el("ul");
  for (const line of lines) ul.append(el("li", {}, line));
  return ul;
}

function details(row, id) {
  const region = el("div", { role: "region", "aria-label": `Details of ${row.file}`, id });
  if (row.diagnosis && row.diagnosis.length) {
    region.append(section("Diagnoses", listOf(row.diagnosis)));
  }
  if (row.found && row.found.length) region.append(section("Found", listOf(row.found)));
  if (row.table) region.append(section("Entries", el("pre", {}, row.table)));
  if (row.adapter) region.append(section("Adapter (a step file to edit)", el("pre", {}, row.adapter)));
  if (row.output) region.append(section("Output", el("pre", {}, row.output)));
  if (!region.childElementCount) region.append(el("p", {}, "Nothing more to show."));
  return region;
}

function rowElements(row, index) {
  const main = el("tr", { class: `cp-row cp-${row.status.replace(" ", "-")}` });
  const id = `cp-details-${index}`;
  const open = el("button", { type: "button", "aria-expanded": "false", "aria-controls": id });
  open.textContent = row.file;
  const first = el("td");
  first.append(open);
  main.append(first);
  main.append(el("td", { class: "cp-status" }, row.status));
  main.append(el("td", { class: "cp-loss" }, row.loss || ""));
  main.append(el("td", { class: "cp-number" }, formatLr(row.lr)));
  main.append(el("td", {}, row.message));
  const more = el("tr", { class: "cp-more", hidden: "" });
  const cell = el("td", { colspan: String(COLUMNS.length) });
  cell.append(details(row, id));
  more.append(cell);
  open.addEventListener("click", () => {
    const shown = open.getAttribute("aria-expanded") === "true";
    open.setAttribute("aria-expanded", shown ? "false" : "true");
    more.hidden = shown;
  });
  return [main, more];
}

function render({ model, el: host }) {
  const rows = model.get("rows");
  const root = el("div", { class: "cp" });
  root.append(el("h1", {}, model.get("title")));
  root.append(el("p", { class: "cp-tally" }, tally(rows)));
  const table = el("table");
  table.append(el("caption", {}, "One row per submission; open a row for its diagnoses."));
  const head = el("tr");
  const headers = [];
  for (const column of COLUMNS) {
    const th = el("th", { scope: "col", "aria-sort": "none" });
    const button = el("button", { type: "button" }, column.label);
    th.append(button);
    head.append(th);
    headers.push([column, th, button]);
  }
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  table.append(thead, tbody);
  const elements = new Map(rows.map((row, i) => [row, rowElements(row, i)]));
  function show(key, direction) {
    for (const [column, th] of headers) {
      th.setAttribute("aria-sort", column.key === key ? direction : "none");
    }
    tbody.replaceChildren();
    for (const row of key ? sortedRows(rows, key, direction) : rows) {
      tbody.append(...elements.get(row));
    }
  }
  for (const [column, th, button] of headers) {
    button.addEventListener("click", () => {
      const now = th.getAttribute("aria-sort");
      show(column.key, now === "ascending" ? "descending" : "ascending");
    });
  }
  show(null, "none");
  root.append(table);
  host.append(root);
}

export default { render };

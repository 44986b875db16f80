// The library page: list the corpus; with the admin token, add (drop, address, pasted text; citation
// checked before saving), edit a citation, remove with confirmation, rebuild with live progress, roll back.
import { api, setToken, token } from "./admin.js";
import { el, known } from "./render.js";

const $ = (id) => document.getElementById(id);
const editable = $("library-app").dataset.editable === "true";
const FIELDS = ["title", "author", "publisher", "date", "url"];
let pending = null;  // what the preview came from: {file} | {fetch} | {text}

function say(text) {
  $("lib-status").textContent = text;
}

/** Show a failure: the message from the server's JSON body (a refused token asks for it again). */
function fail(error) {
  const box = $("lib-error");
  box.textContent = error.message;
  box.hidden = false;
  if (error.status === 401) {
    setToken("");
    showEditing();
    $("token-input").focus();
  }
}

function clearError() {
  $("lib-error").hidden = true;
  $("lib-error").textContent = "";
}

/** Editing controls appear once a token is entered. */
function showEditing() {
  const on = Boolean(token());
  $("token-panel").hidden = false;
  $("token-form").hidden = on;
  $("token-set").hidden = !on;
  for (const node of document.querySelectorAll(".editing")) node.hidden = !on;
}

/** One row: citation, date, passages, state, and (when editing) Edit and Remove. */
function rowEl(row) {
  const removed = row.status.startsWith("removed");
  const title = removed ? row.id
    : el("a", { href: `/sources/${encodeURIComponent(row.id)}` }, known(row.title, `Untitled article (${row.id})`));
  const actions = el("td", { class: "editing", hidden: token() ? null : "" });
  if (!removed) {
    actions.append(el("span", { class: "row-actions" },
      el("button", { type: "button", class: "secondary edit", "aria-label": `Edit the citation of ${row.id}` }, "Edit"),
      el("button", { type: "button", class: "secondary remove", "aria-label": `Remove ${row.id}` }, "Remove")));
  }
  return el("tr", { "data-id": row.id },
    el("th", { scope: "row" }, el("span", { class: "lib-title" }, title),
      el("span", { class: "src-meta" }, `${known(row.author, "author unknown")} · ${known(row.publisher, "publisher unknown")} · `,
        el("code", {}, row.id))),
    el("td", { class: "date" }, known(row.date, "unknown")), el("td", {}, String(row.passages)),
    el("td", {}, el("span", { class: `state state-${row.status.split(" ")[0]}` }, row.status)), actions);
}

let rows = [];

/** Fetch and show the list again. */
async function refresh() {
  const body = await api("GET", "/library?format=json");
  rows = body.sources;
  const inCorpus = rows.filter((r) => !r.status.startsWith("removed")).length;
  $("library-count").textContent = `The ${inCorpus} article${inCorpus === 1 ? "" : "s"}`;
  $("library-table").querySelector("tbody").replaceChildren(...rows.map(rowEl));
}

/** The inline form that edits one article's citation (PATCH: metadata only, nothing re-embedded). */
function startEdit(tr) {
  const row = rows.find((r) => r.id === tr.dataset.id);
  const inputs = FIELDS.map((name) => {
    const input = el("input", { id: `edit-${name}`, name });
    input.value = row[name] === "unknown" ? "" : row[name];
    return el("div", { class: "field" }, el("label", { for: `edit-${name}` }, name[0].toUpperCase() + name.slice(1)), input);
  });
  const form = el("form", { class: "edit-form", "aria-label": `Edit the citation of ${row.id}` }, ...inputs,
    el("p", { class: "hint" }, "Leave a field empty when it is unknown. Saving rewrites the citation only; the next rebuild embeds nothing."),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Save"),
      el("button", { type: "button", class: "secondary cancel" }, "Cancel")));
  const editRow = el("tr", { class: "edit-row" }, el("td", { colspan: "5" }, form));
  tr.after(editRow);
  form.querySelector("input").focus();
  form.querySelector(".cancel").addEventListener("click", () => { editRow.remove(); tr.querySelector(".edit").focus(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    const changes = Object.fromEntries(FIELDS.map((n) => [n, form.elements[n].value.trim()]));
    try {
      await api("PATCH", `/sources/${encodeURIComponent(row.id)}`, changes);
      await refresh();
      say(`Saved the citation of ${row.id}. Rebuild the index to serve it.`);
      $("rebuild").focus();
    } catch (error) {
      fail(error);
    }
  });
}

/** Remove asks first, in the row itself (no pop-up dialog). */
function confirmRemove(tr) {
  const id = tr.dataset.id;
  const cell = tr.querySelector(".row-actions");
  const keep = cell.cloneNode(true);
  const yes = el("button", { type: "button", class: "danger" }, `Remove ${id}`);
  const no = el("button", { type: "button", class: "secondary" }, "Keep it");
  cell.replaceChildren(el("span", {}, "Remove from the corpus? "), yes, no);
  yes.focus();
  no.addEventListener("click", () => { cell.replaceWith(keep); keep.querySelector(".remove").focus(); });
  yes.addEventListener("click", async () => {
    clearError();
    try {
      await api("DELETE", `/sources/${encodeURIComponent(id)}`);
      await refresh();
      say(`Removed ${id} from the corpus. The index serves it until the next rebuild.`);
      $("rebuild").focus();
    } catch (error) {
      fail(error);
    }
  });
}

/** Show what adding would write, to correct before saving. */
async function preview(source) {
  clearError();
  say("Reading the article…");
  try {
    const body = source.file ? formOf(source.file, {}) : source;
    const found = await api("POST", "/sources/preview", body);
    pending = source;
    for (const name of [...FIELDS, "id"]) $(`preview-${name}`).value = found.source[name] === "unknown" ? "" : found.source[name];
    $("preview-missing").textContent = found.missing.length
      ? `Nothing was found for: ${found.missing.join(", ")}. Fill in what you know; empty fields are saved as unknown.`
      : "Every citation field was found; correct any that are wrong.";
    $("preview-about").textContent = `Read as ${found.kind}, ${found.words} words. The text itself is saved as it is.`;
    $("preview-excerpt").textContent = found.excerpt;
    $("preview-form").hidden = false;
    $("preview-heading").scrollIntoView({ block: "start" });
    $("preview-title").focus();
    say("Check the citation below, then save.");
  } catch (error) {
    say("");
    fail(error);
  }
}

/** The multipart body of an upload with citation fields. */
function formOf(file, fields) {
  const form = new FormData();
  form.append("file", file, file.name);
  for (const [name, value] of Object.entries(fields)) if (value) form.append(name, value);
  return form;
}

/** Save the previewed article with the corrected citation. */
async function save(event) {
  event.preventDefault();
  clearError();
  const fields = Object.fromEntries([...FIELDS, "id"].map((n) => [n, $(`preview-${n}`).value.trim()]));
  const body = pending.file ? formOf(pending.file, fields)
    : { ...(pending.fetch ? { fetch: pending.fetch } : { text: pending.text }),
      ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v)) };
  try {
    const added = await api("POST", "/sources", body);
    $("preview-form").hidden = true;
    pending = null;
    await refresh();
    say(`Added ${added.id}. Rebuild the index to make it searchable.`);
    $("rebuild").focus();
  } catch (error) {
    fail(error);
  }
}

/** Follow a build through GET /index/events: stage and percent, until it ends. */
function follow() {
  $("build-progress").hidden = false;
  const events = new EventSource("/index/events");
  events.addEventListener("message", async (message) => {
    const status = JSON.parse(message.data);
    const percent = status.percent ?? 0;
    $("build-bar").value = percent;
    const stage = status.state === "running" ? status.stage || "starting" : status.state;
    $("build-stage").textContent = `${stage} (${Math.round(percent)}%)`;
    if (status.state === "running") return;
    events.close();
    $("rebuild").disabled = false;
    if (status.state === "failed") {
      fail({ message: status.error ? status.error.message : "the build failed" });
    } else if (status.report) {
      const r = status.report;
      $("build-result").textContent = `Built version ${r.version} in ${r.seconds.toFixed(1)} s: ${r.added.length} added, `
        + `${r.updated.length} changed, ${r.relabelled.length} with new metadata only, ${r.removed.length} removed; `
        + `${r.encoded_sentences} sentences embedded.`;
      say("The rebuild is done; the new version is being served.");
    }
    await refresh();
  });
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) $("rebuild").disabled = false;
  });
}

async function rebuild() {
  clearError();
  try {
    $("rebuild").disabled = true;
    $("build-result").textContent = "";
    await api("POST", "/index");
    say("Rebuilding the index…");
    follow();
  } catch (error) {
    $("rebuild").disabled = false;
    fail(error);
  }
}

async function rollback() {
  clearError();
  try {
    const result = await api("POST", "/index/rollback");
    $("build-result").textContent = `Now serving version ${result.current} (was ${result.previous}).`;
    say(`Rolled back to version ${result.current}.`);
    await refresh();
  } catch (error) {
    fail(error);
  }
}

function wireAdding() {
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) preview({ file });
  });
  $("file-input").addEventListener("change", (event) => {
    if (event.target.files[0]) preview({ file: event.target.files[0] });
  });
  $("url-form").addEventListener("submit", (event) => { event.preventDefault(); preview({ fetch: $("url-input").value.trim() }); });
  $("text-form").addEventListener("submit", (event) => { event.preventDefault(); preview({ text: $("text-input").value }); });
  $("preview-form").addEventListener("submit", save);
  $("cancel-preview").addEventListener("click", () => { $("preview-form").hidden = true; pending = null; say("Nothing was added."); });
}

function start() {
  if (!editable) return;  // read-only: the server's list and its note say how to enable editing
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setToken($("token-input").value.trim());
    $("token-input").value = "";
    clearError();
    showEditing();
    say("Token kept for this tab; editing is on.");
    $("forget-token").focus();
  });
  $("forget-token").addEventListener("click", () => { setToken(""); showEditing(); say("Token forgotten."); $("token-input").focus(); });
  $("library-table").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const tr = event.target.closest("tr[data-id]");
    if (!button || !tr) return;
    if (button.classList.contains("edit")) startEdit(tr);
    if (button.classList.contains("remove")) confirmRemove(tr);
  });
  wireAdding();
  $("rebuild").addEventListener("click", rebuild);
  $("rollback").addEventListener("click", rollback);
  showEditing();
  refresh().catch(fail);
}

start();

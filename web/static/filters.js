// The filter panel: a source checklist and a date range, shown as removable chips next to the question box.
import { el } from "./render.js";
import { noFilters } from "./store.js";

const DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;  // the server checks the same

/** True when any filter restricts the articles. */
export function active(f) {
  return Boolean(f && (f.sources.length || f.date_from || f.date_to));
}

/** The filters as POST /ask wants them (only the fields in use). */
export function forRequest(f) {
  const body = {};
  if (f.sources.length) body.sources = [...f.sources];
  if (f.date_from) body.date_from = f.date_from;
  if (f.date_to) body.date_to = f.date_to;
  return body;
}

/** The filters a link (?source= ?from= ?to=) carries. */
export function fromParams(params) {
  return { sources: params.getAll("source"), date_from: params.get("from") || "", date_to: params.get("to") || "" };
}

/** Two filter objects ask for the same articles. */
export function same(a, b) {
  const x = a || noFilters();
  const y = b || noFilters();
  return x.date_from === y.date_from && x.date_to === y.date_to
    && JSON.stringify([...x.sources].sort()) === JSON.stringify([...y.sources].sort());
}

/** The panel, wired to read and show one conversation's filters; `onChange(filters)` hears every edit. */
export class FilterPanel {
  constructor(onChange) {
    this.onChange = onChange;
    this.panel = document.getElementById("filters");
    this.boxes = [...this.panel.querySelectorAll("input[name=source]")];
    this.from = document.getElementById("date-from");
    this.to = document.getElementById("date-to");
    this.chips = document.getElementById("filter-chips");
    this.titles = new Map(this.boxes.map((b) => [b.value, b.closest("label").querySelector(".fs-title").textContent]));
    this.panel.addEventListener("change", () => this.changed());
    this.chips.addEventListener("click", (event) => this.removeChip(event));
  }

  /** The filters the panel shows now (a malformed date is not applied; the field says why). */
  read() {
    const dates = [this.from, this.to].map((input) => {
      const value = input.value.trim();
      const ok = !value || DATE.test(value);
      input.setAttribute("aria-invalid", String(!ok));
      return ok ? value : "";
    });
    return { sources: this.boxes.filter((b) => b.checked).map((b) => b.value), date_from: dates[0], date_to: dates[1] };
  }

  /** Show a conversation's filters in the panel and as chips. */
  show(f) {
    for (const box of this.boxes) box.checked = f.sources.includes(box.value);
    this.from.value = f.date_from;
    this.to.value = f.date_to;
    this.from.removeAttribute("aria-invalid");
    this.to.removeAttribute("aria-invalid");
    this.renderChips(f);
  }

  changed() {
    const f = this.read();
    this.renderChips(f);
    this.onChange(f);
  }

  /** One chip per active filter, each a button that removes it. */
  renderChips(f) {
    const chips = [];
    const chip = (kind, value, label) => el("button", { type: "button", class: "chip", "data-kind": kind,
      "data-value": value, "aria-label": `Remove filter: ${label}` }, label, el("span", { "aria-hidden": "true" }, " ×"));
    for (const id of f.sources) chips.push(chip("source", id, this.titles.get(id) || id));
    if (f.date_from) chips.push(chip("from", f.date_from, `from ${f.date_from}`));
    if (f.date_to) chips.push(chip("to", f.date_to, `until ${f.date_to}`));
    this.chips.replaceChildren(...(chips.length ? [el("span", { class: "chips-label" }, "Answering only from:"), ...chips] : []));
    this.chips.hidden = !chips.length;
  }

  /** A chip's button was pressed: drop that filter and move focus somewhere that still exists. */
  removeChip(event) {
    const button = event.target.closest("button.chip");
    if (!button) return;
    const { kind, value } = button.dataset;
    if (kind === "source") this.boxes.find((b) => b.value === value).checked = false;
    if (kind === "from") this.from.value = "";
    if (kind === "to") this.to.value = "";
    this.changed();
    const next = this.chips.querySelector("button.chip") || document.getElementById("question");
    next.focus();
  }
}

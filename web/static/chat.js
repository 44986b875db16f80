// The chat: turns the server-rendered page into conversations that ask POST /ask with the earlier
// questions as history and the panel's filters, keep several conversations in localStorage, keep
// the address bar on a link to the current answer, and copy or export quotes with their citations.
import { ConversationList } from "./conversations.js";
import { copyText, download, failure, fetchCitation } from "./copy.js";
import { FilterPanel, active, forRequest, same } from "./filters.js";
import { answerHref, answerMarkdown, citedSources, inReadingOrder, mdEscape, turnEl } from "./render.js";
import { cleanFilters, loadAll, newConversation, saveAll, titleOfConversation } from "./store.js";

const TOP_K = 5;
const MAX_HISTORY = 6;
const $ = (id) => document.getElementById(id);
const ui = {
  form: $("ask"), input: $("question"), button: $("ask-button"), thread: $("thread"), status: $("status"),
  bar: $("thread-bar"), corpus: $("corpus"), examples: $("examples"), reset: $("new-conversation"),
  name: $("conversation-name"), skip: $("skip-newest"), copyLink: $("copy-link"),
  exportMd: $("export-md"), exportBib: $("export-bib"),
};
const threshold = Number(ui.thread.dataset.threshold || "0.5");
const base = ui.thread.dataset.publicUrl || window.location.origin;  // links copied for other readers
const saved = loadAll();
const state = { all: saved.conversations, activeId: saved.active, busy: false, transient: 0 };
const smooth = () => (window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth");

/** The conversation on screen (made when there is none). */
function current() {
  let c = state.all.find((x) => x.id === state.activeId);
  if (!c) {
    c = newConversation();
    state.all.push(c);
    state.activeId = c.id;
  }
  return c;
}

function save() {
  saveAll(state.all, state.activeId);
}

/** Say something in the status line: to screen readers, and to sighted users unless `quiet`. */
function say(text, quiet = false) {
  ui.status.classList.toggle("visually-hidden", quiet);
  ui.status.textContent = text;
}

/** The earlier questions a follow-up to the last turn carries. */
function historyAfter(turn) {
  return turn ? [...(turn.history || []), turn.answer.question].slice(-MAX_HISTORY) : [];
}

/** The address bar holds the link to the current answer (or / for an empty conversation). */
function updateUrl() {
  const last = current().turns.at(-1);
  const href = last ? answerHref(last.answer.question, last.history, last.filters) : "/";
  if (window.location.pathname + window.location.search !== href) window.history.replaceState(null, "", href);
}

/** Everything around the thread: bar, list, skip link, intro, address bar. */
function updateChrome() {
  const c = current();
  const hasTurns = ui.thread.children.length > 0;
  ui.bar.hidden = !hasTurns;
  document.body.classList.toggle("has-turns", hasTurns);
  if (ui.corpus) ui.corpus.open = !hasTurns;
  ui.name.textContent = c.turns.length ? `: ${titleOfConversation(c)}` : "";
  const newest = ui.thread.lastElementChild;
  ui.skip.hidden = !newest;
  if (newest) ui.skip.setAttribute("href", `#${newest.id}`);
  list.render(state.all, state.activeId);
  updateUrl();
}

/** Show the active conversation: its turns and its filters. */
function renderConversation(extra = []) {
  const c = current();
  ui.thread.setAttribute("aria-live", "off");  // switching is not news; new answers are
  ui.thread.replaceChildren(...c.turns.map((t, i) => turnEl(t, i, threshold)), ...extra);
  ui.thread.setAttribute("aria-live", "polite");
  panel.show(c.filters);
  updateChrome();
}

/** The answer (or error) the server rendered for /?q=..., if any. */
function initialTurn() {
  const node = $("initial-turn");
  try {
    return node ? JSON.parse(node.textContent) : null;
  } catch {
    return null;
  }
}

/** A link opened: its answer goes in the conversation it came from, or in a conversation of its own. */
function openLinkedTurn(first) {
  const turn = { question: first.question, history: first.history || [], filters: cleanFilters(first.filters),
    answer: first.answer, view: "ranked" };
  const matches = (c) => {
    const last = c.turns.at(-1);
    return last && last.answer.question === turn.answer.question && same(last.filters, turn.filters)
      && JSON.stringify(last.history || []) === JSON.stringify(turn.history);
  };
  const home = [current(), ...state.all].find(matches);  // a reload of this conversation's own link
  if (home) {
    state.activeId = home.id;
    return;
  }
  const c = newConversation([turn]);
  c.filters = cleanFilters(turn.filters);
  state.all.push(c);
  state.activeId = c.id;
}

/** Render the saved conversation plus the server's answer, without announcing the old turns. */
function renderInitial() {
  const first = initialTurn();
  const extra = [];
  if (first && first.answer) {
    openLinkedTurn(first);
  } else if (first && first.error) {
    extra.push(turnEl({ question: first.question, error: first.error }, `x${state.transient++}`, threshold));
  }
  save();
  renderConversation(extra);
  if (first && ui.thread.lastElementChild) ui.thread.lastElementChild.scrollIntoView({ block: "start" });
}

/** Busy state: the button says so, double submits are refused, the status line announces it. */
function setBusy(on) {
  state.busy = on;
  ui.button.disabled = on;
  ui.button.textContent = on ? "Asking…" : "Ask";
  ui.form.classList.toggle("busy", on);
  ui.thread.setAttribute("aria-busy", on ? "true" : "false");
  say(on ? "Searching the corpus…" : "", on);  // sighted users see the waiting turn
}

/** POST /ask (both views: ranked and by source) and return the answer, or throw a readable Error. */
async function fetchAnswer(question, history, filters) {
  const body = { question, top_k: TOP_K, history, group: "source" };
  if (active(filters)) body.filters = forRequest(filters);
  let response;
  try {
    response = await fetch("/ask", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error("Could not reach the server. Check your connection and try again.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data || !Array.isArray(data.excerpts)) throw new Error(failure(response, data));
  return data;
}

/** Ask one question in the conversation and append its answer (or its error) to the thread. */
async function ask(text) {
  const question = text.trim();
  if (!question) {
    say("Type a question about Libya first.");
    ui.input.focus();
    return;
  }
  if (state.busy) return;
  const c = current();
  const history = historyAfter(c.turns.at(-1));
  const filters = cleanFilters(c.filters);
  const pending = turnEl({ question, pending: true }, `x${state.transient++}`, threshold);
  ui.thread.append(pending);
  updateChrome();
  pending.scrollIntoView({ block: "nearest", behavior: smooth() });
  ui.input.value = "";
  setBusy(true);
  let node;
  try {
    const view = c.turns.at(-1) ? c.turns.at(-1).view : "ranked";
    const turn = { question, history, filters, answer: await fetchAnswer(question, history, filters), view };
    c.turns.push(turn);
    save();
    node = turnEl(turn, c.turns.length - 1, threshold);
  } catch (error) {
    node = turnEl({ question, error: { message: error.message } }, `x${state.transient++}`, threshold);
    if (!ui.input.value) ui.input.value = question;  // ready to try again
  }
  setBusy(false);
  pending.replaceWith(node);
  updateChrome();
  node.scrollIntoView({ block: "start", behavior: smooth() });
  const focused = document.activeElement;
  if (!focused || focused === document.body || focused === ui.button) ui.input.focus({ preventScroll: true });
}

/** The turn a control belongs to, by its article's id (turn-N). */
function turnOf(node) {
  const article = node.closest("article.turn");
  const index = article ? Number(article.id.replace("turn-", "")) : NaN;
  return Number.isInteger(index) ? current().turns[index] : null;
}

/** The excerpt a figure shows: r<i> in the ranked view (reading order), g<g>-<i> in the by-source view. */
function excerptOf(figure, turn) {
  const key = figure.dataset.key || "";
  const ranked = key.match(/^r(\d+)$/);
  if (ranked) return inReadingOrder(turn.answer)[Number(ranked[1])];
  const grouped = key.match(/^g(\d+)-(\d+)$/);
  return grouped ? turn.answer.groups[Number(grouped[1])].excerpts[Number(grouped[2])] : null;
}

/** Cite menu: copy the quote with its citation in the chosen style. */
async function citeQuote(link) {
  const figure = link.closest("figure.excerpt");
  const turn = turnOf(link);
  const excerpt = turn && excerptOf(figure, turn);
  if (!excerpt) return;
  const label = link.textContent;
  try {
    const citation = await fetchCitation(excerpt.source.id, link.dataset.style);
    const text = `“${excerpt.quote}”\n\n${citation.trim()}\n`;
    const copied = await copyText(text, link.closest(".cite-menu"), `Quote with its ${label} citation`);
    say(copied ? `The quote was copied with its ${label} citation.`
      : "Copying is blocked here: the text is selected below, press Ctrl+C (⌘C) to copy it.");
    if (copied) link.closest("details").open = false;
  } catch (error) {
    say(`The citation could not be made: ${error.message}`);
  }
}

/** Copy one answer as Markdown. */
async function copyMarkdown(button) {
  const turn = current().turns[Number(button.dataset.turn)];
  if (!turn) return;
  const copied = await copyText(answerMarkdown(turn.answer, base), button.closest(".turn-actions"), "Answer as Markdown");
  if (copied) {
    button.textContent = "Copied";
    window.setTimeout(() => { button.textContent = "Copy as Markdown"; }, 2000);
  }
  say(copied ? "The answer was copied as Markdown."
    : "Copying is blocked here: the Markdown is selected below, press Ctrl+C (⌘C) to copy it.");
}

/** Switch one turn between the ranked quotes and what each source says (no new question asked). */
function switchView(button) {
  const turn = turnOf(button);
  const article = button.closest("article.turn");
  if (!turn) return;
  turn.view = button.dataset.view;
  save();
  for (const b of article.querySelectorAll(".view-button")) b.setAttribute("aria-pressed", String(b === button));
  article.querySelector(".ranked").hidden = turn.view !== "ranked";
  article.querySelector(".by-source").hidden = turn.view !== "source";
}

/** The conversation as Markdown, and the BibTeX of every source it quotes. */
async function exportConversation(kind) {
  const c = current();
  const slug = titleOfConversation(c).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "conversation";
  if (kind === "md") {
    const text = [`# ${mdEscape(titleOfConversation(c))}`, "", ...c.turns.map((t) => answerMarkdown(t.answer, base))].join("\n");
    download(text, `${slug}.md`, "text/markdown");
    say("The conversation was exported as Markdown.");
    return;
  }
  try {
    const entries = await Promise.all(citedSources(c.turns).map((id) => fetchCitation(id, "bibtex")));
    download(entries.map((e) => e.trim()).join("\n\n") + "\n", `${slug}.bib`, "application/x-bibtex");
    say(`The ${entries.length} sources this conversation quotes were exported as BibTeX.`);
  } catch (error) {
    say(`The BibTeX could not be made: ${error.message}`);
  }
}

/** Copy the link to the current answer (the one in the address bar). */
async function copyLink() {
  const copied = await copyText(`${base}${window.location.pathname}${window.location.search}`, ui.bar, "Link to this answer");
  say(copied ? "The link to this answer was copied." : "Copying is blocked here: the link is selected below.");
}

/** Start a new conversation; the others stay in the list. */
function startConversation() {
  const c = newConversation();
  c.filters = cleanFilters(current().filters);  // a researcher's filters usually carry over
  state.all.push(c);
  state.activeId = c.id;
  save();
  renderConversation();
  say("Started a new conversation; the earlier ones are listed under Saved conversations.");
  ui.input.value = "";
  ui.input.focus();
}

function openConversation(id) {
  state.activeId = id;
  save();
  renderConversation();
  say(`Opened “${titleOfConversation(current())}”.`);
  ui.input.focus();
}

function renameConversation(id, title) {
  const c = state.all.find((x) => x.id === id);
  if (c && title !== null) c.title = title;
  save();
  updateChrome();
  if (c && title !== null) say(`Renamed to “${titleOfConversation(c)}”.`);
}

function deleteConversation(id) {
  const index = state.all.findIndex((x) => x.id === id);
  if (index < 0) return;
  const [gone] = state.all.splice(index, 1);
  const wasActive = state.activeId === id;
  if (wasActive) state.activeId = (state.all.filter((c) => c.turns.length).at(-1) || newConversation()).id;
  save();
  renderConversation();
  list.offerUndo(titleOfConversation(gone), () => {
    state.all.splice(index, 0, gone);
    if (wasActive) state.activeId = gone.id;
    save();
    renderConversation();
    say(`Restored “${titleOfConversation(gone)}”.`);
  });
}

/** Keep focused controls clear of the sticky question box (scroll padding follows its height). */
function keepFocusVisible() {
  const pad = () => { document.documentElement.style.scrollPaddingBottom = `${ui.form.offsetHeight + 16}px`; };
  new ResizeObserver(pad).observe(ui.form);
  pad();
}

const panel = new FilterPanel((filters) => {
  current().filters = filters;
  save();
});
const list = new ConversationList({ open: openConversation, rename: renameConversation, remove: deleteConversation });

function start() {
  document.body.classList.add("js");
  for (const node of document.querySelectorAll(".js-only")) node.hidden = false;
  renderInitial();
  keepFocusVisible();
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(ui.input.value);
  });
  ui.examples.addEventListener("click", (event) => {
    const link = event.target.closest("a.example");
    if (!link) return;
    event.preventDefault();
    ask(link.textContent);
  });
  ui.thread.addEventListener("click", (event) => {
    const target = event.target.closest("button.copy-md, button.view-button, button.cite-style");
    if (!target) return;
    if (target.matches("button.cite-style")) {
      citeQuote(target);
    } else if (target.matches("button.copy-md")) {
      copyMarkdown(target);
    } else {
      switchView(target);
    }
  });
  ui.skip.addEventListener("click", (event) => {
    const newest = ui.thread.lastElementChild;
    if (!newest) return;
    event.preventDefault();
    newest.focus({ preventScroll: true });
    newest.scrollIntoView({ block: "start" });
  });
  ui.reset.addEventListener("click", startConversation);
  ui.copyLink.addEventListener("click", copyLink);
  ui.exportMd.addEventListener("click", () => exportConversation("md"));
  ui.exportBib.addEventListener("click", () => exportConversation("bib"));
}

start();

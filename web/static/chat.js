// The chat: turns the server-rendered page into a conversation that asks POST /ask with the
// earlier questions as history, keeps the thread in localStorage, and copies answers as Markdown.
import { answerMarkdown, el, turnEl } from "./render.js";
import { clearTurns, loadTurns, saveTurns } from "./store.js";

const TOP_K = 5;
const MAX_HISTORY = 6;
const $ = (id) => document.getElementById(id);
const ui = {
  form: $("ask"), input: $("question"), button: $("ask-button"), thread: $("thread"),
  status: $("status"), bar: $("thread-bar"), corpus: $("corpus"), examples: $("examples"),
  reset: $("new-conversation"),
};
const state = { turns: loadTurns(), busy: false, transient: 0 };
const smooth = () => (window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth");

/** The answer (or error) the server rendered for /?q=..., if any. */
function initialTurn() {
  const node = $("initial-turn");
  try {
    return node ? JSON.parse(node.textContent) : null;
  } catch {
    return null;
  }
}

/** Show the thread bar and fold the corpus list once the conversation has turns. */
function updateChrome() {
  const hasTurns = ui.thread.children.length > 0;
  ui.bar.hidden = !hasTurns;
  document.body.classList.toggle("has-turns", hasTurns);
  if (ui.corpus) ui.corpus.open = !hasTurns;
}

/** Say something in the status line: to screen readers, and to sighted users unless `quiet`. */
function say(text, quiet = false) {
  ui.status.classList.toggle("visually-hidden", quiet);
  ui.status.textContent = text;
}

/** Render the saved conversation plus the server's answer, without announcing the old turns. */
function renderInitial() {
  const first = initialTurn();
  const extra = [];
  if (first && first.answer) {
    const last = state.turns[state.turns.length - 1];
    const same = last && last.answer.question === first.answer.question
      && JSON.stringify(last.history || []) === JSON.stringify(first.history || []);
    if (!same) state.turns.push({ question: first.question, history: first.history || [], answer: first.answer });
    saveTurns(state.turns);
  } else if (first && first.error) {
    extra.push(turnEl({ question: first.question, error: first.error }, `x${state.transient++}`));
  }
  ui.thread.setAttribute("aria-live", "off");
  ui.thread.replaceChildren(...state.turns.map((t, i) => turnEl(t, i)), ...extra);
  ui.thread.setAttribute("aria-live", "polite");
  if (window.location.search) window.history.replaceState(null, "", "/");  // reloads come from storage
  updateChrome();
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

/** The readable message of a failed response (the JSON error body's message when there is one). */
function failure(response, data) {
  const message = data && data.error && data.error.message;
  return message || `the server answered ${response.status} ${response.statusText}`.trim();
}

/** POST /ask and return the answer, or throw an Error with a readable message. */
async function fetchAnswer(question, history) {
  let response;
  try {
    response = await fetch("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ question, top_k: TOP_K, history }),
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
  const history = state.turns.map((t) => t.answer.question).slice(-MAX_HISTORY);
  const pending = turnEl({ question, pending: true }, `x${state.transient++}`);
  ui.thread.append(pending);
  updateChrome();
  pending.scrollIntoView({ block: "nearest", behavior: smooth() });
  ui.input.value = "";
  setBusy(true);
  let node;
  try {
    const turn = { question, history, answer: await fetchAnswer(question, history) };
    state.turns.push(turn);
    saveTurns(state.turns);
    node = turnEl(turn, state.turns.length - 1);
  } catch (error) {
    node = turnEl({ question, error: { message: error.message } }, `x${state.transient++}`);
    if (!ui.input.value) ui.input.value = question;  // ready to try again
  }
  setBusy(false);
  pending.replaceWith(node);
  node.scrollIntoView({ block: "start", behavior: smooth() });
  const active = document.activeElement;
  if (!active || active === document.body || active === ui.button) ui.input.focus({ preventScroll: true });
}

/** Copy one answer as Markdown; when the clipboard is refused, show the text to copy by hand. */
async function copyMarkdown(button) {
  const turn = state.turns[Number(button.dataset.turn)];
  if (!turn) return;
  const markdown = answerMarkdown(turn.answer, window.location.origin);
  try {
    await navigator.clipboard.writeText(markdown);
    button.textContent = "Copied";
    say("The answer was copied as Markdown.");
    window.setTimeout(() => { button.textContent = "Copy as Markdown"; }, 2000);
  } catch {
    const box = el("textarea", { class: "markdown", readonly: "", rows: "8", "aria-label": "Answer as Markdown" });
    box.value = markdown;
    button.closest(".turn-actions").after(box);
    box.focus();
    box.select();
    say("Copying is blocked here: the Markdown is selected below, press Ctrl+C (⌘C) to copy it.");
  }
}

/** Start over: forget the stored conversation and show the introduction again. */
function newConversation() {
  state.turns = [];
  clearTurns();
  ui.thread.replaceChildren();
  updateChrome();
  say("Started a new conversation.");
  ui.input.value = "";
  ui.input.focus();
}

function start() {
  document.body.classList.add("js");
  for (const node of document.querySelectorAll(".js-only")) node.hidden = false;
  renderInitial();
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
    const button = event.target.closest("button.copy-md");
    if (button) copyMarkdown(button);
  });
  ui.reset.addEventListener("click", newConversation);
}

start();

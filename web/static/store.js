// The conversation, kept in this browser's localStorage (never on the server).

const KEY = "libya_qa.conversation.v1";
const MAX_TURNS = 100;

/** True when a stored turn has the shape the page can render. */
function isTurn(turn) {
  const a = turn && turn.answer;
  return Boolean(a && typeof a.question === "string" && Array.isArray(a.excerpts)
    && (a.status === "answered" || a.status === "not_found")
    && a.excerpts.every((e) => e && typeof e.quote === "string" && Array.isArray(e.highlight) && e.source));
}

/** The saved turns, oldest first ([] when none, unreadable, or storage is blocked). */
export function loadTurns() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KEY) || "null");
    return saved && Array.isArray(saved.turns) ? saved.turns.filter(isTurn) : [];
  } catch {
    return [];
  }
}

/** Save the answered turns (errors and busy turns are not kept). */
export function saveTurns(turns) {
  const kept = turns.filter(isTurn).slice(-MAX_TURNS)
    .map((t) => ({ question: t.question, history: t.history || [], answer: t.answer }));
  try {
    window.localStorage.setItem(KEY, JSON.stringify({ turns: kept }));
  } catch {
    // Storage full or blocked: the conversation still works, it just will not survive a reload.
  }
}

/** Forget the conversation. */
export function clearTurns() {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // Nothing stored to forget.
  }
}

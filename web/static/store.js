// Saved conversations, kept in this browser's localStorage (never on the server).

const KEY = "libya_qa.conversations.v2";
const OLD_KEY = "libya_qa.conversation.v1";  // one conversation, before several were kept
const MAX_TURNS = 100;
const MAX_CONVERSATIONS = 50;

/** True when a stored turn has the shape the page can render. */
export function isTurn(turn) {
  const a = turn && turn.answer;
  return Boolean(a && typeof a.question === "string" && Array.isArray(a.excerpts)
    && (a.status === "answered" || a.status === "not_found")
    && a.excerpts.every((e) => e && typeof e.quote === "string" && Array.isArray(e.highlight) && e.source));
}

/** No filter: every article may answer. */
export function noFilters() {
  return { sources: [], date_from: "", date_to: "" };
}

/** A filters object with the expected fields (anything else stored is dropped). */
export function cleanFilters(f) {
  const sources = f && Array.isArray(f.sources) ? f.sources.filter((s) => typeof s === "string") : [];
  const date = (v) => (typeof v === "string" ? v : "");
  return { sources, date_from: date(f && f.date_from), date_to: date(f && f.date_to) };
}

/** A new, empty conversation. */
export function newConversation(turns = []) {
  const id = `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { id, title: "", created: new Date().toISOString(), turns, filters: noFilters() };
}

/** A stored conversation cleaned to the shape the page uses (null when unusable). */
function cleanConversation(c) {
  if (!c || typeof c.id !== "string" || !Array.isArray(c.turns)) return null;
  const turns = c.turns.filter(isTurn).slice(-MAX_TURNS).map((t) => ({
    question: t.question, history: Array.isArray(t.history) ? t.history : [], filters: cleanFilters(t.filters),
    answer: t.answer, view: t.view === "source" ? "source" : "ranked",
  }));
  return { id: c.id, title: typeof c.title === "string" ? c.title : "", created: c.created || "", turns,
    filters: cleanFilters(c.filters) };
}

/** The saved conversations and the active one's id ({conversations: [], active: null} when none). */
export function loadAll() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KEY) || "null");
    if (saved && Array.isArray(saved.conversations)) {
      const conversations = saved.conversations.map(cleanConversation).filter(Boolean);
      return { conversations, active: saved.active };
    }
    const old = JSON.parse(window.localStorage.getItem(OLD_KEY) || "null");  // carried over once
    if (old && Array.isArray(old.turns) && old.turns.length) {
      const c = cleanConversation({ ...newConversation(), turns: old.turns });
      return { conversations: [c], active: c.id };
    }
  } catch {
    // Unreadable or blocked storage: start afresh.
  }
  return { conversations: [], active: null };
}

/** Save every conversation (empty ones are not kept) and which one is active. */
export function saveAll(conversations, active) {
  const kept = conversations.filter((c) => c.turns.length || c.id === active).slice(-MAX_CONVERSATIONS)
    .map(cleanConversation).filter(Boolean);
  try {
    window.localStorage.setItem(KEY, JSON.stringify({ conversations: kept, active }));
    window.localStorage.removeItem(OLD_KEY);
  } catch {
    // Storage full or blocked: the conversation still works, it just will not survive a reload.
  }
}

/** The name a conversation is listed under: its own, or its first question. */
export function titleOfConversation(c) {
  if (c.title) return c.title;
  const first = c.turns[0];
  if (!first) return "New conversation";
  const q = first.answer.question;
  return q.length > 60 ? `${q.slice(0, 59)}…` : q;
}

// DOM builders for the chat thread. Only createElement/textContent: corpus and user strings are
// never parsed as HTML. The markup mirrors templates/_turn.html and templates/_excerpt.html.

/** Create an element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** The metadata value, or the fallback wording when it is unknown. */
export function known(value, fallback) {
  return !value || value === "unknown" ? fallback : value;
}

/** A displayable title: the article's own, or a plain label naming its id. */
export function titleOf(source) {
  return known(source.title, `Untitled article (${source.id})`);
}

/** The URL when it is a plain http(s) link, else "" (never javascript: or data:). */
export function webUrl(url) {
  return /^https?:\/\//i.test(url || "") ? url : "";
}

/** Link to the source viewer: the index version the quote was cut from, and its character range. */
export function sourceHref(excerpt, version) {
  const params = new URLSearchParams(version ? { version } : {});
  params.set("start", String(excerpt.start));
  params.set("end", String(excerpt.end));
  return `/sources/${encodeURIComponent(excerpt.source.id)}?${params}#quote`;
}

/** The shareable link that renders this answer on the server (history for follow-ups). */
export function answerHref(question, history = []) {
  const params = new URLSearchParams([["q", question], ...history.map((h) => ["h", h])]);
  return `/?${params}`;
}

/** The citation after the title: author, publisher, date. */
export function citeMeta(source) {
  return [known(source.author, "author unknown"), known(source.publisher, "publisher unknown"),
    known(source.date, "date unknown")].join(", ");
}

/** One excerpt: the quote with its highlighted words, then the attribution line. */
export function excerptEl(excerpt, nearest, version) {
  const { quote, source } = excerpt;
  const [h0, h1] = excerpt.highlight;
  const url = webUrl(source.url);
  const caption = el("figcaption", { class: "attribution" },
    el("a", { class: "source-link", href: sourceHref(excerpt, version) }, titleOf(source)), " ",
    el("span", { class: "cite-meta" }, `— ${citeMeta(source)}`));
  if (url) caption.append(" · ", el("a", { class: "original", href: url, rel: "noopener noreferrer" }, "original"));
  return el("figure", { class: nearest ? "excerpt nearest" : "excerpt" },
    nearest ? el("p", { class: "excerpt-label" }, "Nearest passage (not an answer)") : null,
    el("blockquote", { cite: url || null },
      quote.slice(0, h0), el("mark", {}, quote.slice(h0, h1)), quote.slice(h1)),
    caption);
}

/** The heading of a turn: the question, introduced for screen readers. */
function questionEl(id, text) {
  return el("h2", { class: "question", id }, el("span", { class: "visually-hidden" }, "Question: "), text);
}

/** One turn of the conversation: the question and its answer (or its error, or a busy note). */
export function turnEl(turn, index) {
  const id = `turn-${index}`;
  const answer = turn.answer;
  const node = el("article", { class: "turn", id, "aria-labelledby": `${id}-q` },
    questionEl(`${id}-q`, answer ? answer.question : turn.question));
  if (turn.pending) {
    node.classList.add("pending");
    node.setAttribute("aria-hidden", "true");  // the status line announces the wait
    node.append(el("p", { class: "waiting" }, el("span", { class: "spinner" }), "Searching the corpus…"));
    return node;
  }
  if (turn.error) {
    node.classList.add("failed");
    node.append(el("p", { class: "error", role: "alert" },
      el("strong", {}, "The server could not answer. "), turn.error.message || "Unknown error."));
    return node;
  }
  if (answer.search_query && answer.search_query !== answer.question) {
    node.append(el("p", { class: "followup-note" },
      `Read as a follow-up: the corpus was searched for “${answer.search_query}”.`));
  }
  const nearest = answer.status === "not_found";
  if (nearest) {
    node.append(el("p", { class: "not-found" }, el("strong", {}, "Not found in the corpus."),
      " No article answers this clearly.",
      answer.excerpts.length ? " The nearest passages are shown below; they are not an answer." : ""));
  }
  for (const excerpt of answer.excerpts) node.append(excerptEl(excerpt, nearest, answer.index_version));
  node.append(el("p", { class: "turn-actions" },
    el("a", { class: "answer-link", href: answerHref(answer.question, turn.history || []) }, "Link to this answer"),
    el("button", { type: "button", class: "copy-md secondary", "data-turn": String(index) }, "Copy as Markdown")));
  return node;
}

/** Text shown literally in Markdown: characters that would format, link or open HTML are escaped. */
export function mdEscape(text) {
  return String(text)
    .replace(/[\\`*_[\]<>|~&]/g, "\\$&")
    .replace(/^(\s*)([#>+=-])/gm, "$1\\$2")
    .replace(/^(\s*\d+)([.)])/gm, "$1\\$2");
}

/** One answer as Markdown: the question, then each quote with its citation and source link. */
export function answerMarkdown(answer, origin) {
  const lines = [`## ${mdEscape(answer.question)}`, ""];
  if (answer.status === "not_found") {
    lines.push("_Not found in the corpus. The nearest passages follow; they are not an answer._", "");
  }
  for (const excerpt of answer.excerpts) {
    const [h0, h1] = excerpt.highlight;
    const words = excerpt.quote.slice(h0, h1);
    const bold = words.trim() && !words.includes("\n") ? `**${mdEscape(words)}**` : mdEscape(words);
    const quote = mdEscape(excerpt.quote.slice(0, h0)) + bold + mdEscape(excerpt.quote.slice(h1));
    lines.push(...quote.split("\n").map((line) => `> ${line}`.trimEnd()));
    lines.push("", `— *${mdEscape(titleOf(excerpt.source))}*, ${mdEscape(citeMeta(excerpt.source))}. ` +
      `[Source](<${origin}${sourceHref(excerpt, answer.index_version)}>)`, "");
  }
  return lines.join("\n").trim() + "\n";
}

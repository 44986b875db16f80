// DOM builders for the chat thread. Only createElement/textContent: corpus and user strings are
// never parsed as HTML. The markup mirrors templates/_turn.html and templates/_excerpt.html.

export const CITE_STYLES = [["apa", "APA"], ["mla", "MLA"], ["chicago", "Chicago"], ["bibtex", "BibTeX"]];
const STRENGTH_MARGIN = 0.2;  // same as web.STRENGTH_MARGIN

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

/** The shareable link that renders this answer on the server (history for follow-ups, then filters). */
export function answerHref(question, history = [], filters = null) {
  const params = new URLSearchParams([["q", question], ...history.map((h) => ["h", h])]);
  for (const id of (filters && filters.sources) || []) params.append("source", id);
  if (filters && filters.date_from) params.set("from", filters.date_from);
  if (filters && filters.date_to) params.set("to", filters.date_to);
  return `/?${params}`;
}

/** The citation after the title: author, publisher, date. */
export function citeMeta(source) {
  return [known(source.author, "author unknown"), known(source.publisher, "publisher unknown"),
    known(source.date, "date unknown")].join(", ");
}

/** A word for an excerpt's confidence (a probability) against the answer threshold (same rule as web.strength). */
export function strengthOf(confidence, threshold) {
  if (confidence >= threshold) return "strong";
  return confidence >= threshold - STRENGTH_MARGIN ? "moderate" : "weak";
}

/** The quote cut at every highlight: [text, marked] pieces in reading order (same as web.quote_parts). */
export function quoteParts(quote, highlights) {
  const spans = highlights.map(([s, e]) => [Math.max(s, 0), Math.min(e, quote.length)]).sort((a, b) => a[0] - b[0]);
  const parts = [];
  let at = 0;
  for (const [s, e] of spans) {
    const start = Math.max(s, at);
    if (e <= start) continue;
    if (start > at) parts.push([quote.slice(at, start), false]);
    parts.push([quote.slice(start, e), true]);
    at = e;
  }
  if (at < quote.length) parts.push([quote.slice(at), false]);
  return parts;
}

/** The page lists this excerpt under "Related passages" (as schema.Answer.lists_as_related): only in an answer,
 *  since every passage of a not_found answer is labelled "nearest" already. */
export function listedAsRelated(answer, excerpt) {
  return answer.status === "answered" && Boolean(excerpt.related);
}

/** The excerpts as the page lists them: best first, related ones last (as web.in_reading_order). The ranked
 *  view's r<i> keys count in this order, so every reader of a key must use it too. */
export function inReadingOrder(answer) {
  const rank = (e) => (listedAsRelated(answer, e) ? 1 : 0);
  return [...answer.excerpts].sort((a, b) => rank(a) - rank(b) || b.score - a.score);
}

const RELATED_NOTE = "These share the question’s topic but may not answer it.";

/** The "Cite" menu of one quote: a button per style, each copying the quote with that citation
 *  (the server-rendered page has plain links to the citations instead, for use without JavaScript). */
function citeMenu() {
  const buttons = CITE_STYLES.map(([style, label]) => el("button", {
    type: "button", class: "cite-style link-button", "data-style": style,
    "aria-label": `Copy the quote with its ${label} citation`,
  }, label));
  return el("details", { class: "cite" }, el("summary", {}, "Cite"),
    el("span", { class: "cite-menu" }, ...buttons.flatMap((b) => [b, " "])));
}

/** One excerpt: the quote with every answering span marked, then the attribution, strength and Cite menu. */
export function excerptEl(excerpt, nearest, version, threshold, key) {
  const { quote, source } = excerpt;
  const url = webUrl(source.url);
  const level = strengthOf(excerpt.confidence, threshold);
  const caption = el("figcaption", { class: "attribution" },
    el("a", { class: "source-link", href: sourceHref(excerpt, version) }, titleOf(source)), " ",
    el("span", { class: "cite-meta" }, `— ${citeMeta(source)}`));
  if (url) caption.append(" · ", el("a", { class: "original", href: url, rel: "noopener noreferrer" }, "original"));
  caption.append(" ", el("span", { class: "excerpt-tools" },
    el("span", { class: `strength strength-${level}` }, `Strength: ${level} (${Math.round(excerpt.confidence * 100)}%)`), " ",
    citeMenu()));
  const marks = quoteParts(quote, excerpt.highlights && excerpt.highlights.length ? excerpt.highlights
    : [excerpt.highlight]);
  const kind = nearest ? "excerpt nearest" : excerpt.related ? "excerpt related" : "excerpt";
  return el("figure", { class: kind, "data-key": key },
    nearest ? el("p", { class: "excerpt-label" }, "Nearest passage (not an answer)") : null,
    el("blockquote", { cite: url || null }, ...marks.map(([text, marked]) => (marked ? el("mark", {}, text) : text))),
    caption);
}

/** The heading of a turn: the question, introduced for screen readers. */
function questionEl(id, text) {
  return el("h2", { class: "question", id }, el("span", { class: "visually-hidden" }, "Question: "), text);
}

/** The notes above the quotes: follow-up, filters, not found, short answer. */
function answerNotes(answer) {
  const notes = [];
  if (answer.search_query && answer.search_query !== answer.question) {
    notes.push(el("p", { class: "followup-note" }, `Read as a follow-up: the corpus was searched for “${answer.search_query}”.`));
  }
  if (answer.filtered) {
    const { articles, undated_left_out: undated } = answer.filtered;
    notes.push(el("p", { class: "filter-note" }, `Answered from ${articles} filtered article${articles === 1 ? "" : "s"}`
      + (undated ? `; ${undated} left out because their date is unknown.` : ".")));
  }
  if (answer.status === "not_found") {
    notes.push(el("p", { class: "not-found" }, el("strong", {}, "Not found in the corpus."),
      " No article answers this clearly.",
      answer.excerpts.length ? " The nearest passages are shown below; they are not an answer." : ""));
  }
  if (answer.short_answer && answer.short_answer.length) {
    const spans = answer.short_answer.flatMap((s, i) => [i ? " · " : null, el("span", { class: "short-span" }, s.text)]);
    notes.push(el("p", { class: "short-answer" }, el("span", { class: "short-label" }, "Short answer:"), " ", ...spans));
  }
  return notes;
}

/** "What each source says": one section per source, oldest first. */
function groupsEl(answer, id, threshold) {
  const groups = answer.groups || [];
  const node = el("div", { class: "by-source", id: `${id}-by-source` });
  if (!groups.length) {
    node.append(el("p", { class: "no-groups" }, "No source bears clearly on this question."));
  }
  groups.forEach((group, g) => {
    const s = group.source;
    node.append(el("section", { class: "source-group", "aria-labelledby": `${id}-g${g}` },
      el("h3", { class: "group-title", id: `${id}-g${g}` }, titleOf(s),
        el("span", { class: "group-meta" }, ` — ${known(s.author, "author unknown")}, ${known(s.date, "date unknown")}`)),
      ...group.excerpts.map((e, i) => excerptEl(e, false, answer.index_version, threshold, `g${g}-${i}`))));
  });
  return node;
}

/** The ranked view: the quotes in reading order, the related ones under their own heading. */
function rankedEl(answer, id, threshold) {
  const nearest = answer.status === "not_found";
  const ordered = inReadingOrder(answer);
  const figures = ordered.map((e, i) => excerptEl(e, nearest, answer.index_version, threshold, `r${i}`));
  const cut = ordered.filter((e) => !listedAsRelated(answer, e)).length;
  const node = el("div", { class: "ranked", id: `${id}-ranked` }, ...figures.slice(0, cut));
  if (cut < figures.length) {
    node.append(el("section", { class: "related", "aria-labelledby": `${id}-related` },
      el("h3", { class: "related-heading", id: `${id}-related` }, "Related passages"),
      el("p", { class: "related-note" }, RELATED_NOTE), ...figures.slice(cut)));
  }
  return node;
}

/** The two views of one answer and the buttons that switch between them. */
function viewsEl(turn, id, threshold) {
  const answer = turn.answer;
  const ranked = rankedEl(answer, id, threshold);
  if (!answer.groups) return [ranked];
  const bySource = groupsEl(answer, id, threshold);
  const view = turn.view === "source" ? "source" : "ranked";
  ranked.hidden = view !== "ranked";
  bySource.hidden = view !== "source";
  const button = (name, label) => el("button", {
    type: "button", class: "view-button secondary", "data-view": name, "aria-pressed": String(view === name),
    "aria-controls": `${id}-${name === "source" ? "by-source" : "ranked"}`,
  }, label);
  const count = answer.groups.length;
  const views = el("div", { class: "view-switch", role: "group", "aria-label": "Show the quotes" },
    button("ranked", "Ranked"), button("source", `By source (${count})`));
  return [views, ranked, bySource];
}

/** One turn of the conversation: the question and its answer (or its error, or a busy note). */
export function turnEl(turn, index, threshold) {
  const id = `turn-${index}`;
  const answer = turn.answer;
  const node = el("article", { class: "turn", id, "aria-labelledby": `${id}-q`, tabindex: "-1" },
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
  node.append(...answerNotes(answer), ...viewsEl(turn, id, threshold));
  node.append(el("p", { class: "turn-actions" },
    el("a", { class: "answer-link", href: answerHref(answer.question, turn.history || [], turn.filters) },
      "Link to this answer"),
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

/** Where a reader finds a quote: the article's own address when known, else this server's viewer. */
export function quoteLink(excerpt, version, base) {
  return webUrl(excerpt.source.url) || `${base}${sourceHref(excerpt, version)}`;
}

/** One quote as a Markdown block quote with its citation line (no emphasis the original does not have). */
export function excerptMarkdown(excerpt, version, base) {
  const lines = mdEscape(excerpt.quote).split("\n").map((line) => `> ${line}`.trimEnd());
  lines.push("", `— *${mdEscape(titleOf(excerpt.source))}*, ${mdEscape(citeMeta(excerpt.source))}. `
    + `[Source](<${quoteLink(excerpt, version, base)}>)`, "");
  return lines;
}

/** One answer as Markdown: the question, the short answer, then each quote in reading order with its citation
 *  (the related ones under their own heading). */
export function answerMarkdown(answer, base) {
  const lines = [`## ${mdEscape(answer.question)}`, ""];
  if (answer.status === "not_found") {
    lines.push("_Not found in the corpus. The nearest passages follow; they are not an answer._", "");
  }
  if (answer.short_answer && answer.short_answer.length) {
    lines.push(`Short answer: ${answer.short_answer.map((s) => mdEscape(s.text)).join(" · ")}`, "");
  }
  let heading = false;
  for (const excerpt of inReadingOrder(answer)) {
    if (!heading && listedAsRelated(answer, excerpt)) {
      lines.push("### Related passages", "", `_${RELATED_NOTE}_`, "");
      heading = true;
    }
    lines.push(...excerptMarkdown(excerpt, answer.index_version, base));
  }
  return lines.join("\n").trim() + "\n";
}

/** Every source a conversation quotes (ranked and by-source views), by id. */
export function citedSources(turns) {
  const ids = new Set();
  for (const turn of turns) {
    for (const e of turn.answer.excerpts) ids.add(e.source.id);
    for (const g of turn.answer.groups || []) ids.add(g.source.id);
  }
  return [...ids];
}

// Putting text where the reader wants it: the clipboard (with a by-hand fallback) or a downloaded file.
import { el } from "./render.js";

/** Copy text; when the clipboard is refused, show it selected after `anchor` to copy by hand. Resolves true if copied. */
export async function copyText(text, anchor, label) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const box = el("textarea", { class: "markdown", readonly: "", rows: "8", "aria-label": label });
    box.value = text;
    anchor.after(box);
    box.focus();
    box.select();
    return false;
  }
}

/** Offer text as a file download (a Blob: nothing leaves the browser). */
export function download(text, name, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name, hidden: "" });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The readable message of a failed response (the JSON error body's message when there is one). */
export function failure(response, data) {
  const message = data && data.error && data.error.message;
  return message || `the server answered ${response.status} ${response.statusText}`.trim();
}

/** GET a citation as text, or throw an Error with the server's message. */
export async function fetchCitation(sourceId, style) {
  let response;
  try {
    response = await fetch(`/sources/${encodeURIComponent(sourceId)}/cite?style=${encodeURIComponent(style)}`);
  } catch {
    throw new Error("Could not reach the server. Check your connection and try again.");
  }
  if (!response.ok) throw new Error(failure(response, await response.json().catch(() => null)));
  return response.text();
}

// The list of saved conversations: open, rename (inline, no dialog) and delete with undo.
import { el } from "./render.js";
import { titleOfConversation } from "./store.js";

const UNDO_SECONDS = 15;

/** The list in its <details>, calling back into the chat for every action. */
export class ConversationList {
  constructor({ open, rename, remove, restore }) {
    this.actions = { open, rename, remove, restore };
    this.box = document.getElementById("conversations");
    this.list = document.getElementById("conversation-list");
    this.count = document.getElementById("conversation-count");
    this.undo = document.getElementById("undo");
    this.undoTimer = 0;
    this.list.addEventListener("click", (event) => this.clicked(event));
  }

  /** Show every conversation, the active one marked. */
  render(conversations, activeId) {
    const shown = conversations.filter((c) => c.turns.length || c.id === activeId);
    this.count.textContent = String(shown.length);
    this.box.hidden = !shown.some((c) => c.turns.length);
    this.list.replaceChildren(...shown.slice().reverse().map((c) => this.item(c, c.id === activeId)));
  }

  item(c, current) {
    const title = titleOfConversation(c);
    const n = c.turns.length;
    return el("li", { class: "conversation", "data-id": c.id },
      el("button", { type: "button", class: "conv-open link-button", "aria-current": current ? "true" : null }, title),
      el("span", { class: "conv-meta" }, ` ${n} question${n === 1 ? "" : "s"} `),
      el("button", { type: "button", class: "conv-rename secondary", "aria-label": `Rename “${title}”` }, "Rename"), " ",
      el("button", { type: "button", class: "conv-delete secondary", "aria-label": `Delete “${title}”` }, "Delete"));
  }

  clicked(event) {
    const button = event.target.closest("button");
    const item = event.target.closest("li.conversation");
    if (!button || !item) return;
    const id = item.dataset.id;
    if (button.classList.contains("conv-open")) this.actions.open(id);
    if (button.classList.contains("conv-rename")) this.startRename(item, id);
    if (button.classList.contains("conv-delete")) this.actions.remove(id);
  }

  /** Replace the item with a small form: Enter saves, Escape cancels. */
  startRename(item, id) {
    const current = item.querySelector(".conv-open").textContent;
    const input = el("input", { type: "text", class: "rename-input", maxlength: "80", "aria-label": "New name" });
    input.value = current;
    const form = el("form", { class: "rename-form" }, input, " ",
      el("button", { type: "submit", class: "secondary" }, "Save"), " ",
      el("button", { type: "button", class: "secondary rename-cancel" }, "Cancel"));
    const done = (save) => {
      this.actions.rename(id, save ? input.value.trim() : null);
      const again = this.list.querySelector(`li[data-id="${CSS.escape(id)}"] .conv-rename`);
      if (again) again.focus();
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); done(true); });
    form.querySelector(".rename-cancel").addEventListener("click", () => done(false));
    input.addEventListener("keydown", (event) => { if (event.key === "Escape") done(false); });
    item.replaceChildren(form);
    input.focus();
    input.select();
  }

  /** Say a conversation was deleted, with an Undo button for a while. */
  offerUndo(title, undo) {
    window.clearTimeout(this.undoTimer);
    const button = el("button", { type: "button", class: "secondary", id: "undo-delete" }, "Undo");
    button.addEventListener("click", () => { this.hideUndo(); undo(); });
    this.undo.replaceChildren(`Deleted “${title}”. `, button);
    this.undo.hidden = false;
    this.undoTimer = window.setTimeout(() => this.hideUndo(), UNDO_SECONDS * 1000);
    button.focus();
  }

  hideUndo() {
    window.clearTimeout(this.undoTimer);
    this.undo.hidden = true;
    this.undo.replaceChildren();
  }
}

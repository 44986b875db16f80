// Source viewer: bring the quoted passage (the <mark id="quote"> for ?start=&end=) to the middle of
// the screen and give it focus, so keyboard and screen reader users land on it too.

function showQuote() {
  const quote = document.getElementById("quote");
  if (!quote) return;
  quote.scrollIntoView({ block: "center" });
  quote.focus({ preventScroll: true });
  quote.classList.add("flash");
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", showQuote);
} else {
  showQuote();
}

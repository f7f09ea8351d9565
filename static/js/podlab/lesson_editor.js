/**
 * The lesson editor: a problem's "line N" selects that line in the text, so the
 * instructor goes straight to it.
 */
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-goto-line]") : null;
  const editor = document.querySelector("#lesson-text");
  if (!target || !(editor instanceof HTMLTextAreaElement)) return;
  const line = Number(target.getAttribute("data-goto-line"));
  const lines = editor.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((length, text) => length + text.length + 1, 0);
  const end = start + (lines[line - 1] ?? "").length;
  editor.focus();
  editor.setSelectionRange(start, end);
  // Scroll the line into view: its share of the text's height.
  editor.scrollTop = Math.max(0, ((line - 3) / Math.max(lines.length, 1)) * editor.scrollHeight);
});

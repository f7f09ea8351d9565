// The command box: sends a kubectl command (htmx posts the form and appends the answer),
// then clears the line, keeps the output scrolled to the newest answer, and recalls
// earlier commands with the arrow keys, as a shell does.

const box = document.getElementById("command-box");
if (box) {
  const form = box.querySelector(".command-form");
  const input = box.querySelector("#command-input");
  const output = box.querySelector("#command-output");
  const history = [];
  let recalled = 0; // how far back the arrow keys are; 0: the line being typed

  form.addEventListener("htmx:beforeRequest", () => {
    const line = input.value.trim();
    if (line && history[history.length - 1] !== line) history.push(line);
    recalled = 0;
  });
  const KEPT_ANSWERS = 100; // a long session keeps its newest answers, as a terminal's scrollback
  form.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful) input.value = "";
    const answers = output.querySelectorAll(".command-answer");
    for (let i = 0; i < answers.length - KEPT_ANSWERS; i++) answers[i].remove();
    output.scrollTop = output.scrollHeight;
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    event.preventDefault();
    recalled = Math.max(0, Math.min(history.length, recalled + (event.key === "ArrowUp" ? 1 : -1)));
    input.value = recalled ? history[history.length - recalled] : "";
  });
  // A lesson's kubectl step offers its command: it goes into the box, for the student to
  // read and run (the panel is swapped in and out, so the click is caught on the page).
  document.addEventListener("click", (event) => {
    const offered = event.target.closest(".to-command-box");
    if (!offered) return;
    input.value = offered.dataset.command;
    input.focus();
    box.scrollIntoView({ block: "nearest" });
  });
  box.addEventListener("click", (event) => {
    const example = event.target.closest(".command-example");
    if (!example) return;
    input.value = example.textContent.trim();
    input.focus();
  });
}

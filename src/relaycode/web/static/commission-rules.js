// The commission rules form: show only the levels the chosen depth pays, and keep the
// worked example in step with what is typed (the server computes it: GET …/preview with
// the fields as the query answers the example's HTML). Without this file the form still works: "Preview" does the same.

const DELAY_MS = 250;

function setUp(form) {
  const depth = form.querySelector("[data-max-depth]");
  const rows = form.querySelectorAll("[data-level]");
  let timer = 0;
  let latest = 0;

  function showLevels() {
    const paid = Number(depth.value);
    for (const row of rows) {
      const on = Number(row.dataset.level) <= paid;
      row.hidden = !on;
      for (const input of row.querySelectorAll("input")) input.disabled = !on;
    }
  }

  async function refresh() {
    const mine = ++latest;
    const fields = new FormData(form);
    for (const name of ["csrf", "intent", "version"]) fields.delete(name); // not in a URL
    const query = new URLSearchParams(fields).toString();
    let html;
    try {
      const response = await fetch(`${form.dataset.preview}?${query}`, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok) return;
      html = await response.text();
    } catch {
      return; // offline or the server went away: the last example stays
    }
    if (mine !== latest) return; // an older answer arriving late
    const template = document.createElement("template");
    template.innerHTML = html;
    const fresh = template.content.querySelector("[data-commission-example]");
    const current = form.querySelector("[data-commission-example]");
    if (fresh && current) current.replaceWith(fresh);
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  }

  if (depth) {
    depth.addEventListener("change", showLevels);
    showLevels();
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  const preview = form.querySelector("[data-preview-button]");
  if (preview) preview.hidden = true; // the example follows the form by itself
  const reset = form.querySelector("[data-confirm-reset]");
  if (reset) {
    reset.addEventListener("click", (event) => {
      if (!window.confirm(reset.dataset.confirmReset)) event.preventDefault();
    });
  }
  form.dataset.live = "1";
}

for (const form of document.querySelectorAll("[data-commission-form]")) setUp(form);

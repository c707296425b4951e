// The pay form (templates/pay.html): one click pays. The hidden idempotency key already
// makes a second submit the same payment; this only spares the second request.
for (const form of document.querySelectorAll("[data-pay-form]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const status = form.querySelector("[data-pay-status]");
    if (status) status.textContent = form.dataset.working || "";
  });
}

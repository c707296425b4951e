// The buy form of offer and share pages (templates/_buy_form.html). The form works
// without this file; with it the total follows the quantity, and a second click while
// the first submit is on its way does nothing (the server's idempotency key would
// make it the same order anyway).

function formatter(currency, digits) {
  try {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  } catch {
    return null;
  }
}

function wire(form) {
  const quantity = form.querySelector('input[name="quantity"]');
  const total = form.querySelector("[data-buy-total]");
  const unit = Number(form.dataset.unitMinor);
  // The ISO 4217 exponent from the server (money.py): CLDR shows fewer digits for a few.
  const digits = Number(form.dataset.exponent || 2);
  const money = formatter(form.dataset.currency, digits);
  if (quantity && total && money && Number.isFinite(unit)) {
    quantity.addEventListener("input", () => {
      const n = Number(quantity.value);
      if (!Number.isInteger(n) || n < 1 || n > Number(quantity.max || 99)) return;
      total.textContent = money.format((unit * n) / 10 ** digits);
    });
  }
  let sent = false;
  form.addEventListener("submit", (event) => {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    const button = form.querySelector('button[type="submit"]');
    if (button) button.setAttribute("aria-disabled", "true");
    const status = form.querySelector("[data-buy-status]");
    if (status) status.textContent = form.dataset.working || "";
  });
  // Back from another page (bfcache): the form may be sent again, with the same key.
  window.addEventListener("pageshow", () => {
    sent = false;
    const button = form.querySelector('button[type="submit"]');
    if (button) button.removeAttribute("aria-disabled");
  });
}

for (const form of document.querySelectorAll("[data-buy-form]")) wire(form);

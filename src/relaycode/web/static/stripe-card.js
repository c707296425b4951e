// The card step of a checkout (docs/payments.md). Stripe.js collects the card in Stripe's
// own frame and confirms the PaymentIntent with its client secret: card data never reaches
// relaycode, which learns the outcome from Stripe's signed webhook. Stripe.js is the one
// script loaded from elsewhere (js.stripe.com; localstripe's stand-in in tests), so the page
// is served with payments/card_step.py's CSP. Markup: templates/payments_card.html.
// On success the form fires "rc:card-paid" ({attempt, status}) and, when it has one, goes to
// data-return-url; the page then waits for the order, not for this script.

const loading = new Map();

function loadStripe(url) {
  if (typeof window.Stripe === "function") return Promise.resolve(window.Stripe);
  if (!loading.has(url)) {
    loading.set(
      url,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = url;
        script.async = true;
        script.addEventListener("load", () =>
          typeof window.Stripe === "function" ? resolve(window.Stripe) : reject(new Error("no Stripe")),
        );
        script.addEventListener("error", () => reject(new Error("Stripe.js did not load")));
        document.head.append(script);
      }),
    );
  }
  return loading.get(url);
}

function say(form, text, kind) {
  const message = form.querySelector("[data-card-message]");
  if (!message) return;
  message.textContent = text;
  message.dataset.state = kind;
}

export async function mountCardStep(form) {
  const d = form.dataset;
  const submit = form.querySelector("[data-card-submit]");
  let stripe;
  let card;
  try {
    const Stripe = await loadStripe(d.jsUrl);
    stripe = Stripe(d.publishableKey, { locale: document.documentElement.lang || "auto" });
    card = stripe.elements().create("card");
    card.mount(form.querySelector("[data-card-field]"));
  } catch {
    say(form, d.msgUnavailable, "error");
    return;
  }
  if (submit) submit.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit) submit.disabled = true;
    say(form, d.msgWorking, "working");
    let result;
    try {
      result = await stripe.confirmCardPayment(d.clientSecret, { payment_method: { card } });
    } catch (err) {
      result = { error: { message: String((err && err.message) || err) } };
    }
    const intent = result && result.paymentIntent;
    if (intent && (intent.status === "succeeded" || intent.status === "processing")) {
      say(form, d.msgPaid, "paid");
      form.dispatchEvent(
        new CustomEvent("rc:card-paid", { bubbles: true, detail: { attempt: d.attempt, status: intent.status } }),
      );
      if (d.returnUrl) window.location.assign(d.returnUrl);
      return;
    }
    const why = (result && result.error && result.error.message) || "";
    say(form, `${d.msgFailed} ${why}`.trim(), "error");
    if (submit) submit.disabled = false; // the same intent takes another card
  });
}

for (const form of document.querySelectorAll("[data-stripe-card]")) mountCardStep(form);

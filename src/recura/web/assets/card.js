// The card form of the portal and checkout: Stripe.js's card element, confirmed with the
// SetupIntent (3-D Secure included), then the form posts the payment method's id.
// On a checkout whose first charge waits for the subscriber's bank (3-D Secure), the page
// holds the PaymentIntent's secret instead: Stripe.js takes the subscriber through the
// bank's challenge, then the page is loaded again and asks the processor how it ended.
(function () {
  var action = document.getElementById("card-action");
  if (action) {
    authenticate(action);
    return;
  }
  var form = document.getElementById("card-form");
  document.getElementById("card-needs-js").hidden = true;
  if (typeof Stripe === "undefined") {
    document.getElementById("card-unavailable").hidden = false;
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  var button = form.querySelector("button");
  var error = document.getElementById("card-error");
  form.hidden = false;
  card.mount("#card-element");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    error.hidden = true;
    stripe.confirmCardSetup(form.dataset.clientSecret, {payment_method: {card: card}})
      .then(function (result) {
        if (result.error) {
          error.textContent = result.error.message || String(result.error);
          error.hidden = false;
          button.disabled = false;
          return;
        }
        var method = result.setupIntent.payment_method;
        form.elements.token.value = typeof method === "string" ? method : method.id;
        form.submit();
      });
  });

  function authenticate(box) {
    document.getElementById("card-action-needs-js").hidden = true;
    if (typeof Stripe === "undefined") {
      document.getElementById("card-unavailable").hidden = false;
      return;
    }
    var stripe = Stripe(box.dataset.publishableKey);
    var button = document.getElementById("authenticate");
    box.hidden = false;
    function challenge() {
      button.disabled = true;
      // The PaymentIntent declined off-session is confirmed again, on-session, with the
      // card it was made with; whatever the bank answered, the page asks the processor.
      stripe.confirmCardPayment(box.dataset.clientSecret, {payment_method: box.dataset.paymentMethod})
        .then(function () { window.location.assign(box.dataset.returnUrl); },
              function () { button.disabled = false; });
    }
    button.addEventListener("click", challenge);
    // Started at once after confirming; back from a challenge that left it waiting, the
    // subscriber starts it again with the button.
    if (window.location.search.indexOf("authenticated=") < 0) {
      challenge();
    }
  }
})();

// The card form of the portal and checkout: Stripe.js's card element, confirmed with the
// SetupIntent (3-D Secure included), then the form posts the payment method's id.
(function () {
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
})();

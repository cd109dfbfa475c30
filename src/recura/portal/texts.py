"""Every sentence of the subscriber pages, in each language, side by side, as the emails'
sentences are (`recura.notifications.texts`, whose `missing()` checks these too)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # Shared by every page.
    "page.greeting": {"en": "Hello {name},", "ro": "Bună ziua, {name},"},
    "page.greeting_anonymous": {"en": "Hello,", "ro": "Bună ziua,"},
    "page.questions": {
        "en": "Questions? Write to {address}.",
        "ro": "Aveți întrebări? Scrieți-ne la {address}.",
    },
    "page.invalid_title": {"en": "Link not valid", "ro": "Link nevalid"},
    "page.invalid": {
        "en": "This link is not valid or has expired. Use the link in the most recent email "
        "you received from us.",
        "ro": "Acest link nu este valid sau a expirat. Folosiți linkul din cel mai recent "
        "email primit de la noi.",
    },
    "page.form_expired": {
        "en": "This form could not be accepted. Please reload the page and try again.",
        "ro": "Formularul nu a putut fi acceptat. Vă rugăm să reîncărcați pagina și să "
        "încercați din nou.",
    },
    # Payment methods as the pages describe them.
    "method.card": {
        "en": "{brand} card ending in {last4}, valid until {expiry}",
        "ro": "card {brand} terminat în {last4}, valabil până în {expiry}",
    },
    "method.card_no_expiry": {
        "en": "{brand} card ending in {last4}",
        "ro": "card {brand} terminat în {last4}",
    },
    "method.paypal": {"en": "PayPal account {email}", "ro": "contul PayPal {email}"},
    "method.other": {"en": "saved payment method", "ro": "metoda de plată salvată"},
    # The page behind "update payment method".
    "payment.title": {"en": "Update your payment method", "ro": "Actualizați metoda de plată"},
    "payment.current": {
        "en": "Current payment method: {method}.",
        "ro": "Metoda de plată actuală: {method}.",
    },
    "payment.none": {
        "en": "You have no payment method on file.",
        "ro": "Nu aveți nicio metodă de plată salvată.",
    },
    "payment.overdue": {
        "en": "These invoices are waiting to be paid:",
        "ro": "Aceste facturi așteaptă să fie plătite:",
    },
    "payment.overdue_line": {
        "en": "Invoice {number}: {amount}",
        "ro": "Factura {number}: {amount}",
    },
    "payment.overdue_then": {
        "en": "They are charged to the new payment method as soon as you save it.",
        "ro": "Acestea vor fi încasate cu noua metodă de plată imediat ce o salvați.",
    },
    "payment.sandbox": {
        "en": "Test mode: choose one of the test cards.",
        "ro": "Mod de test: alegeți unul dintre cardurile de test.",
    },
    "payment.card_label": {"en": "Card details", "ro": "Datele cardului"},
    "payment.card_safe": {
        "en": "Your card number goes straight to our payment processor; we never see it.",
        "ro": "Numărul cardului ajunge direct la procesatorul de plăți; noi nu îl vedem.",
    },
    "payment.save": {"en": "Save card", "ro": "Salvează cardul"},
    "payment.needs_javascript": {
        "en": "Entering a card needs JavaScript. Please turn JavaScript on in your browser and "
        "reload this page.",
        "ro": "Introducerea cardului necesită JavaScript. Vă rugăm să activați JavaScript în "
        "browser și să reîncărcați pagina.",
    },
    "payment.unavailable": {
        "en": "A new payment method cannot be added here at the moment. Please contact {account}.",
        "ro": "Momentan nu puteți adăuga aici o metodă de plată nouă. Vă rugăm să contactați "
        "{account}.",
    },
    "payment.paypal": {
        "en": "You will approve the payments at PayPal, then come back here.",
        "ro": "Veți aproba plățile pe site-ul PayPal, apoi veți reveni aici.",
    },
    "payment.paypal_button": {"en": "Continue to PayPal", "ro": "Continuați la PayPal"},
    "payment.paypal_cancelled": {
        "en": "You left PayPal before approving; nothing was changed.",
        "ro": "Ați părăsit PayPal înainte de aprobare; nu s-a schimbat nimic.",
    },
    "payment.saved": {
        "en": "Your payment method was saved: {method}. It will be used for your next payments.",
        "ro": "Metoda de plată a fost salvată: {method}. Va fi folosită pentru plățile următoare.",
    },
    "payment.not_saved": {
        "en": "The payment method could not be saved. Please check the details and try again.",
        "ro": "Metoda de plată nu a putut fi salvată. Vă rugăm să verificați datele și să "
        "încercați din nou.",
    },
    "payment.paid": {
        "en": "Invoice {number} ({amount}) was paid. Thank you!",
        "ro": "Factura {number} ({amount}) a fost plătită. Vă mulțumim!",
    },
    "payment.declined": {
        "en": "The new payment method was declined for invoice {number} ({amount}). Please "
        "try another card.",
        "ro": "Noua metodă de plată a fost refuzată pentru factura {number} ({amount}). Vă "
        "rugăm să încercați alt card.",
    },
    "payment.processing": {
        "en": "The payment of invoice {number} ({amount}) is being processed; you will get a "
        "receipt by email.",
        "ro": "Plata facturii {number} ({amount}) este în curs de procesare; veți primi "
        "chitanța pe email.",
    },
    "payment.try_again": {"en": "Use another card", "ro": "Folosiți alt card"},
    # The page behind "reactivate".
    "reactivate.title": {"en": "Your subscription", "ro": "Abonamentul dumneavoastră"},
    "reactivate.ending": {
        "en": "Your subscription to {plan} is set to end on {date}.",
        "ro": "Abonamentul la {plan} urmează să se încheie pe {date}.",
    },
    "reactivate.keep": {"en": "Keep my subscription", "ro": "Păstrez abonamentul"},
    "reactivate.kept": {
        "en": "Done: your subscription to {plan} continues, and renews on {date}.",
        "ro": "Gata: abonamentul la {plan} continuă și se reînnoiește pe {date}.",
    },
    "reactivate.ended": {
        "en": "Your subscription to {plan} ended on {date}.",
        "ro": "Abonamentul la {plan} s-a încheiat pe {date}.",
    },
    "reactivate.offer": {
        "en": "Subscribe again to {plan}, starting today:",
        "ro": "Abonați-vă din nou la {plan}, începând de astăzi:",
    },
    "reactivate.tax": {"en": "VAT {rate}%", "ro": "TVA {rate}%"},
    "reactivate.credit": {"en": "Your credit", "ro": "Creditul dumneavoastră"},
    "reactivate.total": {"en": "Charged today", "ro": "De plată astăzi"},
    "reactivate.charged_to": {
        "en": "It is charged now to your {method}, then again at each renewal.",
        "ro": "Suma se încasează acum cu {method}, apoi la fiecare reînnoire.",
    },
    "reactivate.needs_method": {
        "en": "To subscribe again, first add a payment method, then come back to this link.",
        "ro": "Pentru a vă abona din nou, adăugați mai întâi o metodă de plată, apoi reveniți "
        "la acest link.",
    },
    "reactivate.add_method": {
        "en": "Add a payment method",
        "ro": "Adăugați o metodă de plată",
    },
    "reactivate.subscribe": {"en": "Subscribe again", "ro": "Abonează-mă din nou"},
    "reactivate.welcome_back": {
        "en": "Welcome back! Your subscription to {plan} is active again.",
        "ro": "Bine ați revenit! Abonamentul la {plan} este din nou activ.",
    },
    "reactivate.already": {
        "en": "You are subscribed to {plan}: there is nothing to reactivate.",
        "ro": "Sunteți abonat la {plan}: nu este nimic de reactivat.",
    },
    "reactivate.pay_failed": {
        "en": "Your subscription to {plan} has started, but its payment was declined. Please "
        "update your payment method.",
        "ro": "Abonamentul la {plan} a început, dar plata a fost refuzată. Vă rugăm să "
        "actualizați metoda de plată.",
    },
    "reactivate.not_here": {
        "en": "This subscription cannot be reactivated here. Please contact {account}.",
        "ro": "Acest abonament nu poate fi reactivat aici. Vă rugăm să contactați {account}.",
    },
    # The page behind "view the invoice".
    "invoice.title": {"en": "Invoice {number}", "ro": "Factura {number}"},
    "invoice.issued": {"en": "Issued on {date}", "ro": "Emisă pe {date}"},
    "invoice.due": {"en": "due on {date}", "ro": "scadentă pe {date}"},
    "invoice.status_open": {"en": "Awaiting payment.", "ro": "În așteptarea plății."},
    "invoice.status_paid": {"en": "Paid. Thank you!", "ro": "Plătită. Vă mulțumim!"},
    "invoice.status_void": {"en": "Canceled.", "ro": "Anulată."},
    "invoice.status_uncollectible": {
        "en": "Not collected: please contact us.",
        "ro": "Neîncasată: vă rugăm să ne contactați.",
    },
    "invoice.status_draft": {"en": "Draft.", "ro": "Ciornă."},
    "invoice.vat": {"en": "VAT", "ro": "TVA"},
    "invoice.vat_included": {"en": "VAT included", "ro": "TVA inclus"},
    "invoice.total": {"en": "Total", "ro": "Total"},
    "invoice.paid": {"en": "Paid", "ro": "Plătit"},
    "invoice.how_to_pay": {"en": "How to pay", "ro": "Cum plătiți"},
    "invoice.amount_due": {"en": "Amount due", "ro": "De plată"},
    "invoice.beneficiary": {"en": "Beneficiary", "ro": "Beneficiar"},
    "invoice.reference": {"en": "Payment reference", "ro": "Referința plății"},
    "invoice.qr": {
        "en": "Scan this code with your banking app to fill in the transfer:",
        "ro": "Scanați acest cod cu aplicația băncii pentru a completa transferul:",
    },
    "invoice.qr_alt": {"en": "QR code for the transfer", "ro": "Cod QR pentru transfer"},
}


def text(key: str, locale: str, **values: object) -> str:
    """The text for `key` in `locale`, filled in; a missing key or value is an error."""
    return TEXTS[key][locale].format_map(values)

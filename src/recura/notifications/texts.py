"""Every sentence of the subscriber emails, in each language, side by side.

A key holds one text per locale, with `{name}` placeholders filled from the email's values.
Keeping the languages together makes a missing translation visible here, and
`missing()` (run by the tests) lists any key that lacks a locale or whose placeholders
differ between them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from babel import Locale

from recura.domains.common.languages import SUPPORTED

LOCALES = SUPPORTED

TEXTS: dict[str, dict[str, str]] = {
    # The layout, shared by every email.
    "layout.greeting": {"en": "Hello {name},", "ro": "Bună ziua, {name},"},
    "layout.greeting_anonymous": {"en": "Hello,", "ro": "Bună ziua,"},
    "layout.signature": {"en": "The {account} team", "ro": "Echipa {account}"},
    "layout.why": {
        "en": "You are receiving this email because you have a subscription with {account}.",
        "ro": "Primiți acest email pentru că aveți un abonament la {account}.",
    },
    "layout.questions": {
        "en": "Questions? Reply to this email or write to {address}.",
        "ro": "Aveți întrebări? Răspundeți la acest email sau scrieți-ne la {address}.",
    },
    "layout.unsubscribe": {
        "en": "Do not want these messages? Unsubscribe:",
        "ro": "Nu mai doriți astfel de mesaje? Dezabonați-vă:",
    },
    "layout.unsubscribe_link": {"en": "unsubscribe", "ro": "dezabonare"},
    # Welcome, with a getting-started guide.
    "welcome.subject": {
        "en": "Welcome to {account}",
        "ro": "Bun venit la {account}",
    },
    "welcome.intro": {
        "en": "Thank you for subscribing to {plan}. Your subscription is ready.",
        "ro": "Vă mulțumim că v-ați abonat la {plan}. Abonamentul dumneavoastră este activ.",
    },
    "welcome.trial": {
        "en": "Your free trial lasts until {date}; you will not be charged before then.",
        "ro": "Perioada de probă gratuită durează până la {date}; nu veți plăti nimic până atunci.",
    },
    "welcome.guide_title": {"en": "Getting started", "ro": "Primii pași"},
    "welcome.step_link": {"en": "Open", "ro": "Deschideți"},
    "welcome.ready": {
        "en": "Everything is ready: sign in and start using {plan}. If anything is unclear, "
        "reply to this email and we will help.",
        "ro": "Totul este pregătit: autentificați-vă și începeți să folosiți {plan}. Dacă ceva "
        "nu este clar, răspundeți la acest email și vă ajutăm.",
    },
    "welcome.next_bill": {
        "en": "Your next invoice is due on {date}.",
        "ro": "Următoarea factură va fi emisă pe {date}.",
    },
    # Partner perks, listed in the welcome email (templates/_perks.*).
    "perks.title": {
        "en": "Your benefits from our partners",
        "ro": "Beneficiile dumneavoastră de la partenerii noștri",
    },
    "perks.code": {"en": "Your code:", "ro": "Codul dumneavoastră:"},
    "perks.pending": {
        "en": "Your code is on its way: you will find it in your account as soon as it is ready.",
        "ro": "Codul dumneavoastră este pe drum: îl veți găsi în contul dumneavoastră imediat "
        "ce este gata.",
    },
    "perks.link": {"en": "Claim the offer", "ro": "Accesați oferta"},
    "perks.link_valid": {
        "en": "(this link works until {date}; your account always has a fresh one)",
        "ro": "(linkul funcționează până la {date}; în contul dumneavoastră găsiți oricând "
        "unul valabil)",
    },
    # Trial ending, three days before.
    "trial_ending.subject": {
        "en": "Your trial of {plan} ends on {date}",
        "ro": "Perioada de probă pentru {plan} se încheie pe {date}",
    },
    "trial_ending.body": {
        "en": "Your free trial of {plan} ends on {date}. From then on your subscription "
        "continues and you will be billed for it.",
        "ro": "Perioada de probă gratuită pentru {plan} se încheie pe {date}. Din acel moment "
        "abonamentul continuă și veți fi facturat pentru el.",
    },
    "trial_ending.action": {
        "en": "Nothing to do if you want to keep it. To stop it, cancel before that day.",
        "ro": "Dacă doriți să continuați, nu trebuie să faceți nimic. Dacă nu, anulați "
        "abonamentul înainte de acea zi.",
    },
    # Upcoming renewal, seven days before, plans billed yearly.
    "upcoming_renewal.subject": {
        "en": "Your {plan} subscription renews on {date}",
        "ro": "Abonamentul {plan} se reînnoiește pe {date}",
    },
    "upcoming_renewal.body": {
        "en": "Your yearly subscription to {plan} renews on {date}, for {amount}.",
        "ro": "Abonamentul anual la {plan} se reînnoiește pe {date}, la prețul de {amount}.",
    },
    "upcoming_renewal.action": {
        "en": "The amount is charged to your payment method on file; nothing to do.",
        "ro": "Suma va fi încasată prin metoda de plată salvată; nu trebuie să faceți nimic.",
    },
    # Payment receipt.
    "receipt.subject": {
        "en": "Receipt for invoice {number}",
        "ro": "Chitanță pentru factura {number}",
    },
    "receipt.body": {
        "en": "We received your payment of {amount} on {date} for invoice {number}. Thank you!",
        "ro": "Am primit plata dumneavoastră de {amount} din {date} pentru factura {number}. "
        "Vă mulțumim!",
    },
    "receipt.amount_label": {"en": "Amount paid", "ro": "Sumă plătită"},
    "receipt.invoice_label": {"en": "Invoice", "ro": "Factura"},
    "receipt.date_label": {"en": "Date", "ro": "Data"},
    # An invoice's lines, in the receipt and the invoice emails.
    "lines.vat": {"en": "VAT", "ro": "TVA"},
    "lines.vat_included": {"en": "VAT included", "ro": "TVA inclus"},
    "lines.total": {"en": "Total", "ro": "Total"},
    "invoice.button": {"en": "View the invoice", "ro": "Vedeți factura"},
    # An invoice to be paid by bank transfer, and its reminder before it falls due.
    "invoice_sent.subject": {
        "en": "Invoice {number} from {account}: {amount} due by {date}",
        "ro": "Factura {number} de la {account}: {amount} de plătit până pe {date}",
    },
    "invoice_sent.body": {
        "en": "Here is invoice {number} for {amount}, to be paid by bank transfer by {date}.",
        "ro": "Vă trimitem factura {number}, în valoare de {amount}, de plătit prin transfer "
        "bancar până pe {date}.",
    },
    "invoice_due_reminder.subject": {
        "en": "Reminder: invoice {number} is due on {date}",
        "ro": "Reamintire: factura {number} este scadentă pe {date}",
    },
    "invoice_due_reminder.body": {
        "en": "Invoice {number} for {amount} falls due on {date}. If you have paid it "
        "already, thank you, and please disregard this message.",
        "ro": "Factura {number}, în valoare de {amount}, este scadentă pe {date}. Dacă ați "
        "plătit-o deja, vă mulțumim și vă rugăm să ignorați acest mesaj.",
    },
    "payment.title": {"en": "How to pay", "ro": "Cum plătiți"},
    "payment.amount": {"en": "Amount", "ro": "Suma"},
    "payment.due": {"en": "Due date", "ro": "Scadența"},
    "payment.beneficiary": {"en": "Beneficiary", "ro": "Beneficiar"},
    "payment.reference": {"en": "Payment reference", "ro": "Referința plății"},
    "payment.reference_note": {
        "en": "Please quote the payment reference exactly: it is how your transfer is "
        "matched to this invoice.",
        "ro": "Vă rugăm să menționați exact referința plății: după ea transferul "
        "dumneavoastră este asociat acestei facturi.",
    },
    "payment.qr": {
        "en": "Or scan this code with your banking app to fill in the transfer:",
        "ro": "Sau scanați acest cod cu aplicația băncii pentru a completa transferul:",
    },
    "payment.qr_alt": {"en": "QR code for the transfer", "ro": "Cod QR pentru transfer"},
    # Refund.
    "refund.subject": {
        "en": "Refund of {amount} for invoice {number}",
        "ro": "Rambursare de {amount} pentru factura {number}",
    },
    "refund.body": {
        "en": "We refunded {amount} for invoice {number} on {date}.",
        "ro": "Am rambursat suma de {amount} pentru factura {number} pe {date}.",
    },
    "refund.delay": {
        "en": "Depending on your bank, it may take a few days to appear on your statement.",
        "ro": "În funcție de bancă, poate dura câteva zile până apare în extrasul de cont.",
    },
    # The portal's sign-in link, asked for on the sign-in page.
    "sign_in.subject": {
        "en": "Your sign-in link for {account}",
        "ro": "Linkul de autentificare la {account}",
    },
    "sign_in.body": {
        "en": "Use this link to see your subscriptions, invoices and payments. It works once, "
        "within 15 minutes.",
        "ro": "Folosiți acest link pentru a vedea abonamentele, facturile și plățile. Funcționează "
        "o singură dată, în 15 minute.",
    },
    "sign_in.button": {"en": "Sign in", "ro": "Autentificare"},
    "sign_in.not_you": {
        "en": "If you did not ask for this link, ignore this email: no one can sign in without it.",
        "ro": "Dacă nu ați cerut acest link, ignorați acest email: nimeni nu se poate autentifica "
        "fără el.",
    },
    # Confirming a new address asked for in the portal; sent to that address.
    "email_change.subject": {
        "en": "Confirm your new email address for {account}",
        "ro": "Confirmați noua adresă de email pentru {account}",
    },
    "email_change.body": {
        "en": "You asked to receive the emails of {account} at {new_email}. Open this link "
        "while signed in to your account to confirm it. It works once, within 24 hours.",
        "ro": "Ați cerut să primiți emailurile de la {account} la adresa {new_email}. Deschideți "
        "acest link cât timp sunteți autentificat în cont pentru a o confirma. Funcționează "
        "o singură dată, în 24 de ore.",
    },
    "email_change.button": {"en": "Confirm the new address", "ro": "Confirmați noua adresă"},
    "email_change.not_you": {
        "en": "If you did not ask for this, ignore this email: nothing changes without it.",
        "ro": "Dacă nu ați cerut acest lucru, ignorați acest email: nimic nu se schimbă fără el.",
    },
    # Set to cancel at the end of the period, with a link to keep it.
    "cancel_scheduled.subject": {
        "en": "Your {plan} subscription ends on {date}",
        "ro": "Abonamentul {plan} se încheie pe {date}",
    },
    "cancel_scheduled.body": {
        "en": "As you asked, your subscription to {plan} will not renew. You keep access "
        "until {date}.",
        "ro": "Conform solicitării, abonamentul dumneavoastră la {plan} nu se va reînnoi. "
        "Aveți acces până pe {date}.",
    },
    "cancel_scheduled.action": {
        "en": "Changed your mind? Keep your subscription with this link before {date}:",
        "ro": "V-ați răzgândit? Vă puteți păstra abonamentul folosind acest link, până pe {date}:",
    },
    "cancel_scheduled.button": {"en": "Keep my subscription", "ro": "Păstrez abonamentul"},
    # Payment failed: the first failure of an invoice.
    "payment_failed.subject": {
        "en": "Your payment of {amount} did not go through",
        "ro": "Plata de {amount} nu a reușit",
    },
    "payment_failed.body": {
        "en": "We could not charge {amount} for invoice {number}.",
        "ro": "Nu am putut încasa suma de {amount} pentru factura {number}.",
    },
    "payment_failed.retry": {
        "en": "We will try again on {date}.",
        "ro": "Vom încerca din nou pe {date}.",
    },
    "payment_failed.action": {
        "en": "Please check your card, or add another one, with this secure link:",
        "ro": "Vă rugăm să verificați cardul sau să adăugați altul, folosind acest link securizat:",
    },
    "payment_failed.button": {"en": "Update payment method", "ro": "Actualizați metoda de plată"},
    # Dunning reminders: the failures after the first.
    "dunning_reminder.subject": {
        "en": "Reminder: invoice {number} is still unpaid",
        "ro": "Reamintire: factura {number} nu este încă plătită",
    },
    "dunning_reminder.body": {
        "en": "Attempt {attempt} to charge {amount} for invoice {number} failed as well.",
        "ro": "Și încercarea {attempt} de a încasa {amount} pentru factura {number} a eșuat.",
    },
    "dunning_reminder.last": {
        "en": "That was the last attempt: please update your payment method to keep your "
        "subscription.",
        "ro": "A fost ultima încercare: vă rugăm să actualizați metoda de plată pentru a vă "
        "păstra abonamentul.",
    },
    # Plan changed.
    "plan_changed.subject": {
        "en": "Your subscription is now on {plan}",
        "ro": "Abonamentul dumneavoastră este acum {plan}",
    },
    "plan_changed.body": {
        "en": "Your subscription has changed: you are now on {plan}.",
        "ro": "Abonamentul dumneavoastră s-a schimbat: acum aveți {plan}.",
    },
    "plan_changed.next_bill": {
        "en": "The current period ends on {date}.",
        "ro": "Perioada curentă se încheie pe {date}.",
    },
    # Canceled, with a reactivation link.
    "canceled.subject": {
        "en": "Your {plan} subscription has been canceled",
        "ro": "Abonamentul {plan} a fost anulat",
    },
    "canceled.body": {
        "en": "Your subscription to {plan} was canceled on {date}.",
        "ro": "Abonamentul dumneavoastră la {plan} a fost anulat pe {date}.",
    },
    "canceled.action": {
        "en": "Changed your mind? You can reactivate it with this link:",
        "ro": "V-ați răzgândit? Îl puteți reactiva folosind acest link:",
    },
    "canceled.button": {"en": "Reactivate my subscription", "ro": "Reactivează abonamentul"},
    # A retention offer taken instead of cancelling: what was agreed.
    "retention_offer_accepted.subject": {
        "en": "Thank you for staying with {account}",
        "ro": "Vă mulțumim că rămâneți alături de {account}",
    },
    "retention_offer_accepted.coupon_once": {
        "en": "As agreed, your {plan} subscription continues, with {discount} off your next "
        "invoice.",
        "ro": "Conform înțelegerii, abonamentul dumneavoastră {plan} continuă, cu o reducere de "
        "{discount} la următoarea factură.",
    },
    "retention_offer_accepted.coupon_repeating": {
        "en": "As agreed, your {plan} subscription continues, with {discount} off each of your "
        "next {invoices}.",
        "ro": "Conform înțelegerii, abonamentul dumneavoastră {plan} continuă, cu o reducere de "
        "{discount} la fiecare dintre următoarele {invoices}.",
    },
    "retention_offer_accepted.coupon_forever": {
        "en": "As agreed, your {plan} subscription continues, with {discount} off every invoice "
        "from now on.",
        "ro": "Conform înțelegerii, abonamentul dumneavoastră {plan} continuă, cu o reducere de "
        "{discount} la fiecare factură de acum înainte.",
    },
    "retention_offer_accepted.pause": {
        "en": "As agreed, your {plan} subscription is paused until {date}. It resumes by itself "
        "on that day, and you are not billed until then.",
        "ro": "Conform înțelegerii, abonamentul dumneavoastră {plan} este suspendat până pe "
        "{date}. Se reia automat în acea zi și până atunci nu veți fi facturat.",
    },
    "retention_offer_accepted.pause_credit": {
        "en": "The unused part of your current period, {amount}, was credited to your balance "
        "and counts towards your next invoices.",
        "ro": "Partea neutilizată din perioada curentă, {amount}, a fost creditată în soldul "
        "dumneavoastră și se scade din facturile următoare.",
    },
    "retention_offer_accepted.plan": {
        "en": "As agreed, your subscription moves to {plan} on {date}, for {amount} per billing "
        "period. Until then nothing changes.",
        "ro": "Conform înțelegerii, abonamentul dumneavoastră trece la {plan} pe {date}, la "
        "prețul de {amount} pe perioadă de facturare. Până atunci nu se schimbă nimic.",
    },
    # Card expiring.
    "card_expiring.subject": {
        "en": "Your card ending in {last4} expires soon",
        "ro": "Cardul terminat în {last4} expiră în curând",
    },
    "card_expiring.body": {
        "en": "Your {brand} card ending in {last4} expires at the end of {expiry}.",
        "ro": "Cardul {brand} terminat în {last4} expiră la sfârșitul lunii {expiry}.",
    },
    "card_expiring.action": {
        "en": "To avoid an interruption, add a new card with this secure link:",
        "ro": "Pentru a evita o întrerupere, adăugați un card nou folosind acest link securizat:",
    },
    # Win-back, some days after a cancellation; subscribers can opt out.
    "winback.subject": {
        "en": "We miss you at {account}",
        "ro": "Ne este dor de dumneavoastră la {account}",
    },
    "winback.body": {
        "en": "It has been a while since you left {plan}. A lot has improved since then, and "
        "your account is still here.",
        "ro": "A trecut ceva timp de când ați renunțat la {plan}. Între timp am îmbunătățit "
        "multe, iar contul dumneavoastră vă așteaptă.",
    },
    "winback.action": {
        "en": "Come back whenever you like:",
        "ro": "Reveniți oricând doriți:",
    },
    "winback.button": {"en": "Subscribe again", "ro": "Abonați-vă din nou"},
    # Support requests: to the subscriber, a confirmation and each of the merchant's replies.
    "support.subject_label": {"en": "Subject", "ro": "Subiect"},
    "support.your_message": {"en": "Your message", "ro": "Mesajul dumneavoastră"},
    "support.portal": {
        "en": "You can follow the conversation and answer from your account's portal.",
        "ro": "Puteți urmări conversația și răspunde din portalul contului dumneavoastră.",
    },
    "support_confirmation.subject": {
        "en": "We received your request: {subject}",
        "ro": "Am primit solicitarea dumneavoastră: {subject}",
    },
    "support_confirmation.body": {
        "en": "Thank you for writing to us. We received your request and will answer as soon "
        "as we can.",
        "ro": "Vă mulțumim că ne-ați scris. Am primit solicitarea dumneavoastră și vă vom "
        "răspunde cât mai curând.",
    },
    "support_reply.subject": {
        "en": "New reply to your request: {subject}",
        "ro": "Răspuns nou la solicitarea dumneavoastră: {subject}",
    },
    "support_reply.intro": {
        "en": "{account} replied to your request “{subject}”:",
        "ro": "{account} a răspuns la solicitarea dumneavoastră „{subject}”:",
    },
    # Support requests: to the merchant's support address, a new request and each of the
    # subscriber's replies, in the account's language.
    "support_staff.why": {
        "en": "You receive this email as the support address of {account}. Replying to it "
        "writes to the subscriber directly; a reply sent through Recura also appears in "
        "their portal.",
        "ro": "Primiți acest email ca adresă de asistență a {account}. Un răspuns la acest "
        "email ajunge direct la abonat; un răspuns trimis prin Recura apare și în portalul "
        "abonatului.",
    },
    "support_staff.request": {"en": "Request {request}", "ro": "Solicitarea {request}"},
    "support_staff.message_label": {"en": "Message", "ro": "Mesaj"},
    "support_notice.subject": {
        "en": "New support request: {subject}",
        "ro": "Solicitare nouă de asistență: {subject}",
    },
    "support_notice.intro": {
        "en": "{customer} sent a support request in the category “{category}”.",
        "ro": "{customer} a trimis o solicitare de asistență în categoria „{category}”.",
    },
    "support_follow_up.subject": {
        "en": "New reply from the subscriber: {subject}",
        "ro": "Răspuns nou de la abonat: {subject}",
    },
    "support_follow_up.intro": {
        "en": "{customer} replied to the support request “{subject}”.",
        "ro": "{customer} a răspuns la solicitarea de asistență „{subject}”.",
    },
    # An announcement the merchant published, for subscribers who did not opt out.
    "announcement.subject": {"en": "{title}", "ro": "{title}"},
    # The page behind the unsubscribe link.
    "unsubscribe.title": {"en": "Unsubscribe", "ro": "Dezabonare"},
    "unsubscribe.question": {
        "en": "Stop receiving offers and news from {account} at {address}? Invoices, receipts "
        "and payment notices will still be sent.",
        "ro": "Nu mai doriți să primiți oferte și noutăți de la {account} la {address}? "
        "Facturile, chitanțele și notificările de plată vor fi trimise în continuare.",
    },
    "unsubscribe.button": {"en": "Unsubscribe", "ro": "Dezabonează-mă"},
    "unsubscribe.done": {
        "en": "Done: {account} will send no more offers to {address}.",
        "ro": "Gata: {account} nu vă va mai trimite oferte la {address}.",
    },
    "unsubscribe.invalid": {
        "en": "This link is not valid or has expired.",
        "ro": "Acest link nu este valid sau a expirat.",
    },
    # Notices to the merchant itself (templates/merchant_layout.*), in the account's language.
    "merchant_layout.why": {
        "en": "Recura sends this notice to the address {account} gave for its emails.",
        "ro": "Recura trimite această notificare la adresa indicată de {account} pentru "
        "emailurile sale.",
    },
    "perk_pool_low.subject": {
        "en": "Voucher codes for {perk} are running low",
        "ro": "Codurile pentru {perk} sunt pe terminate",
    },
    "perk_pool_low.body": {
        "en": "Free voucher codes left for {perk} ({partner}): {available}. The warning "
        "threshold is {threshold}.",
        "ro": "Coduri libere rămase pentru {perk} ({partner}): {available}. Pragul de "
        "avertizare este {threshold}.",
    },
    "perk_pool_low.waiting": {
        "en": "Subscribers waiting for a code: {waiting}.",
        "ro": "Abonați care așteaptă un cod: {waiting}.",
    },
    "perk_pool_low.action": {
        "en": "Upload more codes so that new subscribers get theirs at once; those waiting "
        "get theirs as soon as codes arrive.",
        "ro": "Încărcați coduri noi, ca abonații noi să le primească pe loc; cei care așteaptă "
        "le primesc de îndată ce sosesc codurile.",
    },
}

# Counted words, by the CLDR plural category of the count in each language (Babel's
# `plural_form`): Romanian says "3 facturi" but "20 de facturi".
PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "invoices": {
        "en": {"one": "{count} invoice", "other": "{count} invoices"},
        "ro": {"one": "{count} factură", "few": "{count} facturi", "other": "{count} de facturi"},
    },
}

# Card brands as people name them.
BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def missing(table: Mapping[str, Mapping[str, str]] = TEXTS) -> list[str]:
    """Keys lacking a locale, or whose placeholders differ between locales."""
    problems = []
    for key, texts in table.items():
        for locale in LOCALES:
            if not texts.get(locale, "").strip():
                problems.append(f"{key}: no {locale} text")
        names = {locale: placeholders(texts.get(locale, "")) for locale in LOCALES}
        if len({frozenset(n) for n in names.values()}) > 1:
            problems.append(f"{key}: placeholders differ {names}")
    return problems


def counted(word: str, count: int, locale: str) -> str:
    """`count` of `word` ("invoices") as `locale` writes it."""
    forms = PLURALS[word][locale]
    category = Locale.parse(locale).plural_form(count)
    return forms.get(category, forms["other"]).format(count=count)


def text(key: str, locale: str, **values: object) -> str:
    """The text for `key` in `locale`, filled in; a missing key or value is an error."""
    return TEXTS[key][locale].format_map(values)

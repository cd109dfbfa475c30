"""What the public pages share: security headers and CSP, CSRF keys, rate limits, the
visitor's language, the merchant's branding, the layout and the app's own assets."""

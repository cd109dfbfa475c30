"""email_templates: operators' own versions of the subscriber emails, per email and language"""

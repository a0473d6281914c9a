"""The box's translation catalogues (gettext, domain `messages`), installed as the package contactpoint.locales
so a wheel carries them (contactpoint/i18n.py reads them; `make i18n` updates them)."""

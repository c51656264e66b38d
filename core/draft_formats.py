"""The formats an export of email drafts can be written in, apart from the composer so that
the CLI can offer them in `--help` without loading Jinja2 and Babel."""

from __future__ import annotations

FORMATS = ("eml", "mbox", "csv")
"""eml: one file per draft in a folder; mbox: one file; csv: a mail-merge table."""

AUDIENCE = "audience"
"""A contacts file for a mail service's import (`--format audience --for SERVICE`)."""
SERVICES = ("mailchimp", "klaviyo", "listmonk")
"""The mail services an audience file is written for (core/compose/audience_export.py)."""
EXPORT_FORMATS = (*FORMATS, AUDIENCE)
"""What `retain-tui export --format` accepts."""

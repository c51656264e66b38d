"""Personalised email drafts: templates, the variables they see, rendering and export.

The CLI and the app's compose screen use only what is exported here.
"""

from core.compose.composer import Composer
from core.compose.discount import Discount, DiscountError, parse_discount
from core.compose.drafts import REASONS, Draft, FailedDraft, Recipient
from core.compose.errors import ComposeError, TemplateError
from core.compose.export import ExportError, ExportResult, export_drafts
from core.compose.fit import TemplateFit, best_fit, fit_sample, template_fits
from core.compose.templates import TemplateInfo, list_templates, user_templates_dir
from core.draft_formats import FORMATS

__all__ = [
    "FORMATS",
    "REASONS",
    "ComposeError",
    "Composer",
    "Discount",
    "DiscountError",
    "Draft",
    "ExportError",
    "ExportResult",
    "FailedDraft",
    "Recipient",
    "TemplateError",
    "TemplateFit",
    "TemplateInfo",
    "best_fit",
    "export_drafts",
    "fit_sample",
    "list_templates",
    "parse_discount",
    "template_fits",
    "user_templates_dir",
]

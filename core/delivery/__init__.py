"""Delivery (issue 14): a campaign's messages through an outbox to the shop's SMTP server,
each sent exactly once or reported as uncertain, never twice (docs/delivery.md).

Callers use only what is exported here.
"""

from core.delivery.outbox import (
    STATES,
    QueueResult,
    campaigns_with_queued,
    queue_campaign,
    state_counts,
)
from core.delivery.sender import (
    Pacer,
    SendBusyError,
    SendInterrupted,
    SendReport,
    load_smtp_settings,
    send_campaign,
    send_campaigns,
    send_outbox,
)
from core.delivery.settings import (
    PASSWORD_ENV,
    DeliveryError,
    SmtpAuthError,
    SmtpSettingError,
    SmtpSettings,
    SmtpUnreachableError,
    read_password,
)

__all__ = [
    "PASSWORD_ENV",
    "STATES",
    "DeliveryError",
    "Pacer",
    "QueueResult",
    "SendBusyError",
    "SendInterrupted",
    "SendReport",
    "SmtpAuthError",
    "SmtpSettingError",
    "SmtpSettings",
    "SmtpUnreachableError",
    "campaigns_with_queued",
    "load_smtp_settings",
    "queue_campaign",
    "read_password",
    "send_campaign",
    "send_campaigns",
    "send_outbox",
    "state_counts",
]

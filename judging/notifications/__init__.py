"""Notifications: an outbox written with the event that causes it, delivered by the job queue (mail, SMS).

Every part calls ``notifications.queue(session, event=..., to=..., **params)`` in its own service; the
recipients are a SELECT of user ids, or ``office``, ``city_accounts``, ``email_to``, ``sms_to``.
"""

from judging.notifications.models import Channel, DeliveryStatus, Notification
from judging.notifications.outbox import Recipient, city_accounts, email_to, office, queue, sms_to, users

__all__ = ["Channel", "DeliveryStatus", "Notification", "Recipient", "city_accounts", "email_to", "office", "queue",
           "sms_to", "users"]

"""The audit trail of every state change: django-simple-history records, with each
saved row, who made the change and why."""


def audited(instance, *, actor, reason: str):
    """Mark ``instance`` so that its next save records ``actor`` (a user, or None for
    a scheduled job) and ``reason`` in its history; returns it, to chain ``.save()``."""
    instance._history_user = actor
    instance._change_reason = reason
    return instance

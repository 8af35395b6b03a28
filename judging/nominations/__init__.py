"""Nominations: intake, identity kept apart from judged content, blinding and redaction."""

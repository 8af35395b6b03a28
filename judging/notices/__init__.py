"""Public notice (公示) of a category's candidates, objections (异议) to it, and the committee's approval (审定)."""

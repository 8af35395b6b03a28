"""形式审查: the eligibility checklist of each category and the formal-review decision on each nomination."""

"""Nomination by the cities online: city accounts draft, submit, withdraw and correct their nominations within
their quota, and the office follows each city's fulfilment and assessment."""

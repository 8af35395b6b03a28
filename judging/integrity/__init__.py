"""Integrity diagnostics: favouritism after unblinding, each expert's record, the pool filter of the draw."""

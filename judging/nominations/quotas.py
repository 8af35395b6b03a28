"""Split a nomination total among cities in proportion to their employees (largest remainder)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

__all__ = ["allocate_targets"]

# User-facing texts in one place, ready for Babel.
MESSAGES = {
    "total_type": "`total` must be a whole number, got {value!r}.",
    "total_negative": "`total` must not be negative, got {value}.",
    "count_type": "`employee_counts[{name!r}]` must be a whole number, got {value!r}.",
    "count_negative": "`employee_counts[{name!r}]` must not be negative, got {value}.",
    "name_type": "`employee_counts` keys must be city names (str), got {name!r}.",
    "no_employees": "`employee_counts` has no employees at all, so there is nothing to be proportional to.",
}


def _whole(value: object) -> bool:
    # bool is an int subclass, but True employees is a data error, not 1.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def allocate_targets(employee_counts: Mapping[str, int], total: int) -> dict[str, int]:
    """Share `total` nominations among cities in proportion to their employees.

    Parameters
    ----------
    employee_counts : mapping of str to int
        Employees per city (or provincial industry union). Zero is allowed and
        gets zero.
    total : int
        Nominations to share out; the targets sum to exactly this.

    Returns
    -------
    dict of str to int
        Target per city, in the order of `employee_counts`.

    Raises
    ------
    ValueError
        For non-integer or negative inputs, non-string names, or when no city
        has any employee.

    Notes
    -----
    Largest remainder (Hamilton) method. City *i* with ``e_i`` of ``E`` employees
    has the exact quota ``q_i = total * e_i / E``; it first gets ``floor(q_i)``,
    then the ``total - sum(floor(q_i))`` seats left go one each to the largest
    remainders ``q_i - floor(q_i)``. Arithmetic is on integers
    (``total * e_i mod E``), so equal remainders really are equal.

    Ties in remainder are broken by the larger employee count, then by the
    city name in code-point order. Both are properties of the data, not of the
    order the mapping happens to be in, so the same counts always give the same
    targets. Every city gets its quota rounded down or up, never further away.

    Example
    -------
    >>> allocate_targets({"南京": 50, "苏州": 30, "宿迁": 20}, 7)
    {'南京': 4, '苏州': 2, '宿迁': 1}
    """
    if not _whole(total):
        raise ValueError(MESSAGES["total_type"].format(value=total))
    if total < 0:
        raise ValueError(MESSAGES["total_negative"].format(value=total))
    for name, count in employee_counts.items():
        if not isinstance(name, str):
            raise ValueError(MESSAGES["name_type"].format(name=name))
        if not _whole(count):
            raise ValueError(MESSAGES["count_type"].format(name=name, value=count))
        if count < 0:
            raise ValueError(MESSAGES["count_negative"].format(name=name, value=count))
    employees = sum(int(c) for c in employee_counts.values())
    if employees == 0:
        raise ValueError(MESSAGES["no_employees"])

    targets: dict[str, int] = {}
    remainders: list[tuple[int, int, str]] = []
    for name, count in employee_counts.items():
        whole, remainder = divmod(total * int(count), employees)
        targets[name] = whole
        remainders.append((remainder, int(count), name))
    left = total - sum(targets.values())
    # Sort key: largest remainder, then more employees, then name ascending.
    remainders.sort(key=lambda r: (-r[0], -r[1], r[2]))
    for _, _, name in remainders[:left]:
        targets[name] += 1
    return targets

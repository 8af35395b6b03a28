"""Declarative base and shared column types for every domain's models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import enum

from sqlalchemy import DateTime, Enum, MetaData, Numeric, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def enum_column(cls: type[enum.Enum], *, length: int = 16) -> Enum:
    """A Python enum stored by its values as plain text (no database enum type to migrate)."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda members: [m.value for m in members])


# Scores, weights and scale bounds are exact decimals: a 0.5 step must stay 0.5 in every database.
ScoreDecimal = Numeric(9, 3, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, Decimal: ScoreDecimal}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""The models' relationships never load on attribute access: reading one that the query did
not load raises, and a model that declares another kind is refused when mappers configure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import ForeignKey, create_engine, event
from sqlalchemy.exc import ArgumentError, InvalidRequestError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    configure_mappers,
    mapped_column,
    relationship,
)

from recura.db.base import NO_LAZY_LOADS, Base, refuse_lazy_relationships


def test_no_relationship_of_the_models_loads_on_access() -> None:
    # Checked for every model as mappers configure, and once more here.
    assert event.contains(Base, "mapper_configured", refuse_lazy_relationships)
    configure_mappers()
    mappers = list(Base.registry.mappers)
    assert mappers
    lazy = {
        f"{m.class_.__name__}.{r.key}": r.lazy
        for m in mappers
        for r in m.relationships
        if r.lazy not in NO_LAZY_LOADS
    }
    assert lazy == {}


@pytest.fixture
def scratch() -> Iterator[type[DeclarativeBase]]:
    """A registry of its own, as the models' is set up, disposed after the test: the
    refused classes never reach the models' configuration."""

    class Scratch(DeclarativeBase):
        pass

    event.listen(Scratch, "mapper_configured", refuse_lazy_relationships, propagate=True)
    try:
        yield Scratch
    finally:
        Scratch.registry.dispose()


def test_a_relationship_that_would_load_on_access_is_refused(
    scratch: type[DeclarativeBase],
) -> None:
    class Parent(scratch):  # type: ignore[misc, valid-type]
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship()

    class Child(scratch):  # type: ignore[misc, valid-type]
        __tablename__ = "child"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))

    with pytest.raises(ArgumentError, match=r"Parent.children would load when read"):
        scratch.registry.configure()


def test_reading_a_raise_relationship_the_query_did_not_load_raises(
    scratch: type[DeclarativeBase],
) -> None:
    class Parent(scratch):  # type: ignore[misc, valid-type]
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(lazy="raise")

    class Child(scratch):  # type: ignore[misc, valid-type]
        __tablename__ = "child"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))

    scratch.registry.configure()
    engine = create_engine("sqlite://")
    scratch.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Parent(id=1))
        session.commit()
        parent = session.get_one(Parent, 1)
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = parent.children
    engine.dispose()

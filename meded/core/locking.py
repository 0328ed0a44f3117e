"""Row locks for state transitions.

An action that changes a row because of the state it is in (publish a draft, approve a
pending swap) must read that state under a lock inside its transaction, then decide: reading
it before the transaction lets a second request change it in between (a swap declined while
it is approved would end declined with its shift moved).

``lock`` takes the lock on the one row only: ``FOR UPDATE OF`` the model's own table, with no
ordering. A plain ``select_for_update()`` on a model whose default ordering follows a foreign
key (ScheduleYear orders by program) joins that table and locks its row too, and two actions
that lock the same program that way in different orders deadlock. On SQLite, which takes the
database's write lock for the whole transaction, this is a plain read.

Lock order, where an action locks several rows: schedule year, then version, then cells;
roster, then shift; a request (swap, vacation) before the rows it changes.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock(model: type[M], pk: Any, *related: str) -> M:
    """The row with primary key ``pk``, locked until the transaction ends (DoesNotExist if it
    is gone). ``related`` are select_related paths, read but not locked."""
    qs = model._default_manager.select_for_update(of=("self",)).order_by()
    if related:
        qs = qs.select_related(*related)
    return qs.get(pk=pk)

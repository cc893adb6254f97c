"""Table rebuilds: scripts that move a table's rows into a new table under the same name;
and their column form, a column swap (`kept_columns`).

SQLite can change little of a table in place, so its migrations (and some PostgreSQL ones)
rebuild the table instead, in one of three shapes:

- create a new table, copy the rows into it, drop the old one, rename the new one to the
  old name;
- rename the old table aside, create the new one under the old name, copy the rows back,
  drop the renamed one;
- copy the rows aside into a new table, drop the old one, create it again, copy the rows
  back, drop the copy.

A `DROP TABLE` in any of them destroys no rows. All three are read the same way, by following
the rows of every table the script found: a copy (`INSERT … SELECT`, `CREATE TABLE … AS`)
from a table holding them makes its target hold them too; a rename moves them with the
table; a drop, a `TRUNCATE` or a `DELETE` without `WHERE` takes them out of that table, and
a `CREATE TABLE` makes an empty one. A drop keeps the rows when, at the end of the script, the
table that held them at its start is back under its name holding them. A drop followed by a
bare `CREATE TABLE` of the same name, with nothing copied, keeps nothing.

A `DROP TABLE IF EXISTS` that clears a name the script then uses only in passing (a
rebuild's scratch table, made after the drop and gone by the end) destroys nothing the
schema held either: what it could find is what an earlier, failed run of the script left.

The copy is trusted: which columns it carries, and which rows a `WHERE` in it leaves out, are
not checked. Rebuilds routinely leave a generated key to be numbered afresh, so a column
left out of the copy is no sign of loss by itself; a column the new table does not have at
all, and that no copy of the rows reads, is (`rebuild_columns`: `drop-column` reports it
at the old table's drop).
"""

from __future__ import annotations

from collections.abc import Callable

from schemagate.model import ops as o
from schemagate.model.catalog import Table
from schemagate.model.migration import ParsedScript
from schemagate.model.names import QName


def harmless_drops(script: ParsedScript) -> frozenset[tuple[int, QName]]:
    """The drops of a script that destroy no rows the schema held before it, as (statement
    index, table):

    - each `DROP TABLE` of a table whose rows were copied, before the drop, into the table
      that ends the script under the name the rows started under (a rebuild);
    - each `DROP TABLE IF EXISTS` of a name the script then uses only in passing: it makes a
      table under the name after the drop, and by its end has dropped or renamed it away
      (a rebuild's scratch table, a temporary copy). What the drop could find there is
      what an earlier, failed run of the script left:

    ```sql
    DROP TABLE IF EXISTS _user_old;
    ALTER TABLE user RENAME TO _user_old;
    CREATE TABLE user (...);
    INSERT INTO user (...) SELECT ... FROM _user_old;
    DROP TABLE _user_old;
    ```
    """
    return frozenset(_rebuild_drops(script)) | _clearing_drops(script)


def _rebuild_drops(script: ParsedScript) -> dict[tuple[int, QName], frozenset[QName]]:
    """The rebuilds' drops, as (statement index, table), each with the names the rows it
    held had when the script started: its origins, back under their names at the end."""
    rows = _Rows()
    drops: list[tuple[int, QName, set[QName]]] = []
    for st in script.statements:
        for op in st.ops:
            _move_rows(op, rows, drops, st.index)
    return {(index, table): frozenset(origins) for index, table, origins in drops
            if origins and all(rows.holds(origin) for origin in origins)}


def _clearing_drops(script: ParsedScript) -> frozenset[tuple[int, QName]]:
    """Each `DROP TABLE IF EXISTS` of a name the script then makes and, by its end, has
    dropped or renamed away."""
    clearing: list[tuple[int, QName]] = []  # the IF EXISTS drops
    # What the script does to each name, in order: "made", "dropped" or "left" (renamed
    # away), with the statement's index.
    fates: dict[QName, list[tuple[int, str]]] = {}
    for st in script.statements:
        for op in st.ops:
            match op:
                case o.CreateTable(table=table):
                    fates.setdefault(table, []).append((st.index, "made"))
                case o.RenameTable(table=table, new_name=new):
                    fates.setdefault(table, []).append((st.index, "left"))
                    fates.setdefault(QName(table.schema, new), []).append((st.index, "made"))
                case o.DropTable(tables=tables, if_exists=if_exists):
                    for table in tables:
                        fates.setdefault(table, []).append((st.index, "dropped"))
                        if if_exists:
                            clearing.append((st.index, table))
    kept = set()
    for index, table in clearing:
        after = [fate for at, fate in fates[table] if at > index]
        if after and after[0] == "made" and after[-1] != "made":
            kept.add((index, table))
    return frozenset(kept)


def _move_rows(op: o.Operation, rows: _Rows, drops: list[tuple[int, QName, set[QName]]],
               index: int) -> None:
    """Follow where the rows of each table go through one operation (`_Rows`)."""
    match op:
        case o.CreateTable(table=table, sources=sources):
            rows.empty(table)
            rows.copy(sources, table)
        case o.InsertRows(table=table, sources=sources):
            rows.origins(table)  # a table the script found holds its own rows
            rows.copy(sources, table)
        case o.RenameTable(table=table, new_name=new):
            rows.rename(table, QName(table.schema, new))
        case o.DropTable(tables=tables):
            for table in tables:
                drops.append((index, table, rows.origins(table)))
                rows.empty(table)
        case o.Truncate(tables=tables):
            for table in tables:
                rows.origins(table)
                rows.empty(table)
        case o.DeleteRows(table=table, has_where=False):
            rows.origins(table)
            rows.empty(table)


def rebuild_columns(script: ParsedScript
                    ) -> dict[tuple[int, QName], tuple[frozenset[QName], frozenset[str]]]:
    """For each rebuild's drop (statement index, table): the names its rows had when the
    script started (its origins), and the columns (lower-cased) of the tables that hold them
    at the end of the script under those names, where the script made them with columns it
    states (a `CREATE TABLE … AS` of a query it cannot read, or `(LIKE …)`, states none). A
    column of the dropped table none of them has is gone with it."""
    made: dict[QName, set[str] | None] = {}  # the tables the script made, by current name
    # The copies of rows (statement index, the tables read, the columns the copy reads:
    # None when not known): a column a copy reads lives on, under any name.
    copies: list[tuple[int, tuple[QName, ...], frozenset[str] | None]] = []
    for st in script.statements:
        for op in st.ops:
            match op:
                case o.InsertRows(sources=sources, selected=selected) if sources:
                    copies.append((st.index, sources, selected))
                case o.CreateTable(table=table, sources=sources):
                    if sources:  # `CREATE TABLE … AS SELECT`: its columns are not followed
                        copies.append((st.index, sources, None))
                    made[table] = _stated_columns(op)
                case o.RenameTable(table=table, new_name=new) if table in made:
                    made[QName(table.schema, new)] = made.pop(table)
                case o.DropTable(tables=tables):
                    for table in tables:
                        made.pop(table, None)
                case o.AddColumn(table=table, column=column):
                    if (has := made.get(table)) is not None:
                        has.add(column.name.lower())
                case o.DropColumn(table=table, column=column):
                    if (has := made.get(table)) is not None:
                        has.discard(column.lower())
                case o.RenameColumn(table=table, column=column, new_name=new):
                    if (has := made.get(table)) is not None:
                        has.discard(column.lower())
                        has.add(new.lower())
    out: dict[tuple[int, QName], tuple[frozenset[QName], frozenset[str]]] = {}
    for (index, table), origins in _rebuild_drops(script).items():
        ends = [made.get(origin) for origin in origins]
        carried = _carried(copies, index, {table, *origins})
        if ends and carried is not None and all(end is not None for end in ends):
            kept = {c for end in ends if end is not None for c in end} | carried
            out[(index, table)] = origins, frozenset(kept)
    return out


def left_out(table: Table, kept: frozenset[str], made_here: Callable[[str], bool]
             ) -> list[str]:
    """The columns of ``table`` (the old table, as the schema holds it) that a rebuild drops
    with it: not among ``kept`` (`rebuild_columns`) and not made by the migration itself
    (``made_here``). None of a table the history never showed whole."""
    if table.assumed:
        return []
    return [c.name for c in table.columns
            if c.name.lower() not in kept and not made_here(c.name)]


def _carried(copies: list[tuple[int, tuple[QName, ...], frozenset[str] | None]],
             before: int, names: set[QName]) -> frozenset[str] | None:
    """The columns the copies made before statement `before` from the tables `names` read
    (a rebuild that renames a column copies `SELECT …, name …` into `nickname`); None when
    one of them reads what the tool cannot tell (`SELECT *`)."""
    read: set[str] = set()
    for at, sources, selected in copies:
        if at < before and names.intersection(sources):
            if selected is None:
                return None
            read |= selected
    return frozenset(read)


def _stated_columns(op: o.CreateTable) -> set[str] | None:
    """The columns (lower-cased) a CREATE TABLE states; None when it states none the tool
    can name: `(LIKE other INCLUDING …)`, a partition (its parent's), a query whose output
    columns cannot be told (`SELECT *` over a sub-select)."""
    if op.partition_of is not None:
        return None
    if not op.from_query:
        return {c.name.lower() for c in op.columns} if op.columns else None
    if op.column_names:  # `CREATE TABLE t (a, b) AS …` names them itself
        return {name.lower() for name in op.column_names}
    named = op.query_columns
    if named is None or not all(c.name for c in named):
        return None
    return {c.name.lower() for c in named if c.name}


def copied_out(script: ParsedScript) -> dict[tuple[QName, str], int]:
    """The columns (lower-cased) whose values an `INSERT … SELECT` of the script copies into
    another table, from every row that holds one (no WHERE but `IS NOT NULL` tests), by
    (source table, column), with the index of the first such copy: `INSERT INTO
    folders_ciphers SELECT uuid, folder_uuid FROM ciphers WHERE folder_uuid IS NOT NULL`
    before `DROP COLUMN folder_uuid` moves the values, it does not lose them."""
    out: dict[tuple[QName, str], int] = {}
    for st in script.statements:
        for op in st.ops:
            if isinstance(op, o.InsertRows) and op.selected and not op.filtered \
                    and len(op.sources) == 1 and op.sources[0] != op.table:
                for column in op.selected:
                    out.setdefault((op.sources[0], column), st.index)
    return out


def pulled_out(script: ParsedScript
               ) -> dict[tuple[QName, str], tuple[tuple[int, QName, tuple[str, str]], ...]]:
    """The columns (lower-cased) an `UPDATE … FROM` of the script copies out of the table
    it reads, by (source table, column): each copy's statement index, the table it writes
    and the equality that matches the rows ((target column, source column)). Whether every
    row's value arrives depends on that equality (see `destructive.drop_column`)."""
    out: dict[tuple[QName, str], tuple[tuple[int, QName, tuple[str, str]], ...]] = {}
    for st in script.statements:
        for op in st.ops:
            if isinstance(op, o.UpdateRows) and op.pulled is not None:
                for _, column in op.pulled.columns:
                    key = (op.pulled.source, column.lower())
                    out[key] = (*out.get(key, ()), (st.index, op.table, op.pulled.match))
    return out


class _Rows:
    """Where the rows of each table the script found are, by the name the table had when
    the script started (its origin)."""

    def __init__(self) -> None:
        self.holders: dict[QName, set[QName]] = {}  # origin -> the tables holding its rows
        self.seen: set[QName] = set()  # every name the script has made, used or dropped

    def origins(self, table: QName) -> set[QName]:
        """The origins whose rows ``table`` holds; a table the script has not seen before
        was there before it, and holds its own."""
        if table not in self.seen:
            self.seen.add(table)
            self.holders[table] = {table}
        return {origin for origin, names in self.holders.items() if table in names}

    def empty(self, table: QName) -> None:
        """``table`` holds no rows now (dropped, emptied, or created anew)."""
        self.seen.add(table)
        for names in self.holders.values():
            names.discard(table)

    def copy(self, sources: tuple[QName, ...], target: QName) -> None:
        for source in sources:
            for origin in self.origins(source):
                self.holders[origin].add(target)

    def rename(self, table: QName, new: QName) -> None:
        origins = self.origins(table)
        self.empty(new)
        for origin in origins:
            self.holders[origin].discard(table)
            self.holders[origin].add(new)

    def holds(self, origin: QName) -> bool:
        """Whether the table now under the origin's name holds the origin's rows."""
        return origin in self.holders.get(origin, ())


def kept_columns(script: ParsedScript) -> frozenset[tuple[int, QName, str]]:
    """The `DROP COLUMN`s of a script whose values the script keeps, as (statement index,
    table, column): a column swap, the way to change a column's type without rewriting the
    table under its lock, and the safe alternative `column-type-rewrite` gives.

    ```sql
    ALTER TABLE entity_data ADD COLUMN id_text text;
    UPDATE entity_data SET id_text = id::text;         -- every row: no WHERE
    ALTER TABLE entity_data DROP COLUMN id;
    ALTER TABLE entity_data RENAME COLUMN id_text TO id;
    ```

    The values were copied, before the drop, by an `UPDATE` of every row that sets another
    column of the table from this one alone, and that column takes the dropped one's name
    afterwards. As with table rebuilds, the copy is trusted: what its expression makes of the
    values is not checked.
    """
    copied: dict[tuple[QName, str], set[str]] = {}  # (table, column) -> the columns holding it
    drops: list[tuple[int, QName, str, set[str]]] = []
    kept: set[tuple[int, QName, str]] = set()
    for st in script.statements:
        for op in st.ops:
            match op:
                case o.UpdateRows(table=table, has_where=False, copies=copies):
                    for target, reads in copies:
                        if len(reads) == 1 and reads[0] != target:
                            copied.setdefault((table, reads[0]), set()).add(target)
                case o.DropColumn(table=table, column=column):
                    holders = copied.pop((table, column), set())
                    drops.append((st.index, table, column, holders))
                    for into in copied.values():
                        into.discard(column)
                case o.RenameColumn(table=table, column=column, new_name=new):
                    kept.update((index, t, c) for index, t, c, holders in drops
                                if t == table and c == new and column in holders)
    return frozenset(kept)

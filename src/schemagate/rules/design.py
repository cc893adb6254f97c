"""design: schema choices that cost later (default: info; warning where noted).

These rules look at definitions a migration creates (tables, added columns, new types), on
the up path only: a down path re-creating what existed is not a new design decision.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from schemagate.fold import constraint_name
from schemagate.model import ops as o
from schemagate.model.catalog import Catalog, Constraint
from schemagate.model.findings import Severity
from schemagate.model.fixes import Fix
from schemagate.model.migration import ParsedMigration, ParsedScript
from schemagate.model.names import QName, truncated
from schemagate.model.settings import Settings
from schemagate.model.span import Span
from schemagate.model.types import TypeRef
from schemagate.rules.context import RuleContext
from schemagate.rules.registry import Hit, rule
from schemagate.rules.rewrite import Token, statement_text

_COLUMN_OPS = (o.CreateTable, o.AddColumn, o.AlterColumnType)


def _new_columns(op: o.Operation, ctx: RuleContext) -> list[tuple[QName, str, TypeRef]]:
    """(table, column, type) defined by the operation, on the up path."""
    if ctx.direction != "up":
        return []
    match op:
        case o.CreateTable(table=t, columns=cols):
            return [(t, c.name, c.type) for c in cols]
        case o.AddColumn(table=t, column=c):
            return [(t, c.name, c.type)]
        case o.AlterColumnType(table=t, column=c, new_type=typ):
            if op.collation is not None and ctx.type_before(op) == typ:
                return []  # only its collation changes: the type is the one it had
            return [(t, c, typ)]
    return []


def _column_span(op: o.Operation, column: str) -> Span | None:
    """The definition of a column the operation defines, when its frontend located it."""
    match op:
        case o.CreateTable(columns=cols):
            return next((c.span for c in cols if c.name == column), None)
        case o.AddColumn(column=c):
            return c.span
    return None


def _key_columns(op: o.Operation) -> set[str]:
    """Columns of the operation that are foreign-key columns, or primary-key columns whose
    values grow with the table: the whole key, or a member of a composite key that a
    sequence feeds. A composite key's other members are values the application chooses
    (a retry count, a slot number): they do not run out as rows are added."""
    match op:
        case o.CreateTable(columns=defs, constraints=cons):
            pass
        case o.AddColumn(column=column, constraints=cons):
            defs = (column,)
        case _:
            return set()
    fed = {c.name for c in defs if c.type.serial or c.identity
           or (c.default is not None and bool(c.default.sequences))}
    keys: set[str] = set()
    for con in cons:
        if con.kind == "foreign" or (con.kind == "primary" and len(con.columns) == 1):
            keys.update(con.columns)
        elif con.kind == "primary":
            keys.update(c for c in con.columns if c in fed)
    return keys - _pinned(cons)


def _pinned(cons: Sequence[o.ConstraintDef]) -> set[str]:
    """Columns a CHECK holds to one value (`CHECK (id = 0)`, Temporal's one-row tables):
    the table has one row, whose key runs out of nothing."""
    out = set()
    for con in cons:
        found = _EQUALS_CONSTANT.match(con.expr.sql) if con.kind == "check" and con.expr \
            else None
        if found is not None:
            out.add(found.group(1) or found.group(2))
    return out


# `col = literal` (PostgreSQL deparses it `(id = 0)`; MySQL keeps the text as written).
_EQUALS_CONSTANT = re.compile(
    r"""^\s*\(*\s*(?:"([^"]+)"|`?([A-Za-z_][A-Za-z0-9_]*)`?)\s*=\s*(?:-?\d+|'[^']*')\s*\)*\s*$""")


def _follows_outside_key(op: o.Operation, column: str) -> bool:
    """Whether the column is a foreign key's to a table that migrations outside the history
    make (`ConstraintDef.ref_outside`): its type follows a key the project does not choose."""
    match op:
        case o.CreateTable(constraints=cons) | o.AddColumn(constraints=cons):
            return any(c.kind == "foreign" and c.ref_outside is not None and column in c.columns
                       for c in cons)
    return False


def _referenced(op: o.Operation, column: str, ctx: RuleContext) -> tuple[QName, str] | None:
    """The (table, column) a key column of the operation references: by a foreign key of
    the operation itself, or of an `ADD CONSTRAINT` later in the same script (how Prisma
    and Atlas write every foreign key: tables first, keys after)."""
    match op:
        case o.CreateTable(table=table, constraints=cons) | o.AddColumn(
                table=table, constraints=cons):
            later = [con for index, con in ctx.per_script(_added_constraints).get(table, ())
                     if index > ctx.statement.index]
            for con in (*cons, *later):
                if con.kind == "foreign" and con.ref_table is not None and column in con.columns:
                    at = con.columns.index(column)
                    ref = con.ref_columns[at] if at < len(con.ref_columns) else None
                    return con.ref_table, ref or ""
    return None


def _added_constraints(script: ParsedScript) -> dict[QName, list[tuple[int, o.ConstraintDef]]]:
    """The `ADD CONSTRAINT`s of the script by table, with their statement's index, in order."""
    out: dict[QName, list[tuple[int, o.ConstraintDef]]] = {}
    for st in script.statements:
        for x in st.ops:
            if isinstance(x, o.AddConstraint):
                out.setdefault(x.table, []).append((st.index, x.constraint))
    return out


def _created_tables(script: ParsedScript) -> dict[QName, list[tuple[int, o.CreateTable]]]:
    """The `CREATE TABLE`s of the script by table, with their statement's index, in order."""
    out: dict[QName, list[tuple[int, o.CreateTable]]] = {}
    for st in script.statements:
        for x in st.ops:
            if isinstance(x, o.CreateTable):
                out.setdefault(x.table, []).append((st.index, x))
    return out


def _primary_column(constraints: Sequence[o.ConstraintDef] | Sequence[Constraint]) -> str:
    return next((c for con in constraints if con.kind == "primary" for c in con.columns[:1]),
                "")


def _key_type(op: o.Operation, ctx: RuleContext, table: QName, column: str
              ) -> tuple[TypeRef | None, bool]:
    """The referenced key's type (None: unknown) and whether the key predates the history.
    An empty column name means the referenced table's primary key. The key's table may be
    the operation's own, one the history built, or one created later in the same script."""
    created = [x for index, x in ctx.per_script(_created_tables).get(table, ())
               if index >= ctx.statement.index]
    if created:
        first = created[0]
        column = column or _primary_column(first.constraints)
        return next((c.type for c in first.columns if c.name == column), None), False
    known = ctx.table(table)
    if known is None:
        return None, True
    column = column or _primary_column(known.constraints)
    col = known.column(column)
    typ = col.type if col is not None and col.type.name != "unknown" else None
    return typ, known.created_in is None


_NARROW = ("int4", "int2")
# The narrow types as MySQL spells them: int4 and int2 are PostgreSQL's names.
_MYSQL_NAMES = {"int4": "int", "int2": "smallint"}


def _type_name(typ: TypeRef, ctx: RuleContext) -> str:
    if ctx.migration.source.dialect == "mysql":
        return _MYSQL_NAMES.get(typ.name, typ.name)
    return typ.name


@rule("prefer-bigint", family="design", severity="warning", ops=_COLUMN_OPS,
      dialects=("postgres", "mysql"),
      aliases=("prefer-bigint-over-int", "prefer-bigint-over-smallint"),
      fix="use bigint for keys (bigint GENERATED ... AS IDENTITY on PostgreSQL, "
          "BIGINT AUTO_INCREMENT on MySQL)")
def prefer_bigint(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """Primary and foreign keys of type integer or smallint run out.

    ## What it does
    Flags `integer`, `smallint`, `serial` and `smallserial` columns that are a primary key, or
    part of a foreign key, in a `CREATE TABLE` or `ADD COLUMN`; in a primary key of several
    columns, those a sequence feeds (serial, identity, `DEFAULT nextval(…)`).

    ## Why it matters
    `integer` ends at 2,147,483,647. Tables that grow reach it, and widening a key later means
    rewriting the table and every table referencing it, under ACCESS EXCLUSIVE.

    ## When it does not fire
    On SQLite, where every integer column stores values up to 64 bits whatever its declared
    type (an `INTEGER PRIMARY KEY` is the table's 64-bit rowid). On `bigint`/`bigserial`
    keys, on columns that are not keys, on down paths. On the members of a composite primary
    key that no sequence feeds (`PRIMARY KEY (task_id, retry_count)`): the application
    chooses their values, which do not grow with the table. On a key a CHECK of the same
    statement holds to one value (`id int PRIMARY KEY, CHECK (id = 0)`: a table of one row).
    A foreign-key column whose referenced key is itself `integer`/`smallint` must match that
    key, so it is not flagged: the finding belongs to the key, and is made there when the
    history creates the key. When the key predates the history (or its type is unknown), the
    first such column of a migration gets one `info` finding saying to widen the key first;
    none when migrations outside the history make it (a Django contrib app's
    `django_content_type`, `auth_group`), whose key the project does not choose.

    ## Safe alternative
    ```sql
    CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```

    ## Example
    ```sql
    CREATE TABLE events (id serial PRIMARY KEY);
    ```

    ## References
    - Numeric Types, Integer Types: `integer` ends at 2147483647, `bigint` at 9223372036854775807.
      https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-INT
    - ALTER TABLE, Notes: changing a column's type rewrites the table.
      https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    """
    keys = _key_columns(op)
    for table, column, typ in _new_columns(op, ctx):
        if column not in keys or typ.name not in _NARROW or typ.array_dims != 0 or \
                _follows_outside_key(op, column):
            continue
        ref = _referenced(op, column, ctx)
        shown = _type_name(typ, ctx)
        if ref is None:
            yield Hit(f"key column `{table}.{column}` is {shown}: use bigint",
                      object=f"{table}.{column}", span=_column_span(op, column))
            continue
        key_type, predates = _key_type(op, ctx, *ref)
        if key_type is not None and key_type.name not in _NARROW:
            yield Hit(f"key column `{table}.{column}` is {shown}, narrower than the "
                      f"{_type_name(key_type, ctx)} key `{ref[0]}` it references: use bigint",
                      object=f"{table}.{column}", span=_column_span(op, column))
        elif predates or key_type is None:
            mark = (f"prefer-bigint:{ref[0]}", ctx.script.script)
            if mark in ctx.state.reported:
                continue
            ctx.state.reported.add(mark)
            known = "is" if key_type is not None else "may be"
            yield Hit(f"key column `{table}.{column}` is {shown} to match the key of "
                      f"`{ref[0]}`, which {known} {shown} and predates the history: widen "
                      "the key first, then the columns referencing it",
                      object=f"{ref[0]}", severity=Severity.INFO,
                      span=_column_span(op, column))


@rule("prefer-identity", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("prefer-identity",),
      fix="use GENERATED ALWAYS AS IDENTITY (a foreign key: the referenced key's plain type)",
      fixable="unsafe")
def prefer_identity(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """serial/bigserial: prefer identity columns.

    ## What it does
    Flags columns declared `serial`, `bigserial` or `smallserial`.

    ## Why it matters
    A serial's sequence is a separate object with its own permissions and ownership, easy to
    get out of step when copying tables or data; identity columns are part of the column and
    the SQL standard.

    ## When it does not fire
    On identity columns and plain integers; on down paths. A serial column that is also a
    foreign key is told to drop its sequence instead: an identity column would be no better
    (`parent_id serial REFERENCES parent (id)` draws values the parent never had).

    ## Safe alternative
    ```sql
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY
    ```

    ## Example
    ```sql
    CREATE TABLE t (id bigserial PRIMARY KEY);
    ```

    ## References
    - Numeric Types, Serial Types: `serial` creates a separate sequence owned by the column.
      https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-SERIAL
    - CREATE TABLE: `GENERATED … AS IDENTITY` attaches an implicit sequence to the column.
      https://www.postgresql.org/docs/current/sql-createtable.html
    - PostgreSQL wiki, Don't Do This (serial)
      https://wiki.postgresql.org/wiki/Don%27t_Do_This
    """
    for table, column, typ in _new_columns(op, ctx):
        if typ.serial and _references_another(op, column):
            # An identity column is no better there (atuin's `user_id bigserial`, OpenFn's
            # `"mapping" serial REFERENCES …`): the values come from the rows it points at.
            yield Hit(f"`{table}.{column}` is serial but is a foreign key: its values come "
                      "from the rows it references, not a sequence; declare it with the "
                      "referenced key's plain type", object=f"{table}.{column}",
                      span=_column_span(op, column))
        elif typ.serial:
            yield Hit(f"`{table}.{column}` is serial: prefer an identity column",
                      object=f"{table}.{column}", span=_column_span(op, column),
                      fix=_retype(op, ctx, column, _identity, "Make it an identity column"))


def _references_another(op: o.Operation, column: str) -> bool:
    """Whether the statement makes the column a foreign key to another table."""
    table = getattr(op, "table", None)
    return any(con.kind == "foreign" and column in con.columns and con.ref_table != table
               for con in getattr(op, "constraints", ()))


_SERIALS = {"serial": "integer", "serial4": "integer", "bigserial": "bigint",
            "serial8": "bigint", "smallserial": "smallint", "serial2": "smallint"}


def _identity(tokens: list[Token]) -> str | None:
    """serial to an identity column. BY DEFAULT, not ALWAYS: like serial, it still takes
    the values an INSERT gives."""
    if len(tokens) != 1 or tokens[0].text.lower() not in _SERIALS:
        return None
    return f"{_SERIALS[tokens[0].text.lower()]} GENERATED BY DEFAULT AS IDENTITY"


def _type_rule(op: o.Operation, ctx: RuleContext, wanted: str, message: str,
               modifiers: bool | None = None,
               fix: tuple[Callable[[list[Token]], str | None], str] | None = None
               ) -> Iterator[Hit]:
    for table, column, typ in _new_columns(op, ctx):
        if typ.name == wanted and typ.schema is None and (
                modifiers is None or bool(typ.modifiers) == modifiers):
            yield Hit(f"`{table}.{column}` {message}", object=f"{table}.{column}",
                      span=_column_span(op, column),
                      fix=_retype(op, ctx, column, *fix) if fix else None)


_START, _END = attrgetter("start"), attrgetter("end")

# Where a column's type ends in its definition: the first constraint, collation or the end
# of the definition (an array's brackets stay part of the type, kept as written).
_TYPE_END = frozenset({"NOT", "NULL_P", "DEFAULT", "PRIMARY", "REFERENCES", "CHECK", "UNIQUE",
                       "CONSTRAINT", "GENERATED", "COLLATE", "ASCII_44", "ASCII_41",
                       "ASCII_91"})


def _retype(op: o.Operation, ctx: RuleContext, column: str,
            rewrite: Callable[[list[Token]], str | None], title: str) -> Fix | None:
    """An unsafe fix giving the column another type, where the table is made in this
    migration (no row, no code, has relied on the old type yet): the tokens of its type as
    written are replaced by what `rewrite` makes of them (None: no fix)."""
    created = isinstance(op, o.CreateTable) or (
        isinstance(op, o.AddColumn) and ctx.is_new(op.table))
    span = _column_span(op, column)
    text = statement_text(ctx) if created and span is not None else None
    where = text.span_offsets(span) if text is not None and span is not None else None
    if text is None or where is None:
        return None
    # The tokens inside [start, end) follow one another: found by bisection, as a CREATE
    # TABLE has a fix for each of its columns and each would scan all its tokens.
    tokens = text.tokens
    first = bisect_left(tokens, where[0], key=_START)
    last = bisect_right(tokens, where[1], lo=first, key=_END)
    inside = tokens[first:last]
    if len(inside) < 2 or inside[0].start != where[0]:
        return None
    typ: list[Token] = []
    depth = 0
    for token in inside[1:]:
        if depth == 0 and token.name in _TYPE_END:
            break
        depth += {"ASCII_40": 1, "ASCII_41": -1}.get(token.name, 0)
        typ.append(token)
    new = rewrite(typ) if typ else None
    if new is None:
        return None
    return Fix(title, (text.replace(typ[0].start, typ[-1].end, new),), safe=False)


def _text(tokens: list[Token]) -> str | None:
    names = [t.name for t in tokens]
    if names[:1] == ["VARCHAR"] or names[:2] == ["CHARACTER", "VARYING"]:
        return "text"
    return None


def _timestamptz(tokens: list[Token]) -> str | None:
    """timestamp[(p)] [without time zone] to timestamptz[(p)]."""
    names = [t.name for t in tokens]
    if names[:1] != ["TIMESTAMP"]:
        return None
    precision = ""
    rest = names[1:]
    if rest[:1] == ["ASCII_40"] and len(tokens) >= 4 and names[3] == "ASCII_41":
        precision, rest = f"({tokens[2].text})", names[4:]
    if rest not in ([], ["WITHOUT", "TIME", "ZONE"]):
        return None
    return f"timestamptz{precision}"


def _jsonb(tokens: list[Token]) -> str | None:
    return "jsonb" if [t.name for t in tokens] == ["JSON"] else None


@rule("prefer-text", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("prefer-text-field",), fix="use text, with a CHECK on length if it matters",
      fixable="unsafe")
def prefer_text(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """varchar(n): prefer text with a CHECK constraint.

    ## What it does
    Flags `varchar(n)` columns.

    ## Why it matters
    The length limit is rarely a real rule of the data, and raising it later is a schema
    change (lowering it rewrites the table). `text` performs the same; a CHECK on length can
    be changed with `NOT VALID` + `VALIDATE`, online.

    ## When it does not fire
    On `text` and on `varchar` without a length; on down paths.

    ## Safe alternative
    ```sql
    name text CHECK (length(name) <= 200)
    ```

    ## Example
    ```sql
    CREATE TABLE users (name varchar(200));
    ```

    ## References
    - Character Types: there is no performance difference among `text`, `varchar(n)` and `char(n)`,
      apart from the length checks.
      https://www.postgresql.org/docs/current/datatype-character.html
    - PostgreSQL wiki, Don't Do This (varchar(n) by default)
      https://wiki.postgresql.org/wiki/Don%27t_Do_This
    """
    yield from _type_rule(op, ctx, "varchar", "is varchar(n): prefer text", modifiers=True,
                          fix=(_text, "Make it text (the length is no longer checked)"))


@rule("prefer-timestamptz", family="design", severity="info", ops=_COLUMN_OPS,
      dialects=("postgres",),
      aliases=("prefer-timestamptz",), fix="use timestamptz", fixable="unsafe")
def prefer_timestamptz(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """timestamp without time zone: prefer timestamptz.

    ## What it does
    Flags `timestamp` (`timestamp without time zone`) columns.

    ## Why it matters
    A `timestamp` stores a wall-clock reading with no zone: the same value means different
    instants depending on the writer's time zone, and arithmetic across DST is wrong.
    `timestamptz` stores an instant.

    ## When it does not fire
    On `timestamptz`; on down paths.

    ## Safe alternative
    ```sql
    created_at timestamptz NOT NULL DEFAULT now()
    ```

    ## Example
    ```sql
    CREATE TABLE events (created_at timestamp);
    ```

    ## References
    - Date/Time Types: `timestamp with time zone` stores an instant (in UTC) and converts on input
      and output; `timestamp` ignores any time zone given.
      https://www.postgresql.org/docs/current/datatype-datetime.html
    - PostgreSQL wiki, Don't Do This (timestamp without time zone)
      https://wiki.postgresql.org/wiki/Don%27t_Do_This
    """
    yield from _type_rule(op, ctx, "timestamp", "is timestamp without time zone: prefer "
                          "timestamptz", fix=(_timestamptz, "Make it timestamptz"))


@rule("ban-char", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("ban-char-field",), fix="use text (or varchar)")
def ban_char(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """char(n) pads with blanks: prefer text.

    ## What it does
    Flags `char(n)`/`character(n)` columns.

    ## Why it matters
    Values are padded with spaces to n characters, comparisons ignore trailing spaces in
    surprising ways, and it is no faster than `text`.

    ## When it does not fire
    On `text` and `varchar`; on down paths.

    ## Safe alternative
    ```sql
    country_code text CHECK (length(country_code) = 2)
    ```

    ## Example
    ```sql
    CREATE TABLE t (country_code char(2));
    ```

    ## References
    - Character Types: `char(n)` is blank-padded, the trailing spaces are insignificant in
      comparisons, and it is usually the slowest of the three types.
      https://www.postgresql.org/docs/current/datatype-character.html
    """
    yield from _type_rule(op, ctx, "bpchar", "is char(n): prefer text")


@rule("prefer-jsonb", family="design", dialects=("postgres",), severity="info", ops=_COLUMN_OPS,
      aliases=("E3", "add_column_json"), fix="use jsonb", fixable="unsafe")
def prefer_jsonb(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """json: prefer jsonb.

    ## What it does
    Flags `json` columns.

    ## Why it matters
    `json` has no equality operator (so `SELECT DISTINCT` and `UNION` on it fail), cannot be
    indexed with GIN, and is re-parsed on every access. `jsonb` does all of that.

    ## When it does not fire
    On `jsonb`; on down paths.

    ## Safe alternative
    ```sql
    payload jsonb NOT NULL DEFAULT '{}'
    ```

    ## Example
    ```sql
    ALTER TABLE events ADD COLUMN payload json;
    ```

    ## References
    - JSON Types: `json` stores the input text and re-parses it on each use; `jsonb` stores a
      decomposed binary form and supports indexing.
      https://www.postgresql.org/docs/current/datatype-json.html
    - jsonb Indexing: GIN indexes on `jsonb`.
      https://www.postgresql.org/docs/current/datatype-json.html#JSON-INDEXING
    """
    yield from _type_rule(op, ctx, "json", "is json: prefer jsonb",
                          fix=(_jsonb, "Make it jsonb"))


def _identifiers(op: o.Operation) -> list[str]:
    match op:
        case o.CreateTable(table=t, columns=cols, constraints=cons):
            return [t.name, *(c.name for c in cols), *(c.name for c in cons if c.name)]
        case o.AddColumn(column=c):
            return [c.name]
        case o.CreateIndex(name=n) if n is not None:
            return [n.name]
        case o.AddConstraint(constraint=c) if c.name:
            return [c.name]
        case (o.RenameTable(new_name=n) | o.RenameColumn(new_name=n)
              | o.RenameConstraint(new_name=n) | o.RenameIndex(new_name=n)
              | o.RenameSequence(new_name=n) | o.RenameTrigger(new_name=n)
              | o.RenameFunction(new_name=n)):
            return [n]
        case o.CreateView(name=n) | o.CreateSequence(name=n) | o.CreateType(name=n):
            return [n.name]
    return []


@rule("identifier-too-long", family="design", dialects=("postgres",), severity="warning",
      ops=(o.CreateTable, o.AddColumn, o.CreateIndex, o.AddConstraint, o.RenameTable,
           o.RenameColumn, o.RenameConstraint, o.RenameIndex, o.CreateView,
           o.CreateSequence, o.CreateType, o.RenameSequence, o.RenameTrigger,
           o.RenameFunction),
      aliases=("identifier-too-long",), fix="use a name of at most 63 bytes")
def identifier_too_long(op: o.Operation, ctx: RuleContext) -> Iterator[Hit]:
    """An identifier longer than 63 bytes, which PostgreSQL silently truncates.

    ## What it does
    Flags table, column, index, constraint, view, sequence and type names over 63 bytes
    (PostgreSQL's NAMEDATALEN - 1; multi-byte characters count in bytes).

    In an Alembic revision, an index or constraint name given to an `op.*` call or a
    SQLAlchemy construct as a plain string of more than 63 characters is an error instead:
    SQLAlchemy checks such names against PostgreSQL's limit before it sends anything, raises
    `IdentifierError`, and the migration stops at that call.

    ## Why it matters
    PostgreSQL truncates the name with only a NOTICE. The object then has a different name
    than the migration and the application use: SQL finds it by the full name (every
    statement cuts it the same way), but code that reads the catalog does not (an ORM
    comparing its model's index names, a check on `pg_indexes`), and two long names with
    the same first 63 bytes collide.

    ## When it does not fire
    On names of 63 bytes or fewer, and on a long name a statement only refers to (the old
    name in `ALTER INDEX … RENAME TO`, the table of `CREATE INDEX … ON`, a `REFERENCES`):
    PostgreSQL cuts it the same way, so it finds the object its creation named, and that
    creation is where the name was flagged.
    In Alembic revisions, not on an index or constraint name that SQLAlchemy builds or is
    told is its own (`op.f("…")`, a naming convention's, `index=True`'s `ix_<table>_<column>`):
    one of more than 63 characters it shortens itself, to its first 55 characters, `_` and
    the last four hex digits of the MD5 of the whole name, and PostgreSQL receives that
    name, which is what the rule checks. SQLAlchemy counts characters: a name of at most 63
    characters but more than 63 bytes passes it, and PostgreSQL truncates it (a warning, as
    in SQL). Table, column, sequence and type names SQLAlchemy passes on unchecked, as SQL
    does.

    ## Safe alternative
    Shorten the name (`idx_orders_customer_created` rather than the full column list).

    ## Example
    ```sql
    CREATE INDEX index_orders_on_customer_id_and_created_at_and_status_and_region ON orders (...);
    ```

    ## References
    - Identifiers and Key Words: identifiers longer than NAMEDATALEN-1 bytes (63 by default) are
      truncated.
      https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
    - SQLAlchemy, Configuring Constraint Naming Conventions: names longer than the
      dialect's limit are shortened with a hash when the convention or `conv()` makes them.
      https://docs.sqlalchemy.org/en/20/core/constraints.html#configuring-constraint-naming-conventions

    ## With Alembic
    `op.f("…")` marks a name as final and lets SQLAlchemy shorten it deterministically;
    a plain string of more than 63 characters makes the migration fail.
    """
    st = ctx.statement
    # The parser hands the operation its names already cut to 63 bytes; the statement's text
    # holds them whole. A long name written there is this operation's when its cut is one of
    # the names the operation gives; others are names it refers to. A name known only from
    # the operation (Alembic, Django) is whole, and points at the operation.
    names = _identifiers(op)
    at: dict[str, Span | None] = {}
    given = {truncated(name) for name in names} if st.long_identifiers else set()
    spans = st.long_identifier_spans
    for i, name in enumerate(st.long_identifiers):
        if truncated(name) in given:
            at.setdefault(name, spans[i] if i < len(spans) else None)
    # SQLAlchemy's own names reach the operation already shortened (`op.f`); an index or
    # constraint name still over 63 characters there was given as a plain string.
    refused = dict(_index_and_constraint_names(op)) if (
        ctx.migration.source.layout == "alembic") else {}
    for name in dict.fromkeys((*at, *names)):
        size = len(name.encode("utf-8"))
        if name not in at and name in refused and len(name) > 63:
            yield Hit(f"index or constraint name `{name}` is {len(name)} characters: "
                      "SQLAlchemy raises IdentifierError (over 63) and the migration stops "
                      "here", object=name, severity=Severity.ERROR, span=refused[name])
        elif size > 63:
            yield Hit(f"identifier `{name}` is {size} bytes: PostgreSQL truncates it to 63",
                      object=name, span=at.get(name))


def _index_and_constraint_names(op: o.Operation) -> list[tuple[str, Span | None]]:
    """The index and constraint names an operation gives, each with where its constraint
    is written, when that is known."""
    match op:
        case o.CreateTable(constraints=cons):
            return [(c.name, c.span) for c in cons if c.name]
        case o.CreateIndex(name=n) if n is not None:
            return [(n.name, None)]
        case o.AddConstraint(constraint=c) if c.name:
            return [(c.name, c.span)]
    return []


def _covered(columns: tuple[str, ...], indexes: list[tuple[str, ...]]) -> bool:
    """An index covers a FK when the FK's columns are the index's leading columns."""
    k = len(columns)
    return any(len(ix) >= k and set(ix[:k]) == set(columns) for ix in indexes)


@rule("fk-without-index", family="design", severity="warning", scope="folded",
      dialects=("postgres", "sqlite"), collect=lambda mig: fk_clauses(mig),
      aliases=("E15",),
      fix="index the referencing columns (CREATE INDEX CONCURRENTLY on PostgreSQL)")
def fk_without_index(clauses: Mapping[str, tuple[FkClause, ...]], after: Catalog,
                     settings: Settings) -> Iterator[Hit]:
    """A foreign key whose referencing columns no index covers.

    ## What it does
    Judges the whole history by the schema it ends with: flags each foreign key the history
    added whose referencing columns are not the leading columns of any index on the
    referencing table (primary keys and unique constraints count). The finding points at the
    statement that added the foreign key, in the migration that added it.

    ## Why it matters
    Every `DELETE` or key `UPDATE` on the referenced table scans the referencing table to
    check the constraint, and joins along the key cannot use an index: slow deletes, long
    locks, and cascades that take minutes.

    ## When it does not fire
    When an index whose leading columns are the foreign key's columns (in any order) exists
    by the end of the history, whichever migration built it: the common pattern of a foreign
    key in one migration and a `CREATE INDEX CONCURRENTLY` in the next one passes. An index
    on a table of the same name in another schema counts (a history that leaves tables
    unqualified and names the schema on its indexes means one table). Not on a foreign key
    or table a later migration dropped, nor on foreign keys that predate the history. On a
    table the history never made (a history that starts on an existing database) the
    finding says so: its primary key and indexes are older than the history and unseen, and
    one of them may cover the key (Dispatch's `assoc_incident_tags`, whose primary key is
    `(incident_id, tag_id)`); most such keys, read on Dispatch's database, had none.

    ## Safe alternative
    ```sql
    CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
    ```

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users;
    ```

    ## References
    - Foreign Keys: deleting or updating a referenced row scans the referencing table, so it is
      often a good idea to index the referencing columns; declaring a foreign key does not create
      that index.
      https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK

    ## With Django
    `ForeignKey` creates an index on its column (`db_index=True`) unless told otherwise; add
    it concurrently to an existing table with `AddIndexConcurrently` in a non-atomic
    migration (see `create-index-non-concurrently`).
    """
    # Only the tables holding a key the migrations judged created, and the indexes of tables
    # of their names, are read: a run that resumes from the fold cache's state reads no
    # other table from it.
    tables = [after.tables[name] for name in after.tables.with_foreign_keys_from(clauses)]
    wanted = {table.name.name.lower() for table in tables}
    # Indexes by table name in any schema: a history that names its tables unqualified and
    # its indexes' tables with a schema (search_path) means the same table.
    by_table: dict[str, list[tuple[str, ...]]] = {}
    for indexed in after.indexes.tables():
        if indexed.name.lower() in wanted:
            for ix in after.indexes.on(indexed):
                by_table.setdefault(ix.table.name.lower(), []).append(ix.columns)
    for table in tables:
        fks = [c for c in table.constraints
               if c.kind == "foreign" and c.columns and c.created_in in clauses]
        if not fks:
            continue
        indexes = by_table.get(table.name.name.lower(), [])
        for fk in fks:
            if _covered(fk.columns, indexes):
                continue
            span = _fk_span(clauses[fk.created_in or ""], table.name, fk)
            if span is not None:
                named = f" `{fk.name}`" if fk.name_known else ""
                unseen = (": the table predates the history, check the indexes it had "
                          "before" if table.assumed else "")
                yield Hit(f"foreign key{named} on `{table.name}` "
                          f"({', '.join(fk.columns)}) has no index on its columns{unseen}",
                          object=str(table.name), span=span)


@dataclass(frozen=True, slots=True)
class FkClause:
    """A foreign key a migration's up path declares, with where it is written."""

    table: QName
    columns: tuple[str, ...]
    name: str  # as given, or as PostgreSQL names it
    span: Span


def fk_clauses(mig: ParsedMigration) -> tuple[FkClause, ...]:
    """The foreign keys of the migration's up path, in order, their spans worked out: the
    REFERENCES clause or FOREIGN KEY constraint where known, else the statement."""
    if mig.up is None:
        return ()
    found: list[FkClause] = []
    for st in mig.up.statements:
        for op in st.ops:
            match op:
                case o.CreateTable(table=t, constraints=cons) | o.AddColumn(
                        table=t, constraints=cons):
                    defs = cons
                case o.AddConstraint(table=t, constraint=con):
                    defs = (con,)
                case _:
                    continue
            found += [FkClause(t, d.columns, constraint_name(t, d),
                               (d.span or op.site).resolved())
                      for d in defs if d.kind == "foreign"]
    return tuple(found)


def _fk_span(clauses: tuple[FkClause, ...], table: QName, fk: Constraint) -> Span | None:
    """The clause of the migration's up path that added the foreign key, by its name (as
    given, or as PostgreSQL names it): on the key's table, else on the name the table had
    then (it was renamed since)."""
    candidates = [c for c in clauses if c.columns == fk.columns and c.name == fk.name]
    chosen = [c for c in candidates if c.table == table] or candidates
    return chosen[-1].span if chosen else None


@rule("enum-type", family="design", severity="info", ops=(o.CreateType,), aliases=("W13",),
      dialects=("postgres",),
      enabled=False, fix="use a lookup table or a CHECK constraint")
def enum_type(op: o.CreateType, ctx: RuleContext) -> Iterator[Hit]:
    """CREATE TYPE … AS ENUM (off by default).

    ## What it does
    Flags enum types.

    ## Why it matters
    Values can be added but not removed or reordered without rebuilding the type and every
    column using it; `ADD VALUE` has transaction restrictions. A lookup table or a CHECK
    constraint changes online.

    ## When it does not fire
    On other types. Off by default: teams that like enums keep them; enable it with
    `--select enum-type`.

    ## Safe alternative
    ```sql
    status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped'))
    ```

    ## Example
    ```sql
    CREATE TYPE order_status AS ENUM ('new', 'paid');
    ```

    ## References
    - Enumerated Types: labels can be added and renamed, but existing ones cannot be removed or
      reordered short of dropping and re-creating the type.
      https://www.postgresql.org/docs/current/datatype-enum.html
    - ALTER TYPE: the restrictions on `ADD VALUE` inside a transaction block.
      https://www.postgresql.org/docs/current/sql-altertype.html
    """
    if op.enum_values is not None and op.type_kind == "enum" and ctx.direction == "up":
        yield Hit(f"enum type `{op.name}`: values cannot be removed or reordered later",
                  object=str(op.name))

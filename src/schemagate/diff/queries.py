"""The catalog queries introspection runs: one per kind of object, whatever the schema's size.

Every query reads the whole database at once (filtered to the user's schemas) and returns
oids, which introspect.py joins in Python: 2,000 tables cost the same twenty-odd queries as
2, and they are sent together (one pipeline), so the server runs one while Python reads the
last.
The queries are kept to scans and index lookups, with no joins a planner could get wrong on
stale catalog statistics; the joining happens in Python. Deparsed texts come from
PostgreSQL's own functions (pg_get_indexdef, pg_get_viewdef, pg_get_constraintdef …) under
an empty search_path, so they name every object with its schema. Supported servers:
PostgreSQL 13 to 17 (tgparentid is 13+).
"""

from __future__ import annotations

# Objects with an oid below this are built into the server (FirstNormalObjectId).
FIRST_USER_OID = 16384

# An empty search_path qualifies every name PostgreSQL prints; fixed output settings make
# deparsed constants (partition bounds, defaults) read the same from any client.
SETUP = """
SELECT pg_catalog.set_config('search_path', '', true),
       pg_catalog.set_config('TimeZone', 'UTC', true),
       pg_catalog.set_config('DateStyle', 'ISO, YMD', true),
       pg_catalog.set_config('IntervalStyle', 'postgres', true),
       pg_catalog.set_config('extra_float_digits', '3', true)
"""

VERSION = "SELECT pg_catalog.current_setting('server_version_num')::int"

# The user's schemas (extension-owned ones are dropped in Python).
USER_NS = """(SELECT oid FROM pg_catalog.pg_namespace
      WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')"""

SCHEMAS = f"""
SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid IN {USER_NS}
"""

# Objects that belong to an extension (deptype 'e'): CREATE EXTENSION makes them.
EXTENSION_MEMBERS = """
SELECT d.classid::pg_catalog.regclass::text, d.objid, e.extname
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
"""

# With the versions an update can reach from the installed one: a downgrade usually has no
# script, and the plan says so rather than emit an ALTER EXTENSION that fails.
EXTENSIONS = """
SELECT e.oid, e.extname, e.extversion, n.nspname,
       ARRAY(SELECT p.target FROM pg_catalog.pg_extension_update_paths(e.extname) p
             WHERE p.source = e.extversion AND p.path IS NOT NULL)
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
"""

COLLATIONS = """
SELECT c.oid, n.nspname, c.collname
FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
"""

# The user's own collations (extension members are dropped in Python). The ICU or builtin
# locale moved from collcollate to colliculocale (15), then to colllocale (17); ICU rules
# arrived in 16.
def user_collations(version: int) -> str:
    locale = ("c.colllocale" if version >= 170000 else
              "c.colliculocale" if version >= 150000 else
              "CASE WHEN c.collprovider = 'i' THEN c.collcollate END")
    rules = "c.collicurules" if version >= 160000 else "NULL::text"
    return f"""
SELECT c.oid, n.nspname, c.collname, c.collprovider::text, c.collisdeterministic,
       {locale}, c.collcollate, c.collctype, {rules}
FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE c.collnamespace IN {USER_NS}
"""


TYPES = f"""
SELECT t.oid, n.nspname, t.typname, t.typtype, t.typarray, t.typrelid,
       CASE WHEN t.typtype = 'e' THEN ARRAY(
           SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
           WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END,
       CASE t.typtype WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                      WHEN 'r' THEN pg_catalog.format_type(
                          (SELECT r.rngsubtype FROM pg_catalog.pg_range r
                           WHERE r.rngtypid = t.oid), NULL) END,
       t.typnotnull,
       pg_catalog.pg_get_expr(t.typdefaultbin, 0),
       CASE WHEN t.typtype = 'd' AND t.typcollation <> (
           SELECT bt.typcollation FROM pg_catalog.pg_type bt WHERE bt.oid = t.typbasetype)
           THEN t.typcollation END
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typnamespace IN {USER_NS}
  AND (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c
                                WHERE c.oid = t.typrelid) = 'c'))
"""

RELATIONS = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltype,
       c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity,
       COALESCE(c.reloptions, '{{}}'::text[]),
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
       c.relispartition,
       pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relnamespace IN {USER_NS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
"""

# Sequences; identity sequences (deptype 'i' on their column) are made by the column.
SEQUENCES = f"""
SELECT s.seqrelid, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
               WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND d.objid = s.seqrelid AND d.deptype = 'i'
                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass)
FROM pg_catalog.pg_sequence s
WHERE (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = s.seqrelid)
      IN {USER_NS}
"""

# Partitions and INHERITS children of tables, and partitions of partitioned indexes.
INHERITS = """
SELECT i.inhrelid, i.inhparent, i.inhseqno FROM pg_catalog.pg_inherits i
ORDER BY i.inhrelid, i.inhseqno
"""

COLUMNS = f"""
SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull, a.attidentity, a.attgenerated, a.attislocal, a.attcollation,
       a.atttypid
FROM pg_catalog.pg_attribute a
WHERE a.attrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                     WHERE c.relnamespace IN {USER_NS}
                       AND c.relkind IN ('r', 'p', 'v', 'm', 'c'))
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# The default collation of each type that has one, to tell a column's own COLLATE.
TYPE_COLLATIONS = """
SELECT t.oid, t.typcollation FROM pg_catalog.pg_type t WHERE t.typcollation <> 0
"""

# A default cannot name a column (a generated column's expression can): deparsed without
# its table, which spares opening every table in a fresh backend (the text is the same).
# Only an expression with a column in it (a Var node) needs its table, and only a generated
# column's has one: found in the stored tree itself, not by a lookup of the column per row.
DEFAULTS = f"""
SELECT ad.adrelid, ad.adnum,
       pg_catalog.pg_get_expr(ad.adbin, CASE WHEN pg_catalog.strpos(ad.adbin::text, '{{VAR ')
                                                  > 0 THEN ad.adrelid ELSE 0 END),
       ad.oid
FROM pg_catalog.pg_attrdef ad
WHERE ad.adrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                     WHERE c.relnamespace IN {USER_NS})
"""

# Constraints a parent made (partitions' clones: conparentid; inherited checks: not
# conislocal) come back when the parent's are created, so they are not objects of their own.
# ``deferred``, for a read that only tells which relations differ (diff/narrow.py), spares
# the deparser, which must open every table in a fresh backend (most of this query's time):
# a table's CHECK comes back as its raw node tree (last column), and its PRIMARY KEY, UNIQUE
# or FOREIGN KEY as the fields pg_get_constraintdef prints it from (`_KEY_FIELDS`), both in
# place of the text; fetch.fetch_relations reads the rows of the few tables that are needed
# again, texts and all.
def constraints(deferred: bool = False, version: int = 0) -> str:
    table_check = "con.contype = 'c' AND con.conrelid <> 0"
    definition = (f"CASE WHEN {table_check} THEN NULL "
                  f"WHEN con.conrelid <> 0 AND con.contype IN ('p', 'u', 'f') "
                  f"THEN {_key_fields(version)} "
                  "ELSE pg_catalog.pg_get_constraintdef(con.oid) END" if deferred
                  else "pg_catalog.pg_get_constraintdef(con.oid)")
    raw = f"CASE WHEN {table_check} THEN con.conbin::text END" if deferred else "NULL"
    return f"""
SELECT con.oid, con.conrelid, con.contypid, con.conname, con.contype,
       {definition}, con.convalidated, con.condeferrable,
       con.condeferred, con.conkey, con.confrelid, con.confkey, con.confdeltype,
       con.confupdtype, con.conindid, {raw}
FROM pg_catalog.pg_constraint con
WHERE con.connamespace IN {USER_NS} AND con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND con.conparentid = 0 AND con.conislocal
"""


def _key_fields(version: int) -> str:
    """What pg_get_constraintdef prints a key or a foreign key from, other than the row's
    own columns (name, kind, NOT VALID, DEFERRABLE, the referenced table) and what the index
    row says (INCLUDE, WITH, NULLS NOT DISTINCT): the columns by number (names are in the
    columns' rows), the referenced ones, MATCH, ON UPDATE and ON DELETE (with its columns
    from PostgreSQL 15), and the index's tablespace by name; from 18, PERIOD / WITHOUT
    OVERLAPS and NOT ENFORCED."""
    fields = ["con.conkey", "con.confkey", "con.confupdtype", "con.confdeltype",
              "con.confmatchtype"]
    if version >= 150000:
        fields.append("con.confdelsetcols")
    if version >= 180000:
        fields += ["con.conperiod", "con.conenforced"]
    tablespace = ("(SELECT t.spcname FROM pg_catalog.pg_class ic JOIN pg_catalog.pg_tablespace"
                  " t ON t.oid = ic.reltablespace WHERE ic.oid = con.conindid)")
    return f"ROW({', '.join(fields)}, {tablespace})::text"


CONSTRAINTS = constraints()


# Only an index on expressions needs PostgreSQL's deparser (pg_get_indexdef, the most
# expensive call here); the others are rebuilt from pg_index in introspect.py, a predicate
# deparsed on its own (``deferred``: its raw node tree, as for CHECKs above; the vectors as
# text, which a digest takes as well and psycopg reads some times faster than arrays; and in
# place of the quoted name, whether a collation or operator class is the user's, whose oid
# differs between databases: diff/narrow.py names those). NULLS NOT DISTINCT exists from
# PostgreSQL 15.
def indexes(version: int, deferred: bool = False) -> str:
    nulls = "i.indnullsnotdistinct" if version >= 150000 else "false"
    plain_partial = "i.indexprs IS NULL AND i.indpred IS NOT NULL"
    predicate = ("NULL" if deferred else
                 f"CASE WHEN {plain_partial} THEN pg_catalog.pg_get_expr(i.indpred, i.indrelid) "
                 "END")
    raw = f"CASE WHEN {plain_partial} THEN i.indpred::text END" if deferred else "NULL"
    if deferred:
        users = (f"NOT ({FIRST_USER_OID} > ALL (i.indcollation::oid[]) "
                 f"AND {FIRST_USER_OID} > ALL (i.indclass::oid[]))")
        arrays = (f"i.indkey::text, i.indpred IS NOT NULL, ic.relam, {users}, i.indnkeyatts, "
                  "i.indoption::text, i.indcollation::text, i.indclass::text, "
                  "ic.reloptions::text")
    else:
        arrays = ("i.indkey::int2[], i.indpred IS NOT NULL, ic.relam, "
                  "pg_catalog.quote_ident(ic.relname), i.indnkeyatts, i.indoption::int2[], "
                  "i.indcollation::oid[], i.indclass::oid[], ic.reloptions")
    return f"""
SELECT i.indexrelid, i.indrelid, ic.relname,
       CASE WHEN i.indexprs IS NOT NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END,
       {predicate},
       i.indisunique, {arrays}, {nulls}, {raw}
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE ic.relnamespace IN {USER_NS}
"""


OPERATOR_CLASSES = """
SELECT o.oid, n.nspname, o.opcname, o.opcdefault
FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_namespace n ON n.oid = o.opcnamespace
"""

ACCESS_METHODS = "SELECT a.oid, a.amname FROM pg_catalog.pg_am a"

TRIGGERS = f"""
SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled,
       pn.nspname, p.proname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND t.tgrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                    WHERE c.relnamespace IN {USER_NS})
"""

POLICIES = """
SELECT p.oid, p.polrelid, p.polname, p.polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r.r = 0 THEN 'public'
                         ELSE pg_catalog.pg_get_userbyid(r.r)::text END
             FROM unnest(p.polroles) AS r(r) ORDER BY 1),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_catalog.pg_policy p
"""

# pg_get_functiondef cannot print an aggregate: its CREATE OR REPLACE AGGREGATE is put
# together here from pg_aggregate (every option CREATE AGGREGATE takes, each only when it
# differs from the default; regproc and format_type qualify names under the empty
# search_path).
_AGG_FUNC = "CASE WHEN a.{col} <> 0 THEN '{opt} = ' || a.{col}::pg_catalog.regproc::text END"
_AGG_MODIFY = ("CASE WHEN a.{fn} <> 0 THEN '{opt} = ' || CASE a.{col} WHEN 'r' THEN 'READ_ONLY' "
               "WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END")
_AGG_OPTIONS = ",\n      ".join([
    _AGG_FUNC.format(col="aggtransfn", opt="SFUNC"),
    "'STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL)",
    "CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END",
    _AGG_FUNC.format(col="aggfinalfn", opt="FINALFUNC"),
    "CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END",
    _AGG_MODIFY.format(fn="aggfinalfn", col="aggfinalmodify", opt="FINALFUNC_MODIFY"),
    _AGG_FUNC.format(col="aggcombinefn", opt="COMBINEFUNC"),
    _AGG_FUNC.format(col="aggserialfn", opt="SERIALFUNC"),
    _AGG_FUNC.format(col="aggdeserialfn", opt="DESERIALFUNC"),
    "CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || "
    "pg_catalog.quote_literal(a.agginitval) END",
    _AGG_FUNC.format(col="aggmtransfn", opt="MSFUNC"),
    _AGG_FUNC.format(col="aggminvtransfn", opt="MINVFUNC"),
    "CASE WHEN a.aggmtranstype <> 0 THEN 'MSTYPE = ' || "
    "pg_catalog.format_type(a.aggmtranstype, NULL) END",
    "CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END",
    _AGG_FUNC.format(col="aggmfinalfn", opt="MFINALFUNC"),
    "CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END",
    _AGG_MODIFY.format(fn="aggmfinalfn", col="aggmfinalmodify", opt="MFINALFUNC_MODIFY"),
    "CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || "
    "pg_catalog.quote_literal(a.aggminitval) END",
    "CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = ' || a.aggsortop::pg_catalog.regoper::text END",
    "CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END",
    "CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' "
    "WHEN 'r' THEN 'PARALLEL = RESTRICTED' END",
])
AGGREGATE_DEFINITION = f"""(SELECT 'CREATE OR REPLACE AGGREGATE '
      || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
      || '(' || CASE WHEN p.pronargs = 0 THEN '*'
                     ELSE pg_catalog.pg_get_function_arguments(p.oid) END || ') ('
      || pg_catalog.concat_ws(', ',
      {_AGG_OPTIONS}) || ')'
    FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid)"""

# Functions a type made for itself (a range type's constructors: deptype 'i') are left out.
FUNCTIONS = f"""
SELECT p.oid, n.nspname, p.proname, p.prokind, p.provolatile,
       CASE WHEN p.prokind = 'a' THEN {AGGREGATE_DEFINITION}
            ELSE pg_catalog.pg_get_functiondef(p.oid) END,
       pg_catalog.pg_get_function_identity_arguments(p.oid),
       pg_catalog.pg_get_function_arguments(p.oid),
       pg_catalog.pg_get_function_result(p.oid),
       ARRAY(SELECT pg_catalog.format_type(u.x, NULL)
             FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(x, ord) ORDER BY u.ord)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.pronamespace IN {USER_NS} AND p.prokind IN ('f', 'p', 'w', 'a')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.deptype IN ('i', 'e'))
"""

# The public schema's comment is built in (oid 2200) but may be changed.
COMMENTS = f"""
SELECT d.classoid::pg_catalog.regclass::text, d.objoid, d.objsubid, d.description
FROM pg_catalog.pg_description d
WHERE d.objoid >= {FIRST_USER_OID}
   OR d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
"""

# Dependencies between user objects. Built-in referents (types, functions) and schemas are
# left out: they always exist, or are ordered by the plan on their own. So are the kinds
# that say only what the catalog already says, most rows of a typical schema: a default on
# its own column, a constraint on its own table's columns (Constraint.columns), an index on
# plain columns on those columns (Index.columns); diff/objects.py answers for them. An
# index on expressions or with a predicate keeps its rows (``deferred``: not even those,
# for a read that only tells which relations differ: an index's own table is all they lead
# to, and what they say of the index is in its row already, as its node tree and column
# numbers; fetch.fetch_relations reads them for the relations a diff keeps). Catalogs are
# named by oid, not regclass text, to spare two lookups per row.
def dependencies(deferred: bool = False) -> str:
    plain = "" if deferred else " WHERE i.indexprs IS NULL AND i.indpred IS NULL"
    return f"""
SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid, d.deptype
FROM pg_catalog.pg_depend d
WHERE d.objid >= {FIRST_USER_OID} AND d.refobjid >= {FIRST_USER_OID}
  AND d.deptype IN ('n', 'a')
  AND d.refclassid <> 'pg_catalog.pg_namespace'::pg_catalog.regclass
  AND NOT (d.deptype = 'a' AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.classid IN ('pg_catalog.pg_attrdef'::pg_catalog.regclass,
                             'pg_catalog.pg_constraint'::pg_catalog.regclass))
  AND NOT (d.deptype = 'a' AND d.refobjsubid > 0
           AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.objid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i{plain}))
"""


DEPENDENCIES = dependencies()

# What `dependencies(deferred=True)` leaves out, for the objects of the parameter (unique
# oids): an index's on its own table's columns, for an index on expressions or with a
# predicate. Joined to an unnest of them: given `objid = ANY(…)` instead, the planner
# scanned every relation's dependencies (2.6 against 17 ms for 1,366 objects).
INDEX_COLUMN_DEPENDENCIES = f"""
SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid, d.deptype
FROM pg_catalog.unnest(%s::pg_catalog.oid[]) AS o(oid)
JOIN pg_catalog.pg_index i ON i.indexrelid = o.oid
                          AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL)
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                           AND d.objid = i.indexrelid
WHERE d.refobjid >= {FIRST_USER_OID} AND d.deptype = 'a' AND d.refobjsubid > 0
  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
"""

# The oids of the system catalogs pg_depend names objects by.
CATALOG_OIDS = """
SELECT c.oid, c.relname FROM pg_catalog.pg_class c
WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace
  AND c.relname IN ('pg_class', 'pg_proc', 'pg_type', 'pg_constraint', 'pg_attrdef',
                    'pg_rewrite', 'pg_trigger', 'pg_policy', 'pg_namespace', 'pg_extension',
                    'pg_collation', 'pg_operator')
"""

# What a view's rewrite rule stands for (a default's pg_attrdef oid comes with DEFAULTS).
REWRITES = "SELECT r.oid, r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid >= " + \
    str(FIRST_USER_OID)

# Table privileges, other than the owner's own (opt-in).
PRIVILEGES = f"""
SELECT c.oid,
       CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
       a.privilege_type
FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
WHERE c.relnamespace IN {USER_NS} AND c.relkind IN ('r', 'p', 'v', 'm')
  AND c.relacl IS NOT NULL AND a.grantee <> c.relowner
"""

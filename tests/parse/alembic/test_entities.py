"""alembic_utils' entity operations become the DDL alembic_utils sends."""

from __future__ import annotations

from pathlib import Path

from schemagate.model import ops as o
from schemagate.model.names import QName
from tests.parse.alembic.test_frontend import parse

HEADER = '''revision = "r1"
down_revision = None

from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_trigger import PGTrigger
from alembic_utils.pg_view import PGView

public_touch_updated_at = PGFunction(
    schema="public",
    signature="touch_updated_at()",
    definition="""RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$""",
)

public_orders_touch = PGTrigger(
    schema="public",
    signature="orders_touch",
    on_entity="public.orders",
    is_constraint=False,
    definition="BEFORE UPDATE ON public.orders FOR EACH ROW "
               "EXECUTE FUNCTION public.touch_updated_at()",
)
'''


def _ops(tmp_path: Path, body: str, direction: str = "up") -> list[o.Operation]:
    mig = parse(tmp_path, body, header=HEADER)
    script = mig.up if direction == "up" else mig.down
    assert script is not None and not script.errors, script and script.errors
    return [op for st in script.statements for op in st.ops]


def test_create_entity_of_module_constants_is_their_ddl(tmp_path: Path) -> None:
    ops = _ops(tmp_path, """
        def upgrade():
            op.create_entity(public_touch_updated_at)
            op.create_entity(public_orders_touch)
    """)
    assert [type(op) for op in ops] == [o.CreateFunction, o.CreateTrigger]
    trigger = ops[1]
    assert isinstance(trigger, o.CreateTrigger) and trigger.table == QName("public", "orders")


def test_replace_view_is_create_or_replace_and_drop_entity_drops(tmp_path: Path) -> None:
    ops = _ops(tmp_path, """
        def upgrade():
            op.replace_entity(PGView(schema="public", signature="open_orders",
                                     definition="SELECT id FROM public.orders WHERE open"))
            op.drop_entity(public_orders_touch)
    """)
    assert [type(op) for op in ops] == [o.CreateView, o.DropTrigger]
    view = ops[0]
    assert isinstance(view, o.CreateView) and view.or_replace


def test_an_entity_built_at_run_time_is_reported_as_unmodelled(tmp_path: Path) -> None:
    ops = _ops(tmp_path, """
        def upgrade():
            op.create_entity(make_entity())
    """)
    assert [(type(op), getattr(op, "statement_kind", "")) for op in ops] == [
        (o.RawSQL, "op.create_entity")]

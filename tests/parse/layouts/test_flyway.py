"""Flyway's layout: `V<version>__…`, its undo `U…`, repeatable `R__…`, numeric versions."""

from __future__ import annotations

from pathlib import Path

from schemagate.parse.layouts.discover import discover
from tests.parse.layouts.helpers import LAYOUTS, clean, rows, write


def test_flyway_orders_versions_numerically_pairs_undo_and_puts_repeatables_last() -> None:
    found = clean(discover(["flyway"], cwd=LAYOUTS))
    d = "flyway/db/migration"
    assert rows(found) == [
        ("V1__create_users", "flyway", f"{d}/V1__create_users.sql", None, "1"),
        (
            "V1.1__add_email_to_users",
            "flyway",
            f"{d}/V1.1__add_email_to_users.sql",
            f"{d}/U1.1__add_email_to_users.sql",
            "1.1",
        ),
        (
            "V2__create_orders",
            "flyway",
            f"{d}/V2__create_orders.sql",
            f"{d}/U2__create_orders.sql",
            "2",
        ),
        (
            "V2_1__create_orders_user_id_index",
            "flyway",
            f"{d}/V2_1__create_orders_user_id_index.sql",
            None,
            "2.1",
        ),
        (
            "V10__drop_users_legacy_code",
            "flyway",
            f"{d}/V10__drop_users_legacy_code.sql",
            None,
            "10",
        ),
        ("R__active_users_view", "flyway", f"{d}/R__active_users_view.sql", None, None),
        ("R__users_with_orders_view", "flyway", f"{d}/R__users_with_orders_view.sql", None, None),
    ]
    assert [m.repeatable for m in found.migrations] == [False] * 5 + [True] * 2
    scripts = [s for m in found.migrations for s in (m.up, m.down) if s is not None]
    assert {s.transaction for s in scripts} == {"detected"}


def test_a_flyway_undo_alone_joins_its_versioned_script() -> None:
    d = "flyway/db/migration"
    for given in (f"{d}/U1.1__add_email_to_users.sql", f"{d}/V1.1__add_email_to_users.sql"):
        found = clean(discover([given], cwd=LAYOUTS))
        assert rows(found) == [
            (
                "V1.1__add_email_to_users",
                "flyway",
                f"{d}/V1.1__add_email_to_users.sql",
                f"{d}/U1.1__add_email_to_users.sql",
                "1.1",
            )
        ]


def test_flyway_one_and_one_point_zero_are_the_same_version(tmp_path: Path) -> None:
    for name in ("V1.0__b.sql", "V1__a.sql", "V1_1__c.sql", "U1__a.sql"):
        write(tmp_path / name)
    found = clean(discover(["."], cwd=tmp_path))
    assert rows(found) == [
        ("V1.0__b", "flyway", "V1.0__b.sql", None, "1.0"),
        ("V1__a", "flyway", "V1__a.sql", "U1__a.sql", "1"),
        ("V1_1__c", "flyway", "V1_1__c.sql", None, "1.1"),
    ]

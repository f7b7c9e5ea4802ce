"""The schema comes from the migrations, and they match the models exactly."""

from datetime import datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db
from portal.models import utcnow

from .conftest import make_app


def test_migrations_build_an_empty_sqlite_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/fresh.db")

    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())

    assert {"workspace", "azure_account", "spent_link_token", "alembic_version"} <= tables


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)

    assert differences == []


def test_migrations_downgrade_to_empty_and_upgrade_again(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/roundtrip.db")

    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        assert "azure_account" in inspect(db.engine).get_table_names()


def test_earlier_data_is_carried_forward_by_every_migration(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/earlier.db")

    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO workspace (id, external_id, created_at)"
                " VALUES ('w', 'w', '2026-11-01')"
            )
            connection.exec_driver_sql(
                "INSERT INTO azure_account (id, workspace_id, name, name_key, tenant_id, client_id,"
                " subscription_id, client_secret_sealed, secret_set_at, created_at, updated_at,"
                " credentials_changed_at) VALUES ('a', 'w', 'A', 'a', 't', 'c', 's', x'00',"
                " '2026-11-01', '2026-11-01', '2026-11-01', '2026-11-01')"
            )
            connection.exec_driver_sql(
                "INSERT INTO audit_entry (at, token_name, action, reason, workspace_id,"
                " account_id) VALUES ('2026-11-01', 'coldsend', 'read-credentials', 'r', 'w', 'a')"
            )
            for verification, running in (("done", "NULL"), ("busy", "1")):
                connection.exec_driver_sql(
                    "INSERT INTO verification (id, account_id, state, running, created_at,"
                    f" deadline_at, attempt) VALUES ('{verification}', 'a', 'passed', {running},"
                    " '2026-11-01', '2026-11-01', 1)"
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT verification_id, state FROM step_result WHERE step = 'dry-run'"
            ).all()
            # Later migrations copy tables in batch: no cascade may delete what they hold.
            kept = connection.exec_driver_sql("SELECT count(*) FROM verification").scalar()
            planned = connection.exec_driver_sql("SELECT next_check_at FROM azure_account").scalar()
            started_by = connection.exec_driver_sql("SELECT started_by FROM verification").scalars()
            actor = connection.exec_driver_sql("SELECT actor FROM audit_entry").scalar()

    assert sorted(rows) == [("busy", "skipped"), ("done", "skipped")]
    assert kept == 2
    # It has passed before: verified again daily from now on, at its own time of day.
    assert utcnow() < datetime.fromisoformat(planned) <= utcnow() + timedelta(days=1)
    assert set(started_by) == {"customer"}
    assert actor == "api:coldsend"  # the token's name, now told apart from other actors

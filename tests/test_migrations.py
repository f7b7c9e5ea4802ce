"""The schema comes from the migrations, and they match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db

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

"""The roster version: one counter bumped with every roster change, so processes know when cached facts are stale.

Revision ID: 0009_hotread
Revises: 0008_cadres2
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_hotread"
down_revision = "0008_cadres2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "roster_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("roster_version")

"""security: co-report offers, cadres excluded from complaints about them, dashboard session versions

Revision ID: 0002_security
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from models.base import UTCDateTime

revision = "0002_security"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "co_report_offer",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_co_report_offer_case_id_case")),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], name=op.f("fk_co_report_offer_resident_id_resident")),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_co_report_offer")),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("excluded_cadre_ids", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("dashboard_login", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    # The defaults only filled existing rows; the models give new rows their values.
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.alter_column("excluded_cadre_ids", server_default=None)
    with op.batch_alter_table("dashboard_login", schema=None) as batch_op:
        batch_op.alter_column("session_version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_login", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("excluded_cadre_ids")
    op.drop_table("co_report_offer")

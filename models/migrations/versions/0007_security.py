"""security: co-report offers, cadres kept away from complaints about them, dashboard session versions

Revision ID: 0007_security
Revises: 0006_api
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_security"
down_revision = "0006_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "co_report_offer",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_co_report_offer_case_id_case")),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], name=op.f("fk_co_report_offer_resident_id_resident")),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_co_report_offer")),
    )
    op.create_table(
        "case_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], name=op.f("fk_case_exclusion_cadre_id_cadre")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_exclusion_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_exclusion")),
        sa.UniqueConstraint("case_id", "cadre_id", name=op.f("uq_case_exclusion_case_id")),
    )
    with op.batch_alter_table("case_exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_exclusion_cadre_id"), ["cadre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_exclusion_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("dashboard_login", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    # The default only filled existing rows; the model gives new rows their value.
    with op.batch_alter_table("dashboard_login", schema=None) as batch_op:
        batch_op.alter_column("session_version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_login", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    op.drop_table("case_exclusion")
    op.drop_table("co_report_offer")

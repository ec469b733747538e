"""station-day changes by leaders and admins

Revision ID: 0003_setup
Revises: 0002_cadres
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_setup"
down_revision = "0002_cadres"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_day_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("moved_to", sa.Date(), nullable=True),
        sa.Column("half", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], name=op.f("fk_station_day_change_cadre_id_cadre")),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"], name=op.f("fk_station_day_change_village_id_village")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_day_change")),
    )
    op.create_index("ix_station_day_change_village_day", "station_day_change", ["village_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_station_day_change_village_day", table_name="station_day_change")
    op.drop_table("station_day_change")

"""media_file: case attachments copied from WeChat into the media store

Revision ID: 0002_cadres
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_cadres"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_media_file_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_file")),
        sa.UniqueConstraint("case_id", "media_id", name="uq_media_file_case_media"),
    )
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_file_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_media_file_state_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.drop_index("ix_media_file_state_due")
        batch_op.drop_index(batch_op.f("ix_media_file_case_id"))
    op.drop_table("media_file")

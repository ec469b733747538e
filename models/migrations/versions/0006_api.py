"""open API: client keys, cases filed by clients, webhook subscribers

Revision ID: 0006_api
Revises: 0005_reading
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_api"
down_revision = "0005_reading"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_client_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_client_name")),
    )
    op.create_table(
        "api_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("caller_name", sa.String(length=64), nullable=False),
        sa.Column("caller_phone", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_api_request_case_id_case")),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"], name=op.f("fk_api_request_client_id_api_client")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_request")),
        sa.UniqueConstraint("token", name=op.f("uq_api_request_token")),
    )
    with op.batch_alter_table("api_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_request_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_request_client_id"), ["client_id"], unique=False)
    op.create_table(
        "webhook_subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"],
                                name=op.f("fk_webhook_subscriber_client_id_api_client")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriber")),
    )
    with op.batch_alter_table("webhook_subscriber", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_subscriber_client_id"), ["client_id"], unique=False)


def downgrade() -> None:
    op.drop_table("webhook_subscriber")
    op.drop_table("api_request")
    op.drop_table("api_client")

"""Issued certificates: the SHA-256 of each PDF handed out, with what it certifies, who issued
it and when, so that a copy shown later can be told genuine and unaltered, or not.

The PDF itself is drawn elsewhere (labels/certificate.py); issuing takes a function that
draws it once the certificate has its number and time, stores its fingerprint, and records
an event. Like every service here, these take the session first and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

# The modules, not their functions: they import the models, which import this module.
from inventory import counters, events
from inventory.accounts import User
from inventory.db import Base
from inventory.errors import N_, InvalidInput
from inventory.models import Device, Lot
from inventory.types import JSONDocument, UTCDateTime, utcnow

CERTIFICATE_KINDS = ("device", "lot")
COUNTER = "certificate"
# A certificate of a whole lot runs to a few pages; nothing real comes near this.
MAX_PDF_BYTES = 50 * 1024 * 1024


class IssuedCertificate(Base):
    """One certificate handed out: its number, the fingerprint of its PDF, what it covers."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("kind IN ('device', 'lot')", name="kind_known"),
        CheckConstraint(
            "(kind = 'device' AND device_id IS NOT NULL) OR (kind = 'lot' AND lot_id IS NOT NULL)",
            name="subject_given",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id"), index=True, default=None
    )
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True, default=None)
    language: Mapped[str] = mapped_column(String(5))
    # The hex SHA-256 of the PDF's bytes: what `workshop certificates verify` looks up.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    # What it certifies: [{"asset_tag", "cycle", "drives": [serial, ...], "no_storage"}].
    covers: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    device: Mapped[Device | None] = relationship()
    lot: Mapped[Lot | None] = relationship()
    issued_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<IssuedCertificate {self.number} {self.kind}>"


def fingerprint(data: bytes) -> str:
    """The hex SHA-256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def certificate_number(value: int) -> str:
    """The number printed on a certificate."""
    return f"EC-{value:06d}"


def issue_certificate(
    session: Session,
    *,
    draw: Callable[[str, datetime], bytes],
    covers: Sequence[dict[str, Any]],
    language: str,
    issued_by: User | None,
    device: Device | None = None,
    lot: Lot | None = None,
) -> tuple[IssuedCertificate, bytes]:
    """Number a certificate of one device or one lot, draw it, and keep its fingerprint."""
    if (device is None) == (lot is None):
        raise InvalidInput(N_("A certificate is of one device or of one lot."), field="subject")
    number = certificate_number(counters.take_number(session, COUNTER))
    issued_at = utcnow()
    data = draw(number, issued_at)
    if not data.startswith(b"%PDF-"):
        raise ValueError("a certificate is a PDF")
    certificate = IssuedCertificate(
        number=number,
        kind="device" if device is not None else "lot",
        device=device,
        lot=lot,
        language=language,
        sha256=fingerprint(data),
        size_bytes=len(data),
        covers=list(covers),
        issued_by=issued_by,
        issued_at=issued_at,
    )
    session.add(certificate)
    session.flush()
    events.record_event(
        session,
        "certificate_issued",
        device=device,
        entered_by=issued_by,
        occurred_at=issued_at,
        certificate=number,
        subject=certificate.kind,
        lot=lot.code if lot is not None else None,
        sha256=certificate.sha256,
        devices=[item["asset_tag"] for item in covers] if lot is not None else None,
        drives=sum(len(item.get("drives", ())) for item in covers),
        language=language,
    )
    return certificate, data


def verify_certificate(session: Session, data: bytes) -> IssuedCertificate | None:
    """The certificate these exact bytes were issued as, or None (not ours, or altered)."""
    return session.scalar(
        select(IssuedCertificate).where(IssuedCertificate.sha256 == fingerprint(data))
    )


def certificates_of_device(session: Session, device: Device) -> list[IssuedCertificate]:
    """The certificates issued for one device, the newest first."""
    query = select(IssuedCertificate).where(IssuedCertificate.device_id == device.id)
    return list(session.scalars(query.order_by(IssuedCertificate.id.desc())))


def certificates_of_lot(session: Session, lot: Lot) -> list[IssuedCertificate]:
    """The certificates issued for one lot as a whole, the newest first."""
    query = select(IssuedCertificate).where(IssuedCertificate.lot_id == lot.id)
    return list(session.scalars(query.order_by(IssuedCertificate.id.desc())))

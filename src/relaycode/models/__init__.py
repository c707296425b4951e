"""All tables, imported together so metadata is complete for Alembic and tests."""

from relaycode.models.auth_session import AuthSession
from relaycode.models.code import Code
from relaycode.models.commission_rules import MerchantCommissionRules, OfferCommissionRules
from relaycode.models.device import Device
from relaycode.models.flash import ShownFlash
from relaycode.models.ledger_account import LedgerAccount
from relaycode.models.ledger_entry import LedgerEntry
from relaycode.models.ledger_transaction import LedgerTransaction
from relaycode.models.merchant import Membership, Merchant, MerchantApiKey
from relaycode.models.offer import Offer
from relaycode.models.scan_event import ScanEvent
from relaycode.models.user import User

__all__ = [
    "AuthSession",
    "Code",
    "Device",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Membership",
    "Merchant",
    "MerchantApiKey",
    "MerchantCommissionRules",
    "Offer",
    "OfferCommissionRules",
    "ScanEvent",
    "ShownFlash",
    "User",
]

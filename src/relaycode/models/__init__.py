"""All tables, imported together so metadata is complete for Alembic and tests."""

from relaycode.models.auth_session import AuthSession
from relaycode.models.code import Code
from relaycode.models.commission import Commission
from relaycode.models.commission_rules import MerchantCommissionRules, OfferCommissionRules
from relaycode.models.credential import Credential
from relaycode.models.credential_events import (
    CredentialAudit,
    CredentialEndorsement,
    CredentialListVersion,
    CredentialRedemption,
    CredentialRevocation,
)
from relaycode.models.credential_item import CredentialItem
from relaycode.models.credential_template import CredentialTemplate
from relaycode.models.device import Device
from relaycode.models.flash import ShownFlash
from relaycode.models.game_player import GamePlayer
from relaycode.models.inbox import InboxItem
from relaycode.models.ledger_account import LedgerAccount
from relaycode.models.ledger_entry import LedgerEntry
from relaycode.models.ledger_transaction import LedgerTransaction
from relaycode.models.merchant import Membership, Merchant, MerchantApiKey
from relaycode.models.offer import Offer
from relaycode.models.order import Order, OrderRefund
from relaycode.models.payment_attempt import PaymentAttempt, PaymentRefund
from relaycode.models.phone_code import PhoneCode
from relaycode.models.provider_event import ProviderEvent
from relaycode.models.review import ShareReview
from relaycode.models.scan_event import ScanEvent
from relaycode.models.service_request import ServiceRequest
from relaycode.models.shop_payment import PaymentCode, ShopPayment
from relaycode.models.user import User
from relaycode.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from relaycode.models.withdrawal import Withdrawal

__all__ = [
    "AuthSession",
    "Code",
    "Commission",
    "Credential",
    "CredentialAudit",
    "CredentialEndorsement",
    "CredentialItem",
    "CredentialListVersion",
    "CredentialRedemption",
    "CredentialRevocation",
    "CredentialTemplate",
    "Device",
    "GamePlayer",
    "InboxItem",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Membership",
    "Merchant",
    "MerchantApiKey",
    "MerchantCommissionRules",
    "Offer",
    "OfferCommissionRules",
    "Order",
    "OrderRefund",
    "PaymentAttempt",
    "PaymentCode",
    "PaymentRefund",
    "PhoneCode",
    "ProviderEvent",
    "ScanEvent",
    "ServiceRequest",
    "ShareReview",
    "ShopPayment",
    "ShownFlash",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Withdrawal",
]

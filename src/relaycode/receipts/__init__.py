"""Receipts and vouchers (Figs. 10, 11): shop payment codes, paying without a POS, the
receipt and voucher credentials, and the verification hyperlink (docs/receipts.md)."""

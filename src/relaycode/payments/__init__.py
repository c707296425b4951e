"""Payments: the wallet ledger (double entry), the wallet, and payment providers."""

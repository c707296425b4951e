"""Identity-bound credentials (Figs. 7-11): templates, items, claims, endorsements,
redemptions, revocations. docs/credentials.md is the contract."""

"""Sales statistics ([0101]): scans, orders, revenue and commissions per offer, code,
channel and referrer, over time; the referral tree of an offer; a referrer's earnings."""

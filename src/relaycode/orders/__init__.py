"""Orders (Fig. 15, S650-S685): placed through a code, paid, fulfilled, refunded."""

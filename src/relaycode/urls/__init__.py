"""Links a browser will open: WHATWG parsing (``whatwg``) and how a host is shown (``idn``)."""

"""The plain data every layer speaks: the plan (``Action``, ``Change``, ``Plan``, ...), where a value was
written (``Source``), a resolved secret URL (``SecretUrl``), what a plan is for (``Provenance``), the drift
categories, value normalisers and digests, plus the error tree and the masking of secrets.

The bottom layer of the reconciler: it imports only ``reconciler.common`` and the standard library.
"""

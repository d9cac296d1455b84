"""What the emulator and the reconciler share: the platform's rules (template rules, the emoji table, the
RSA public key's DER structure, the Flow JSON rules), the URL masking rule and the rule for reading an input file.

The leaf of the package graph: it imports nothing of the reconciler or of the emulator (stdlib only), so
the emulator can stand alone as a CAMS while both sides apply one copy of each rule.
"""

"""Rust's ryu float formatting, shared by the serde_json and serde_yaml writers.

fault prints every f64 with the ryu crate (serde_json and serde_yaml both use
it): shortest round-trip digits, always a ``.`` or an exponent. Python's repr
picks the same digits but lays them out differently (``1e+16``, ``1e-05``).
"""
from __future__ import annotations


def ryu_f64(x: float) -> str:
    """Format a float the way Rust's ryu crate does (shortest digits, always '.' or 'e').

    Positional for 1e-5 <= |x| < 1e16, otherwise ``<d>[.<ddd>]e<exp>`` without
    ``+`` or zero padding. Non-finite values are the caller's business (JSON
    writes null, YAML ``.inf``/``.nan``).

    >>> [ryu_f64(v) for v in (800.0, 0.05, 1e16, 1e-5, 1e-7, 1.2345678901234568e17, -0.0)]
    ['800.0', '0.05', '1e16', '0.00001', '1e-7', '1.2345678901234568e17', '-0.0']
    """
    r = repr(float(x))
    if "e" not in r:
        return r  # Python and ryu agree on positional floats in [1e-4, 1e16)
    mant, exp_s = r.split("e")
    exp = int(exp_s)
    neg = mant.startswith("-")
    if neg:
        mant = mant[1:]
    digits = mant.replace(".", "")
    # value = 0.d1d2d3... * 10**kk
    kk = exp + 1
    sign = "-" if neg else ""
    if -5 < kk <= 0:
        return f"{sign}0.{'0' * -kk}{digits}"
    if 0 < kk <= 16:  # cannot happen via repr, kept for completeness
        if len(digits) <= kk:
            return f"{sign}{digits}{'0' * (kk - len(digits))}.0"
        return f"{sign}{digits[:kk]}.{digits[kk:]}"
    if len(digits) == 1:
        return f"{sign}{digits}e{kk - 1}"
    return f"{sign}{digits[0]}.{digits[1:]}e{kk - 1}"

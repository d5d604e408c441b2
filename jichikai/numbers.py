"""How numbers are shown: one rounding for every percentage of the app."""


def percent(part: int | float, whole: int | float) -> int:
    """`part` of `whole` as a whole percentage, halves rounded up (1/8 = 12.5% -> 13%).

    Python's round() rounds halves to even (round(12.5) == 12) and "%d" cuts (12.9 -> 12):
    the same number must not show as 12% on one line and 13% on the next."""
    if not whole:
        return 0
    return int(100 * part / whole + 0.5 + 1e-9)

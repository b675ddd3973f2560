"""Does not parse (a test fixture)."""
def broken(:
    pass

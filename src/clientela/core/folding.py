"""Text as it is searched and sorted: without case or accents, so "jose" finds "José" and
"Álvaro" sorts with the As whatever the database's collation."""

import unicodedata

# Letters that Unicode does not split into a letter and a mark, but that people type as plain
# letters when searching ("orsted" for "Ørsted").
PLAIN_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def fold(text: str) -> str:
    """`text` in lower case (case-folded) without accents or other combining marks, with its
    compatibility characters spelt out ("ﬁ" is "fi"). "Peña" is "pena", "Müller" is "muller",
    "Ørsted" is "orsted"."""
    plain = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in plain if not unicodedata.combining(c))
        .casefold()
        .translate(PLAIN_LETTERS)
    )


def fold_name(name: str, max_length: int) -> str:
    """A name's sort key: folded, its runs of spaces made one, at most `max_length` long."""
    return " ".join(fold(name).split())[:max_length]

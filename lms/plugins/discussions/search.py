"""Full-text search over the discussions a user may see, one function for both databases.

Indexing: every post stores ``search_text`` - its thread title (first posts) and body,
lower-cased, stripped of Markdown punctuation and stemmed with Sastrawi, the standard
Indonesian stemmer ("mengkatalogkan", "katalognya" and "katalog" all become "katalog";
English words pass through unchanged). SQLite indexes that column with FTS5 (triggers keep
it in step), PostgreSQL with a GIN ``to_tsvector('simple', search_text)`` index. A query is
stemmed the same way, so both databases match the same words.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


def stem_words(text: str) -> list[str]:
    """The stemmed, lower-cased words of ``text`` (reduplications such as "buku-buku" too)."""
    # fold accents first ("café" -> "cafe"): the stemmer keeps only a-z, 0-9 and hyphens
    folded = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    words = [word.lower() for word in _WORD.findall(folded)]
    if not words:
        return []
    stemmed = _stemmer().stem(" ".join(words)).split()
    return stemmed


def index_text(*parts: str) -> str:
    """What to store in ``Post.search_text`` for a post made of ``parts`` (title, body)."""
    return " ".join(word for part in parts for word in stem_words(part))

"""Make untrusted text (song titles, artist names) safe inside Streamlit markdown.

Streamlit's markdown renders CommonMark plus its own extensions: ``$..$``
LaTeX, ``:emoji:`` short codes and ``:red[...]`` colour directives. Titles come
from data files and from Spotify, so they are escaped before they are placed in
any markdown string: every markdown punctuation character gets a backslash,
then ``&``, ``<`` and ``>`` become entities (``html.escape``).
"""

from __future__ import annotations

import html
import re

# ">" and "<" are left to html.escape: an entity cannot start a blockquote or a tag.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")


def escape_markdown(text: str) -> str:
    """``text`` displayed literally by ``st.markdown``/``st.caption`` (HTML and markdown escaped)."""
    single_line = " ".join(str(text).split())
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", single_line), quote=False)

"""Tests for ``tunex_core.markup``: untrusted text is shown literally by Streamlit's markdown."""

from __future__ import annotations

import pytest

from tunex_core.markup import escape_markdown


@pytest.mark.parametrize(("text", "escaped"), [
    ("<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
    ("*bold* _it_ [x](javascript:1)", "\\*bold\\* \\_it\\_ \\[x\\]\\(javascript\\:1\\)"),
    ("$x^2$ :red[hi] ~~s~~", "\\$x^2\\$ \\:red\\[hi\\] \\~\\~s\\~\\~"),
    ("# Heading\n> quote", "\\# Heading &gt; quote"),
    ("AC/DC & Co.", "AC/DC &amp; Co\\."),
    ("back\\slash `code`", "back\\\\slash \\`code\\`"),
])
def test_escape_markdown(text, escaped):
    assert escape_markdown(text) == escaped

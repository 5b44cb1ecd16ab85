"""A shared TuneX (``bash scripts/start.sh --share``, the container): the access-code gate and guests.

Not a page: ``app.py`` calls ``require_access_code`` before anything else renders, and
``pages.common`` re-exports ``may_touch_host_disk`` for the pages. Importing this module points
every guest's ``open_database()`` at the guest's own in-memory store (``tunex_core.storage``).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from time import monotonic, sleep

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from tunex_core.personal.library_files import keep_uploads_private
from tunex_core.personal.profiles import ProfileStore
from tunex_core.sharing.access import (
    ACCESS_CODE_PARAMETER,
    ACCESS_CODE_VARIABLE,
    MAX_CODE_LENGTH,
    AccessGate,
    sharing_from_environment,
)
from tunex_core.storage import (
    DEFAULT_PROFILE_ID,
    Database,
    DatabaseBusyError,
    default_database_path,
    private_memory_database,
    set_session_database_resolver,
)

ACCESS_GRANTED_KEY = "access_granted"
GUEST_DATABASE_KEY = "guest_database"
# The host profile lent to guests is looked up at most this often (one query for every session): a
# profile the host deletes or renames stops being lent within a second.
SHARED_PROFILE_CHECK_SECONDS = 1.0
_shared_profile_lock = threading.Lock()
_shared_profile_seen: dict[str, tuple[float, tuple[str, int] | None]] = {}
GUEST_PROFILE_NAME = "Guest"
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def client_is_this_computer() -> bool:
    """Whether this session's browser connects over loopback (runs on the server's own computer).

    The address is the connection's own (Streamlit does not trust forwarded headers); when it
    cannot be told, the answer is no.
    """
    try:
        from streamlit.runtime.context import _get_client_context
    except ImportError:  # a Streamlit without it: everybody counts as a visitor
        return False
    client = _get_client_context()
    return client is not None and getattr(client, "remote_ip", None) in LOOPBACK_ADDRESSES


def may_touch_host_disk() -> bool:
    """Whether this session may use the host's own data and disk: its profiles, mood journal, saved playlists,
    exports, "delete my data", and folders or files named by a path typed in a page.

    True when TuneX is not shared (the default ``bash scripts/start.sh``: localhost only) or when the
    browser runs on the host's own computer (unless ``TUNEX_SHARE_GUESTS_ONLY``); False for a guest of a
    shared TuneX (``--share``, the container), whose profile lives in memory for the session only and
    who may only upload files. Every page that reads a path or lists the host's files asks this first.
    """
    settings = sharing_from_environment()
    return not settings.enabled or (not settings.guests_only and client_is_this_computer())


def is_guest() -> bool:
    """A visitor from another device on a shared TuneX (see ``may_touch_host_disk``)."""
    return not may_touch_host_disk()


def shared_profile() -> tuple[str, int] | None:
    """(name, id) of the host profile the host lends to guests (``TUNEX_SHARED_PROFILE``), or None: guests
    get their own in-memory profile (also when no profile has that name, or the database is locked)."""
    name = sharing_from_environment().shared_profile
    if not name:
        return None
    with _shared_profile_lock:
        seen = _shared_profile_seen.get(name)
        if seen is not None and monotonic() - seen[0] < SHARED_PROFILE_CHECK_SECONDS:
            return seen[1]
    try:
        with ProfileStore(default_database_path()) as store:  # the host's file, by its path
            profile = store.by_name(name)
    except DatabaseBusyError:
        profile = None
    found = (profile.name, profile.id) if profile is not None else None
    with _shared_profile_lock:
        _shared_profile_seen[name] = (monotonic(), found)
    return found


def forget_shared_profile() -> None:
    """Look the lent profile up again on next use (tests; the host just changed it)."""
    with _shared_profile_lock:
        _shared_profile_seen.clear()


def guest_profile_id() -> int:
    """The profile a guest uses: the one the host lends, else the guest's own in-memory one."""
    lent = shared_profile()
    return lent[1] if lent is not None else DEFAULT_PROFILE_ID


def guest_database() -> Database:
    """This guest session's own in-memory store (one profile, "Guest"), made on first use, with a temporary
    folder of its own for uploaded songs (deleted when the store goes with the session, or at exit)."""
    database = st.session_state.get(GUEST_DATABASE_KEY)
    if database is None:
        # A label of its own: caches keyed by the store (pages.library_source) never mix two guests.
        database = private_memory_database(f"guest-{secrets.token_hex(8)}")
        database.write([("UPDATE profiles SET name = ? WHERE id = ?", (GUEST_PROFILE_NAME, DEFAULT_PROFILE_ID))])
        keep_uploads_private(database)
        st.session_state[GUEST_DATABASE_KEY] = database
    return database


def private_database() -> Database | None:
    """The store for ``open_database()`` now: a guest's own in a guest's page run (unless the host lends
    a profile), else None (the file)."""
    if get_script_run_ctx(suppress_warning=True) is None or may_touch_host_disk() or shared_profile() is not None:
        return None
    return guest_database()


def session_database_key() -> str:
    """Which store this page run uses, as text for cache keys: the guest's own store's label, else the
    database file's path."""
    database = private_database()
    return str(database.path) if database is not None else str(default_database_path())


set_session_database_resolver(private_database)


@st.cache_resource
def access_gate(access_code: str) -> AccessGate:
    """The server's access-code checker (thread-safe; shared by every session, so wrong codes add up)."""
    return AccessGate(access_code)


def require_access_code(app_pages: Sequence[StreamlitPage]) -> None:
    """On a shared TuneX, show only the access-code form (and stop the run) until this session gave the code.

    The form answers at every address of ``app_pages`` (the router's pages), so a link to a page
    (``/live?code=…``) shows that page once the code is accepted, rather than Streamlit's "page not found"
    and the home page.
    """
    if not sharing_from_environment().enabled or st.session_state.get(ACCESS_GRANTED_KEY):
        return
    gate_pages = [st.Page(access_code_form, title="TuneX", icon="🔒", default=True)]
    gate_pages += [st.Page(access_code_form, title="TuneX", icon="🔒", url_path=page.url_path)
                   for page in app_pages if page.url_path]  # the default page's address is ""
    st.navigation(gate_pages, position="hidden").run()
    st.stop()


def access_code_form() -> None:
    """The gate: the code from the QR link (``?code=``) or typed in; a wrong one is answered after a delay."""
    settings = sharing_from_environment()
    st.title("🎵 TuneX")
    if settings.access_code is None:
        st.error(f"This TuneX is shared, but its access code cannot be used ({settings.problem}). "
                 f"The person sharing it must set {ACCESS_CODE_VARIABLE} and start it again.")
        return
    offered = st.query_params.get(ACCESS_CODE_PARAMETER)
    if offered is not None:
        del st.query_params[ACCESS_CODE_PARAMETER]  # not left in the address bar
    with st.form("access_code_form"):
        typed = st.text_input("Access code", type="password", max_chars=MAX_CODE_LENGTH,
                              help="The code printed by the computer that shares TuneX (its QR code holds it too).")
        submitted = st.form_submit_button("Open TuneX", type="primary")
    attempt = typed if submitted else offered
    if not attempt:
        st.caption("This TuneX is shared by someone on your network. Ask them for the access code, or scan "
                   "the QR code in their terminal.")
        return
    gate = access_gate(settings.access_code)
    if gate.check(attempt):
        st.session_state[ACCESS_GRANTED_KEY] = True
        st.rerun()
    sleep(gate.delay_after_failure())  # this session's thread only; others are not held up
    st.error("That is not the access code. Check it with the person sharing TuneX and try again.")

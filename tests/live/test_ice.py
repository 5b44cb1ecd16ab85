"""ICE servers from the environment and secrets.toml: parsed, checked, never a traceback or a leaked secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tunex_core.live.ice import DEFAULT_TURN_TTL_SECONDS, check_url, ice_configuration, turn_credentials

NOW = 1_800_000_000.0


def configuration(environment: dict, secrets: str | None = None, tmp_path=None):
    path = None
    if tmp_path is not None:
        path = tmp_path / "secrets.toml"
        if secrets is not None:
            path.write_text(secrets)
    return ice_configuration(environment, secrets_path=path or __import__("pathlib").Path("/nonexistent.toml"),
                             now=NOW)


def test_nothing_configured_means_no_ice_servers_and_no_turn():
    ice = configuration({})
    assert ice.servers == [] and ice.problems == [] and not ice.has_turn


def test_stun_and_turn_with_fixed_credentials_from_the_environment():
    ice = configuration({"TUNEX_STUN_URLS": "stun:stun.example.org:3478",
                         "TUNEX_TURN_URLS": "turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349",
                         "TUNEX_TURN_USERNAME": "tunex", "TUNEX_TURN_CREDENTIAL": "s3cret"})
    assert ice.problems == []
    assert ice.servers == [{"urls": ["stun:stun.example.org:3478"]},
                           {"urls": ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"],
                            "username": "tunex", "credential": "s3cret"}]
    assert ice.has_turn


def test_a_coturn_shared_secret_gives_time_limited_credentials():
    ice = configuration({"TUNEX_TURN_URLS": "turn:192.168.1.20:3478", "TUNEX_TURN_SECRET": "shared-secret",
                         "TUNEX_TURN_TTL": "600"})
    server = ice.servers[0]
    assert server["username"] == f"{int(NOW) + 600}:tunex"  # NOW + 600 is a whole step already
    expected = base64.b64encode(hmac.new(b"shared-secret", server["username"].encode(), hashlib.sha1).digest())
    assert server["credential"] == expected.decode()
    assert turn_credentials("shared-secret", DEFAULT_TURN_TTL_SECONDS, NOW)[0] == f"{int(NOW) + 43200}:tunex"
    # Within a step the credentials stay the same; the expiry is never earlier than asked.
    assert turn_credentials("s", 600, NOW + 1) == turn_credentials("s", 600, NOW + 599)
    assert turn_credentials("s", 600, NOW + 1)[0] == f"{int(NOW) + 1200}:tunex"


def test_secrets_toml_is_read_and_the_environment_wins(tmp_path):
    secrets = ('[ice]\nstun_urls = ["stun:a.example.org"]\nturn_urls = ["turn:t.example.org"]\n'
               'turn_username = "file-user"\nturn_credential = "file-pass"\n')
    ice = configuration({}, secrets, tmp_path)
    assert ice.problems == [] and ice.has_turn
    assert ice.servers[1]["username"] == "file-user"
    ice = configuration({"TUNEX_TURN_USERNAME": "env-user"}, secrets, tmp_path)
    assert ice.servers[1]["username"] == "env-user" and ice.servers[1]["credential"] == "file-pass"


SECRET_VALUES = ("hunter2-credential", "user-name-x", "very-secret-key")


@pytest.mark.parametrize(("environment", "secrets", "message"), [
    ({"TUNEX_TURN_URLS": "turn:t.example.org"}, None, "without credentials"),
    ({"TUNEX_TURN_URLS": "turn:t.example.org", "TUNEX_TURN_USERNAME": "user-name-x"}, None, "without credentials"),
    ({"TUNEX_TURN_URLS": "http://t.example.org", "TUNEX_TURN_CREDENTIAL": "hunter2-credential",
      "TUNEX_TURN_USERNAME": "user-name-x"}, None, "no //"),
    ({"TUNEX_STUN_URLS": "turn:t.example.org"}, None, "is not a stun:host:port URL"),
    ({"TUNEX_STUN_URLS": "stun:"}, None, "is not a stun"),
    ({"TUNEX_STUN_URLS": "stun:host:99999"}, None, "no valid port"),
    ({"TUNEX_TURN_URLS": "turn:user-name-x@t.example.org", "TUNEX_TURN_SECRET": "very-secret-key"}, None, "no user@"),
    ({"TUNEX_TURN_SECRET": "very-secret-key"}, None, "no TURN URL"),
    ({"TUNEX_TURN_URLS": "turn:t.example.org", "TUNEX_TURN_SECRET": "very-secret-key", "TUNEX_TURN_TTL": "soon"},
     None, "positive number of seconds"),
    ({"TUNEX_ICE_SERVERS": '[{"urls": "turn:t.example.org", "username": "user-name-x"'}, None, "not valid JSON"),
    ({"TUNEX_ICE_SERVERS": "42"}, None, "must be a JSON list"),
    ({"TUNEX_ICE_SERVERS": '[{"url": "stun:x"}]'}, None, "must be a JSON list"),
    ({"TUNEX_ICE_SERVERS": '[{"urls": "turn:t.example.org"}]'}, None, "no username and credential"),
    ({}, '[ice\nturn_credential = "hunter2-credential"', "could not be read"),
    ({}, 'ice = "hunter2-credential"', "must be a table"),
])
def test_bad_settings_become_a_message_without_secrets(tmp_path, environment, secrets, message):
    ice = configuration(environment, secrets, tmp_path)
    assert any(message in problem for problem in ice.problems), ice.problems
    assert not any(value in problem for problem in ice.problems for value in SECRET_VALUES)


def test_good_json_servers_are_kept_beside_a_bad_one():
    ice = configuration({"TUNEX_ICE_SERVERS": '[{"urls": ["stun:s.example.org:3478"]}, {"urls": "bogus"}, '
                                              '{"urls": "turn:t.example.org", "username": "u", "credential": "p"}]'})
    assert [server["urls"] for server in ice.servers] == [["stun:s.example.org:3478"], "turn:t.example.org"]
    assert len(ice.problems) == 1 and ice.has_turn


@pytest.mark.parametrize("url", ["stun:stun.l.google.com:19302", "turn:[fd00::1]:3478", "turns:t.example.org:5349",
                                 "turn:10.0.0.2?transport=tcp"])
def test_valid_urls(url):
    assert check_url(url, ("stun", "turn")) is None

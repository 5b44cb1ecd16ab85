"""Local-network addresses: which are printed and named in the certificate."""

from __future__ import annotations

from tunex_core.sharing.addresses import host_names, is_usable, local_network_addresses, parse_ifconfig


def test_loopback_virtual_and_link_local_addresses_are_left_out():
    found = [("lo", "127.0.0.1"), ("docker0", "172.17.0.1"), ("veth12", "172.18.0.2"), ("wlan0", "192.168.1.20"),
             ("eth0", "169.254.3.4"), ("eth1", "151.101.1.9"), ("eth2", "10.1.2.3"), ("wlan0", "192.168.1.20")]
    assert local_network_addresses(found) == ["192.168.1.20", "10.1.2.3", "151.101.1.9"]


def test_only_loopback_means_no_address():
    assert local_network_addresses([("lo", "127.0.0.1")]) == []
    assert local_network_addresses([]) == []


def test_usable_addresses():
    assert is_usable("192.168.0.4") and is_usable("fd00::4")
    assert not any(is_usable(address) for address in ("127.0.0.1", "::1", "0.0.0.0", "169.254.1.1", "x"))


def test_this_machine_answers_without_error():
    assert all(is_usable(address) for address in local_network_addresses())
    assert all(name and " " not in name for name in host_names())


MACOS_IFCONFIG = """lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384
\tinet 127.0.0.1 netmask 0xff000000
\tinet6 ::1 prefixlen 128
en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tether 3c:22:fb:00:00:01
\tinet6 fe80::1%en0 prefixlen 64 secured scopeid 0x6
\tinet 192.168.1.37 netmask 0xffffff00 broadcast 192.168.1.255
bridge100: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tinet 192.168.64.1 netmask 0xffffff00 broadcast 192.168.64.255
"""


def test_macos_ifconfig_is_read():
    pairs = parse_ifconfig(MACOS_IFCONFIG)
    assert pairs == [("lo0", "127.0.0.1"), ("en0", "192.168.1.37"), ("bridge100", "192.168.64.1")]
    assert local_network_addresses(pairs) == ["192.168.1.37"]  # not the VM bridge

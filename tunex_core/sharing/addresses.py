"""This machine's local-network addresses, for the certificate's names and the address to print.

They are read from the network interfaces; nothing is sent anywhere.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
import struct
import subprocess
import sys

# Interfaces of containers and virtual machines on this computer: other devices cannot reach them.
VIRTUAL_INTERFACE_PREFIXES = ("docker", "br-", "bridge", "utun", "veth", "virbr", "vmnet", "vboxnet", "cni", "flannel", "lo")
SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def _linux_interface_addresses() -> list[tuple[str, str]]:
    """(interface name, IPv4 address) of every interface that has one (Linux only; [] elsewhere)."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl

    found = []
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        return []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # only asks the kernel; sends nothing
        for _, name in interfaces:
            try:
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:  # no IPv4 address on this interface
                continue
            found.append((name, socket.inet_ntoa(answer[20:24])))
    return found


def parse_ifconfig(text: str) -> list[tuple[str, str]]:
    """(interface, IPv4 address) pairs from ``ifconfig`` output (macOS and the BSDs)."""
    found, interface = [], ""
    for line in text.splitlines():
        if header := re.match(r"^([\w.-]+):? ", line):
            interface = header.group(1).rstrip(":")
        elif address := re.match(r"^\s+inet (?:addr:)?(\d+\.\d+\.\d+\.\d+)", line):
            found.append((interface, address.group(1)))
    return found


def _ifconfig_addresses() -> list[tuple[str, str]]:
    """The interfaces' addresses as ``ifconfig`` lists them (macOS); [] without it."""
    command = shutil.which("ifconfig")
    if command is None:
        return []
    try:
        result = subprocess.run([command], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_ifconfig(result.stdout)


def _host_name_addresses() -> list[tuple[str, str]]:
    """Addresses the host name resolves to on this machine (macOS, Windows, or Linux without interfaces)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return [("", info[4][0]) for info in infos]


def is_usable(address: str) -> bool:
    """Whether another device could reach this machine at ``address`` (not loopback, link-local, or unspecified)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified or parsed.is_multicast)


def local_network_addresses(found: list[tuple[str, str]] | None = None) -> list[str]:
    """This machine's IPv4 addresses other devices may reach, private (home, office) ranges first.

    ``found`` is (interface, address) pairs, read from the system when None. Interfaces of containers
    and virtual machines (docker0, veth…, virbr…) are left out; [] when only loopback is there.
    """
    if found is None:
        found = _linux_interface_addresses() or _ifconfig_addresses() or _host_name_addresses()
    pairs = found
    addresses = []
    for interface, address in pairs:
        if interface.startswith(VIRTUAL_INTERFACE_PREFIXES) or not is_usable(address) or address in addresses:
            continue
        addresses.append(address)
    return sorted(addresses, key=lambda address: not ipaddress.ip_address(address).is_private)


def host_names() -> list[str]:
    """This machine's host name and its ``.local`` name (what phones on the same Wi-Fi resolve by mDNS)."""
    name = socket.gethostname().strip().rstrip(".")
    if not name or name == "localhost":
        return []
    short = name.split(".")[0]
    return list(dict.fromkeys([name, f"{short}.local"]))

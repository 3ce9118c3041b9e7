"""Promises of the common role on a converged host."""

import pytest


def test_timesyncd_servers_configured(host):
    config = host.file("/etc/systemd/timesyncd.conf.d/csvdrop.conf")
    assert config.contains("^NTP=192.0.2.123$")
    assert config.contains("^FallbackNTP=192.0.2.124$")


def test_timesyncd_enabled(host):
    assert host.service("systemd-timesyncd").is_enabled


def test_unattended_upgrades_daily(host):
    periodic = host.file("/etc/apt/apt.conf.d/20auto-upgrades")
    assert periodic.contains('Unattended-Upgrade "1"')
    assert periodic.contains('Update-Package-Lists "1"')
    origins = host.file("/etc/apt/apt.conf.d/50unattended-upgrades")
    assert origins.contains("label=Debian-Security")
    assert origins.contains('Automatic-Reboot "false"')


def test_nftables_running_and_enabled(host):
    service = host.service("nftables")
    assert service.is_running
    assert service.is_enabled


def test_firewall_input_policy_drop(host):
    rules = host.run("nft list chain inet filter input")
    assert rules.rc == 0
    assert "policy drop" in rules.stdout


@pytest.mark.parametrize(
    "rule",
    [
        "ip saddr 172.16.0.0/12 tcp dport { 80, 443 } accept",
        "ip6 saddr fd00::/8 tcp dport { 80, 443 } accept",
        "ip saddr 192.0.2.0/24 tcp dport 22 accept",
    ],
)
def test_firewall_rule_loaded(host, rule):
    assert rule in host.run("nft list chain inet filter input").stdout


def test_firewall_opens_nothing_else(host):
    rules = host.run("nft list chain inet filter input").stdout
    assert rules.count("accept") == 7


def test_journald_limited(host):
    config = host.file("/etc/systemd/journald.conf.d/csvdrop.conf")
    assert config.contains("^SystemMaxUse=64M$")
    assert config.contains("^MaxRetentionSec=1month$")


@pytest.mark.parametrize(
    "setting",
    [
        "net.ipv4.conf.all.accept_redirects = 0",
        "net.ipv4.tcp_syncookies = 1",
        "kernel.kptr_restrict = 2",
    ],
)
def test_sysctl_setting_written(host, setting):
    assert host.file("/etc/sysctl.d/60-csvdrop.conf").contains(f"^{setting}$")

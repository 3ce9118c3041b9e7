"""TLS version checks on a host where the nginx role serves port 443.

The nginx role's scenario and the full-stack scenario both import these
tests, so that both prove the same thing the same way: pytest collects a
test function from whichever test module names it. Their verifiers put this
folder on PYTHONPATH; the test_ name has pytest rewrite the asserts here too.
"""

import re

import pytest

PROTOCOLS = "        ssl_protocols TLSv1.2 TLSv1.3;"

# The client's own security level is lowered so that the server decides.
HANDSHAKE = (
    "openssl s_client -connect 127.0.0.1:{port} -servername localhost {flag} "
    "-cipher 'DEFAULT:@SECLEVEL=0' </dev/null"
)
# A throwaway server that speaks only the old version, with the same pair.
OLD_SERVER = (
    "timeout 15 openssl s_server -quiet -naccept 1 -accept 127.0.0.1:14433 "
    "-cert /etc/nginx/tls/csvdrop.crt -key /etc/nginx/tls/csvdrop.key "
    "{flag} -cipher 'DEFAULT:@SECLEVEL=0' >/dev/null 2>&1 &"
)


def test_only_tls12_and_tls13_configured(host):
    # What nginx loaded, includes and all: one ssl_protocols, in the one
    # server block that serves TLS.
    dump = host.run("nginx -T")
    assert dump.rc == 0, dump.stderr
    servers = re.findall(r"^    server \{\n(.*?)^    \}$", dump.stdout, re.M | re.S)
    tls_servers = [body for body in servers if "listen 443 ssl" in body]
    assert len(tls_servers) == 1
    assert PROTOCOLS in tls_servers[0].splitlines()
    assert re.findall(r"^[ \t]*ssl_protocols\b.*$", dump.stdout, re.M) == [PROTOCOLS]


@pytest.mark.parametrize("flag", ["-tls1", "-tls1_1"])
def test_old_tls_version_refused(host, flag):
    # First the client proves it can still speak the old version, so that
    # the refusal below is nginx's and not the client's own.
    control = host.run(
        OLD_SERVER.format(flag=flag)
        + " sleep 1; "
        + HANDSHAKE.format(port=14433, flag=flag)
        + "; status=$?; wait; exit $status"
    )
    assert control.rc == 0, control.stdout[-2000:]
    assert host.run(HANDSHAKE.format(port=443, flag=flag)).rc != 0


@pytest.mark.parametrize("flag", ["-tls1_2", "-tls1_3"])
def test_current_tls_version_accepted(host, flag):
    assert host.run(HANDSHAKE.format(port=443, flag=flag)).rc == 0

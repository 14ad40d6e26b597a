#!/usr/bin/python3
"""potd's Consul-compatible HTTP API through a Consul client nobody here wrote: Debian's
python3-consul (python-consul 0.7). Run by tests/unit/consul_http_test.cc against a server
on 127.0.0.1 as

    python_consul_check.py PORT TOKEN

Exits 0 when every answer is what the client expects of Consul; otherwise prints the first
mismatch and exits 1.
"""
import os
import sys
import time

# The client reads these before its arguments; the test's server is the one to ask.
for name in ("CONSUL_HTTP_ADDR", "CONSUL_HTTP_TOKEN", "CONSUL_HTTP_SSL", "CONSUL_HTTP_SSL_VERIFY"):
    os.environ.pop(name, None)

import consul  # noqa: E402  (after the environment is cleaned)

SERVICE = "py-web"
SERVICE_ID = "py-web-1"
CHECK_ID = "service:" + SERVICE_ID


def expect(condition, what):
    if not condition:
        print("mismatch: " + what, file=sys.stderr)
        sys.exit(1)


def main():
    port, token = int(sys.argv[1]), sys.argv[2]
    client = consul.Consul(host="127.0.0.1", port=port, token=token)
    # Loopback only: no proxy from the environment.
    client.http.session.trust_env = False
    # python-consul 0.7 adds the token as ?token= to some calls only (register, reads), not
    # to deregister or the ttl updates; Consul's own header carries it on every request.
    client.http.session.headers["X-Consul-Token"] = token

    leader = client.status.leader()
    expect(leader.endswith(":8300"), "status.leader() = %r" % (leader,))

    registered = client.agent.service.register(
        SERVICE, service_id=SERVICE_ID, address="127.0.0.1", port=8080, tags=["blue", "v1"],
        check=consul.Check.ttl("30s"))
    expect(registered is True, "agent.service.register returned %r" % (registered,))

    services = client.agent.services()
    expect(SERVICE_ID in services, "agent.services() has no %s: %r" % (SERVICE_ID, services))
    expect(services[SERVICE_ID]["Service"] == SERVICE, "agent service %r" % services[SERVICE_ID])
    expect(services[SERVICE_ID]["Port"] == 8080, "agent service port %r" % services[SERVICE_ID])

    checks = client.agent.checks()
    expect(CHECK_ID in checks, "agent.checks() has no %s: %r" % (CHECK_ID, checks))
    expect(checks[CHECK_ID]["Status"] == "critical",
           "a new ttl check is critical: %r" % checks[CHECK_ID])

    index, nodes = client.health.service(SERVICE, passing=True)
    expect(nodes == [], "health.service(passing=True) before the ttl passes: %r" % (nodes,))

    expect(client.agent.check.ttl_pass(CHECK_ID, notes="all good") is True, "ttl_pass failed")
    index, nodes = client.health.service(SERVICE, passing=True)
    expect(len(nodes) == 1, "health.service(passing=True) after ttl_pass: %r" % (nodes,))
    entry = nodes[0]
    expect(entry["Service"]["ID"] == SERVICE_ID, "health entry service %r" % entry["Service"])
    expect(entry["Service"]["Port"] == 8080, "health entry port %r" % entry["Service"])
    expect(sorted(entry["Service"]["Tags"]) == ["blue", "v1"], "health entry tags %r" % entry)
    ttl_checks = [c for c in entry["Checks"] if c["CheckID"] == CHECK_ID]
    expect(len(ttl_checks) == 1 and ttl_checks[0]["Status"] == "passing"
           and ttl_checks[0]["Output"] == "all good", "health entry checks %r" % entry["Checks"])

    index, services = client.catalog.services()
    expect(services.get(SERVICE) is not None and sorted(services[SERVICE]) == ["blue", "v1"],
           "catalog.services() = %r" % (services,))
    expect(int(index) >= 1, "catalog.services() index %r" % (index,))

    index, instances = client.catalog.service(SERVICE)
    expect(len(instances) == 1, "catalog.service() = %r" % (instances,))
    expect(instances[0]["ServiceID"] == SERVICE_ID and instances[0]["ServicePort"] == 8080
           and instances[0]["ServiceAddress"] == "127.0.0.1", "catalog entry %r" % instances[0])
    index, instances = client.catalog.service(SERVICE, tag="green")
    expect(instances == [], "catalog.service(tag='green') = %r" % (instances,))

    # A blocking query with nothing changing waits about its `wait` and keeps the index.
    index, nodes = client.health.service(SERVICE)
    started = time.monotonic()
    same_index, nodes = client.health.service(SERVICE, index=index, wait="2s")
    waited = time.monotonic() - started
    expect(same_index == index, "index moved without a change: %r -> %r" % (index, same_index))
    expect(1.5 <= waited < 10, "a blocking query with wait=2s took %.2fs" % waited)

    # A change ends the wait: a warning makes the instance drop out of ?passing.
    expect(client.agent.check.ttl_warn(CHECK_ID, notes="slow") is True, "ttl_warn failed")
    new_index, nodes = client.health.service(SERVICE, index=index, wait="2s")
    expect(int(new_index) > int(index), "index after ttl_warn: %r -> %r" % (index, new_index))
    index, nodes = client.health.service(SERVICE, passing=True)
    expect(nodes == [], "health.service(passing=True) while warning: %r" % (nodes,))

    expect(client.agent.check.ttl_fail(CHECK_ID) is True, "ttl_fail failed")
    checks = client.agent.checks()
    expect(checks[CHECK_ID]["Status"] == "critical", "after ttl_fail: %r" % checks[CHECK_ID])

    expect(client.agent.service.deregister(SERVICE_ID) is True, "deregister failed")
    index, services = client.catalog.services()
    expect(SERVICE not in services, "catalog.services() after deregister: %r" % (services,))
    expect(client.agent.checks() == {}, "agent.checks() after deregister")

    # Without the token the write is refused with Consul's ACL error.
    anonymous = consul.Consul(host="127.0.0.1", port=port)
    anonymous.http.session.trust_env = False
    try:
        anonymous.agent.service.register(SERVICE, service_id=SERVICE_ID)
        expect(False, "register without the token was accepted")
    except consul.ACLPermissionDenied:
        pass
    print("ok")


if __name__ == "__main__":
    main()

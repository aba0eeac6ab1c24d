"""Makes aiortc gather ICE candidates on 127.0.0.1.

aioice leaves out 127.0.0.1 and ::1 when it lists host addresses, so in the
tests' network namespace, whose only interface is lo, aiortc would offer no
candidate at all. The tests' traffic must stay on 127.0.0.1, so they give
aioice that address and no other.
"""

import aioice.ice


def gather_on_loopback():
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []

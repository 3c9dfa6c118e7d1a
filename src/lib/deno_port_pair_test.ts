import { assert, assertEquals } from "../testing/assert.ts";
import { bindPortPair } from "./deno_port_pair.ts";

Deno.test("bindPortPair() binds UDP and TCP on one free port", () => {
  const { first, second } = bindPortPair({
    port: 0,
    bindFirst: (port) => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }),
    boundPort: (udp) => (udp.addr as Deno.NetAddr).port,
    bindSecond: (port) => Deno.listen({ transport: "tcp", hostname: "127.0.0.1", port }),
    closeFirst: (udp) => udp.close(),
  });
  try {
    const port = (first.addr as Deno.NetAddr).port;
    assertEquals((second.addr as Deno.NetAddr).port, port);
    assert(port >= 20_000 && port < 32_768, `port ${port} outside the candidate range`);
  } finally {
    first.close();
    second.close();
  }
});

Deno.test("bindPortPair() moves on when the TCP twin of a candidate is taken", () => {
  let tries = 0;
  const { first, second } = bindPortPair({
    port: 0,
    bindFirst: (port) => port,
    boundPort: (port) => port,
    bindSecond: (port) => {
      if (++tries < 3) throw new Deno.errors.AddrInUse("taken");
      return port;
    },
    closeFirst: () => {},
  });
  assertEquals(first, second);
  assertEquals(tries, 3);
});

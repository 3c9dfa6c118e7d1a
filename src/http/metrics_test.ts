import { assertEquals } from "../testing/assert.ts";
import { metricsJson, metricsPrometheus, MetricsRegistry } from "./metrics.ts";

Deno.test("MetricsRegistry.snapshot() sums counters and samples per name and labels", () => {
  const r = new MetricsRegistry();
  r.incrCounter("a", { x: "1" });
  r.incrCounter("a", { x: "1" }, 2);
  r.incrCounter("a", { x: "2" });
  r.addSample("lat", {}, 5);
  r.addSample("lat", {}, 1);
  const s = r.snapshot();
  assertEquals(s.counters.map((c) => [c.labels, c.count, c.sum]), [
    [{ x: "1" }, 2, 3],
    [{ x: "2" }, 1, 1],
  ]);
  assertEquals(s.samples, [{ name: "lat", count: 2, sum: 6, min: 1, max: 5, labels: {} }]);
});

Deno.test("metricsJson() has Consul's keys; Rate is per second of uptime", () => {
  const json = metricsJson(
    {
      gauges: [{ name: "g", value: 3, labels: {} }],
      counters: [{ name: "c", count: 2, sum: 10, min: 5, max: 5, labels: { k: "v" } }],
      samples: [],
    },
    Date.UTC(2024, 0, 2, 3, 4, 5),
    5_000,
  );
  assertEquals(json, {
    Timestamp: "2024-01-02 03:04:05 +0000 UTC",
    Gauges: [{ Name: "g", Value: 3, Labels: {} }],
    Points: [],
    Counters: [{
      Name: "c",
      Count: 2,
      Rate: 2,
      Sum: 10,
      Min: 5,
      Max: 5,
      Mean: 5,
      Stddev: 0,
      Labels: { k: "v" },
    }],
    Samples: [],
  });
});

Deno.test("metricsPrometheus() writes gauges, _total counters and summaries with escaped labels", () => {
  const text = metricsPrometheus({
    gauges: [{ name: "legate.catalog.index", value: 7, labels: {} }],
    counters: [
      { name: "legate.http.requests", count: 1, sum: 1, min: 1, max: 1, labels: { route: 'a"b' } },
      { name: "legate.http.requests", count: 2, sum: 2, min: 1, max: 1, labels: { route: "c" } },
    ],
    samples: [{ name: "lat", count: 2, sum: 3.5, min: 1, max: 2.5, labels: { b: "2", a: "1" } }],
  });
  assertEquals(
    text,
    [
      "# TYPE legate_catalog_index gauge",
      "legate_catalog_index 7",
      "# TYPE legate_http_requests_total counter",
      'legate_http_requests_total{route="a\\"b"} 1',
      'legate_http_requests_total{route="c"} 2',
      "# TYPE lat summary",
      'lat_sum{a="1",b="2"} 3.5',
      'lat_count{a="1",b="2"} 2',
      "",
    ].join("\n"),
  );
});

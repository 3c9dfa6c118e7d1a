import { assertEquals } from "../testing/assert.ts";
import { columnize, tabwrite } from "./columns.ts";

Deno.test("columnize() pads all but the last cell of a row and trims cells", () => {
  assertEquals(
    columnize([["Node", "Address", "Status"], ["node01", " 127.0.0.1:8301", "alive"], [
      "n2",
      "x",
      "",
    ]]),
    "Node    Address         Status\nnode01  127.0.0.1:8301  alive\nn2      x               ",
  );
});

Deno.test("tabwrite() pads the first column to its widest cell plus 6", () => {
  assertEquals(tabwrite([["consul", ""], ["web", "a,b"]]), "consul      \nweb         a,b\n");
  assertEquals(tabwrite([["Key", "a"], ["Value", "1"]], true), "Key        a\nValue      1");
});

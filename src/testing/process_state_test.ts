import { assertEquals } from "./assert.ts";
import { processAlive } from "./process_state.ts";

Deno.test("processAlive() sees a running child, and not once it exited and was reaped", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], stdin: "null" }).spawn();
  try {
    assertEquals(await processAlive(child.pid), true);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assertEquals(await processAlive(child.pid), false);
});

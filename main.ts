import { run } from "./src/cli/mod.ts";
import { denoCliIo } from "./src/cli/deno_io.ts";

if (import.meta.main) {
  const io = denoCliIo();
  Deno.exit(await run(Deno.args, io));
}

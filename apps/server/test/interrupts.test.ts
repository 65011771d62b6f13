import { describe, expect, it } from "vitest";
import { forwardedInterruptSettled, underPackageManager } from "../src/interrupts.js";

describe("Ctrl-C under a package manager", () => {
  it("knows when a package manager's script runs this program, and not when a tool started it inside another script", () => {
    expect(underPackageManager({ npm_lifecycle_script: 'exec node "/srv/multistore/apps/server/dist/cli.js"' }, "/srv/multistore/apps/server/dist/cli.js")).toBe(true);
    expect(underPackageManager({ npm_lifecycle_script: "multistore --config my.toml" }, "/usr/lib/node_modules/@multistore/server/dist/cli.js")).toBe(true);
    expect(underPackageManager({ npm_lifecycle_script: "vitest run" }, "/srv/multistore/apps/server/dist/cli.js")).toBe(false);
    expect(underPackageManager({}, "/srv/multistore/apps/server/dist/cli.js")).toBe(false);
  });

  it("waits, bounded, for the forwarded SIGINT after a stop by the first one, and only then", async () => {
    const under = { env: { npm_lifecycle_script: "exec node dist/cli.js" }, program: "/x/dist/cli.js", waitMs: 150 };
    const started = performance.now();
    await forwardedInterruptSettled({ count: 1 }, under);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    // At once (before any timer) when the forwarded one came already, or when no package manager runs the server.
    const order: string[] = [];
    const timer = new Promise((resolve) => setTimeout(resolve, 0)).then(() => order.push("timer"));
    await Promise.all([
      forwardedInterruptSettled({ count: 2 }, under).then(() => order.push("forwarded already")),
      forwardedInterruptSettled({ count: 1 }, { ...under, env: {} }).then(() => order.push("no package manager")),
      timer,
    ]);
    expect(order).toEqual(["forwarded already", "no package manager", "timer"]);
  });
});

/**
 * The automation layer's public surface, for the CLI:
 *
 *   const engine = await createLocalEngine(projectDir, process.env); // or new MemoryEngine(options)
 *   const ops = createOperations({ engine, projectDir, images: createImageResolver(), onEvent, signal });
 *   await ops.deploy({ env: "staging", commit: "main" });
 *
 * Abort `signal` on the first Ctrl-C / SIGTERM: the running update is
 * cancelled through the engine, the operation waits for it to stop, reports
 * the state left and its result event carries exit code 130.
 */
export * from "./actor.js";
export type * from "./api.js";
export * from "./config-map.js";
export { createLocalEngine, LocalEngine } from "./engine/local.js";
export { defaultOutputs, MemoryEngine, type MemoryEngineOptions, type MemorySeed } from "./engine/memory.js";
export * from "./engine.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./git.js";
export * from "./guards.js";
export { createImageResolver } from "./images.js";
export { createOperations, DEFAULT_REAP_CONCURRENCY } from "./operations.js";

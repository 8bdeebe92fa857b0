/**
 * Running whole flightdeck commands in-process: `main(argv, deps)` with
 * captured streams, a given environment and terminal, the in-memory engine
 * and the real operations. Only the AWS image lookup is replaced (there is no
 * AWS here): it answers with an AMI id derived from the commit.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ImageResolver } from "../../automation/api.js";
import { MemoryCloud } from "../../automation/cloud/memory.js";
import { MemoryEngine } from "../../automation/engine/memory.js";
import { createOperations } from "../../automation/operations.js";
import { type CliDeps, main } from "../../cli/main.js";

export class Capture extends EventEmitter {
  text = "";
  isTTY: boolean;
  columns = 160;
  rows = 40;
  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }
  write = (chunk: string | Uint8Array): boolean => {
    this.text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  };
  /** What was written, without terminal escape sequences. */
  plain(): string {
    // eslint-disable-next-line no-control-regex -- stripping ANSI escapes is the point
    return this.text.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g, "");
  }
}

/** A terminal's stdin for Ink: keys are queued with `type`. */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private queue: string[] = [];
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = (): string | null => this.queue.shift() ?? null;
  constructor() {
    super();
    // Like a real stream: keys typed before anyone listens are delivered when a listener arrives.
    this.on("newListener", (event: string) => {
      if (event === "readable" && this.queue.length > 0) setImmediate(() => this.emit("readable"));
    });
  }
  type(text: string): void {
    this.queue.push(text);
    this.emit("readable");
  }
}

export class FakeSignals {
  private handlers = new Map<string, Set<() => void>>();
  on(signal: string, handler: () => void) {
    if (!this.handlers.has(signal)) this.handlers.set(signal, new Set());
    this.handlers.get(signal)?.add(handler);
  }
  off(signal: string, handler: () => void) {
    this.handlers.get(signal)?.delete(handler);
  }
  send(signal: "SIGINT" | "SIGTERM") {
    for (const h of [...(this.handlers.get(signal) ?? [])]) h();
  }
  count(): number {
    return [...this.handlers.values()].reduce((n, s) => n + s.size, 0);
  }
}

export const fakeImages: ImageResolver = {
  imageFor: async (commit) => `ami-${commit.slice(0, 17)}`,
};

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  exits: number[];
}

export interface HarnessOptions {
  engine?: MemoryEngine;
  env?: Record<string, string | undefined>;
  /** A terminal (Ink, prompts); default: CI-like, no terminal. */
  tty?: boolean;
  stdin?: FakeStdin;
  signals?: FakeSignals;
  deps?: Partial<CliDeps>;
  onStart?: (io: { stdout: Capture; stdin: FakeStdin; signals: FakeSignals }) => void;
}

/** Run `flightdeck <argv>` in `projectDir` and capture everything. */
export async function runCli(
  projectDir: string,
  argv: string[],
  options: HarnessOptions = {},
): Promise<CliRun> {
  const stdout = new Capture(options.tty === true);
  const stderr = new Capture(options.tty === true);
  const stdin = options.stdin ?? new FakeStdin();
  stdin.isTTY = options.tty === true;
  const signals = options.signals ?? new FakeSignals();
  const exits: number[] = [];
  const engine = options.engine ?? new MemoryEngine();
  const env = options.env ?? { CI: "true", PATH: process.env.PATH, HOME: process.env.HOME };
  options.onStart?.({ stdout, stdin, signals });
  const code = await main(argv, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    env,
    isTTY: options.tty === true,
    stdinIsTTY: options.tty === true,
    cwd: projectDir,
    signals,
    exit: (c) => {
      exits.push(c);
    },
    createEngine: async () => engine,
    createOperations: async (deps) => createOperations(deps),
    images: async () => fakeImages,
    cloud: async (e) => new MemoryCloud(e),
    refreshMs: 60_000,
    ...options.deps,
  });
  return { code, stdout: stdout.plain(), stderr: stderr.plain(), exits };
}

/** A CI runner's environment: no terminal, no prompt. */
export const CI = { CI: "true", PATH: process.env.PATH, HOME: process.env.HOME };
/** A person's terminal. */
export const TTY = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm" };

/** Resolve once the captured output matches (the Ink screen is up). */
export async function waitFor(out: Capture, pattern: RegExp, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(out.plain())) {
    if (Date.now() > end) assert.fail(`never printed ${pattern}:\n${out.plain()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolve once the engine holds `stack`'s update lock (the operation reached `up`). */
export async function waitUntilBusy(engine: MemoryEngine, stack: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const stacks = await engine.listStacks();
    if (stacks.some((s) => s.name === stack && s.updateInProgress)) return;
    if (Date.now() > end) assert.fail(`${stack} never started its update`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

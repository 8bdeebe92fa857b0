/**
 * Loaded by mocha before any test file (see .mocharc.json).
 *
 * Ink decides once, when it is first imported, whether it runs in CI (`is-in-ci`
 * reads `CI`), and in CI it draws only the final frame. flightdeck only ever
 * renders Ink on a terminal outside CI (cli/output.ts chooses plain or JSON
 * lines otherwise), so the screen tests load Ink the way the product runs it,
 * even when the suite itself runs under `CI=true`. Everything else sees the
 * environment unchanged.
 */
const ci = process.env.CI;
delete process.env.CI;
try {
  await import("ink");
} finally {
  if (ci !== undefined) process.env.CI = ci;
}

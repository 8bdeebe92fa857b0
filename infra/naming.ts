/**
 * Names derived from a commit: the preview stack and the host it is served at.
 * Pure functions shared by the program (`infra/`) and the operations (`automation/`).
 */

const FULL_SHA = /^[0-9a-f]{40}$/;

export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** The seven-character short SHA used in names and URLs. */
export function shortSha(sha: string): string {
  const lower = sha.toLowerCase();
  if (!/^[0-9a-f]{7,40}$/.test(lower)) throw new Error(`not a commit SHA: '${sha}'`);
  return lower.slice(0, 7);
}

/** The stack of a commit's preview: `preview-<sha7>` (already within what Pulumi allows in a stack name). */
export function previewStackName(sha: string): string {
  return `preview-${shortSha(sha)}`;
}

export function isPreviewStackName(stack: string): boolean {
  return /^preview-[0-9a-f]{7}$/.test(stack);
}

/** The host a preview is served at: `<sha7>.<preview domain>`. */
export function previewHost(sha: string, domain: string): string {
  return `${shortSha(sha)}.${domain}`;
}

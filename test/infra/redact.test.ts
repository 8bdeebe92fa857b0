import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createRedactor,
  MIN_SECRET_LENGTH,
  secretValues,
  weakPassphraseWarning,
} from "../../infra/redact.js";

describe("redaction", () => {
  it("leaves a passphrase that is a common short word alone instead of corrupting every line", () => {
    const redact = createRedactor({ PULUMI_CONFIG_PASSPHRASE: "staging" });
    assert.equal(redact("deploying staging to staging"), "deploying staging to staging");
  });

  it("leaves the words flightdeck's own output is made of alone, whatever their length", () => {
    const redact = createRedactor({ PULUMI_CONFIG_PASSPHRASE: "production" });
    assert.equal(redact("promote staging production"), "promote staging production");
    assert.deepEqual(secretValues({ PULUMI_CONFIG_PASSPHRASE: "previews" }), []);
  });

  it(`redacts every secret of at least ${MIN_SECRET_LENGTH} characters, and nothing shorter`, () => {
    assert.equal(MIN_SECRET_LENGTH, 8);
    const redact = createRedactor({ API_TOKEN: "abcd1234", SHORT_SECRET: "abc1234", PATH: "/usr/bin:/bin" });
    assert.equal(
      redact("token abcd1234, short abc1234, path /usr/bin:/bin"),
      "token [secret], short abc1234, path /usr/bin:/bin",
    );
  });

  it("warns about a weak passphrase: empty, shorter than 8 characters, or a word of flightdeck's output", () => {
    assert.match(
      weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE: "staging" }) ?? "",
      /PULUMI_CONFIG_PASSPHRASE is weak: .*shorter than 8 characters/,
    );
    assert.match(
      weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE: "production" }) ?? "",
      /is weak: .*a word flightdeck prints/,
    );
    assert.match(weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE: "" }) ?? "", /is empty/);
    assert.equal(weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE: "correct-horse-battery" }), undefined);
    assert.equal(
      weakPassphraseWarning({}),
      undefined,
      "no passphrase: nothing to say (another secrets provider)",
    );
    for (const warning of [
      weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE: "staging" }),
      weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE: "production" }),
    ]) {
      assert.ok(!/staging|production/.test(warning ?? ""), `the warning repeats the passphrase: ${warning}`);
    }
  });

  it("warns about a weak passphrase kept in PULUMI_CONFIG_PASSPHRASE_FILE", () => {
    const file = join(mkdtempSync(join(tmpdir(), "flightdeck-pass-")), "passphrase");
    writeFileSync(file, "abc\n");
    assert.match(
      weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE_FILE: file }) ?? "",
      /PULUMI_CONFIG_PASSPHRASE_FILE is weak/,
    );
    writeFileSync(file, "a-long-and-random-passphrase\n");
    assert.equal(weakPassphraseWarning({ PULUMI_CONFIG_PASSPHRASE_FILE: file }), undefined);
  });
});

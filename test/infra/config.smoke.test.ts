import assert from "node:assert/strict";
import { loadStackConfig } from "../../infra/config.js";

describe("example stack configs", () => {
  for (const stack of ["production", "staging", "testing", "previews"]) {
    it(`Pulumi.${stack}.yaml parses`, async () => {
      const config = await loadStackConfig(process.cwd(), stack);
      assert.equal(config.environment, stack);
    });
  }
});
